//! What the API derives from a document's content: its title, its word count and the HTML
//! preview. Markdown is rendered by pulldown-cmark and sanitized by ammonia; brand data is
//! pretty-printed and escaped, never interpreted as markup.

use pulldown_cmark::{Event, HeadingLevel, Options, Parser, Tag, TagEnd};
use serde_json::Value;

pub(crate) fn markdown_options() -> Options {
    Options::ENABLE_TABLES
        | Options::ENABLE_STRIKETHROUGH
        | Options::ENABLE_TASKLISTS
        | Options::ENABLE_FOOTNOTES
}

/// The text of the first level-1 heading, if any (trimmed, inline markup dropped).
pub fn markdown_title(text: &str) -> Option<String> {
    let mut in_h1 = false;
    let mut title = String::new();
    for event in Parser::new_ext(text, markdown_options()) {
        match event {
            Event::Start(Tag::Heading {
                level: HeadingLevel::H1,
                ..
            }) => in_h1 = true,
            Event::End(TagEnd::Heading(HeadingLevel::H1)) => {
                let title = title.split_whitespace().collect::<Vec<_>>().join(" ");
                if !title.is_empty() {
                    return Some(title);
                }
                in_h1 = false;
            }
            Event::Text(t) | Event::Code(t) if in_h1 => title.push_str(&t),
            Event::SoftBreak | Event::HardBreak if in_h1 => title.push(' '),
            _ => {}
        }
    }
    None
}

/// Words a reader sees: whitespace-separated runs in text and code, not Markdown syntax.
pub fn markdown_word_count(text: &str) -> u64 {
    let mut count = 0u64;
    // Adjacent text events can split one word (e.g. around an entity), so join before counting.
    let mut run = String::new();
    for event in Parser::new_ext(text, markdown_options()) {
        match event {
            Event::Text(t) | Event::Code(t) => run.push_str(&t),
            _ => {
                count += run.split_whitespace().count() as u64;
                run.clear();
                run.push(' ');
            }
        }
    }
    count + run.split_whitespace().count() as u64
}

/// The title of a brand-data object: `brandInfo.companyName` (plain or `{"value": ...}`), then
/// a top-level `name`.
pub fn brand_title(value: &Value) -> Option<String> {
    let company = value.pointer("/brandInfo/companyName").map(unwrap_leaf);
    let name = value.get("name").map(unwrap_leaf);
    [company, name].into_iter().flatten().find_map(|v| {
        v.as_str()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
    })
}

/// Brand data may wrap each leaf as `{"value": ...}`; both shapes are accepted everywhere.
fn unwrap_leaf(v: &Value) -> &Value {
    match v {
        Value::Object(map) if map.len() == 1 && map.contains_key("value") => &map["value"],
        other => other,
    }
}

/// Words in every string of a JSON document.
pub fn json_word_count(value: &Value) -> u64 {
    match value {
        Value::String(s) => s.split_whitespace().count() as u64,
        Value::Array(items) => items.iter().map(json_word_count).sum(),
        Value::Object(map) => map.values().map(json_word_count).sum(),
        _ => 0,
    }
}

/// Markdown rendered to HTML, with everything ammonia does not consider safe removed
/// (scripts, event handlers, `javascript:` links, raw HTML it does not know).
pub fn markdown_preview(text: &str) -> String {
    let mut html = String::with_capacity(text.len() * 3 / 2);
    pulldown_cmark::html::push_html(&mut html, Parser::new_ext(text, markdown_options()));
    ammonia::clean(&html)
}

/// Brand data pretty-printed inside `<pre>`, every character of it escaped.
pub fn json_preview(value: &Value) -> String {
    let pretty = serde_json::to_string_pretty(value).unwrap_or_default();
    format!(
        "<pre class=\"json\"><code>{}</code></pre>",
        escape_html(&pretty)
    )
}

/// Escapes text for use in HTML element content and quoted attributes.
pub fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn title_is_the_first_h1() {
        assert_eq!(
            markdown_title("intro\n\n## Sub\n\n# The *Real* Title\n\n# Second").as_deref(),
            Some("The Real Title")
        );
        assert_eq!(markdown_title("## only h2"), None);
        assert_eq!(markdown_title("```\n# not a heading\n```"), None);
    }

    #[test]
    fn word_count_ignores_syntax() {
        assert_eq!(
            markdown_word_count("# Hello world\n\n- one **two**\n- `three`"),
            5
        );
        assert_eq!(markdown_word_count(""), 0);
        assert_eq!(markdown_word_count("caf&eacute; au lait"), 3);
    }

    #[test]
    fn brand_title_reads_both_shapes() {
        assert_eq!(
            brand_title(&json!({"brandInfo": {"companyName": "Acme"}})).as_deref(),
            Some("Acme")
        );
        assert_eq!(
            brand_title(&json!({"brandInfo": {"companyName": {"value": "Wrapped"}}})).as_deref(),
            Some("Wrapped")
        );
        assert_eq!(
            brand_title(&json!({"name": "Plain"})).as_deref(),
            Some("Plain")
        );
        assert_eq!(brand_title(&json!({"brandInfo": {}})), None);
    }

    #[test]
    fn preview_strips_scripts_and_handlers() {
        let html = markdown_preview(
            "# Hi\n\n<script>alert(1)</script>\n\n<img src=x onerror=alert(1)>\n\n[x](javascript:alert(1))",
        );
        assert!(html.contains("<h1>Hi</h1>"), "{html}");
        for bad in ["<script", "onerror", "javascript:"] {
            assert!(!html.contains(bad), "{bad} survived in {html}");
        }
    }

    #[test]
    fn json_preview_escapes_markup() {
        let html = json_preview(&json!({"name": "<b>&"}));
        assert!(html.contains("&lt;b&gt;&amp;"), "{html}");
        assert!(!html.contains("<b>"));
    }
}
