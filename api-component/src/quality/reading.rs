//! What the checks read from a brief's (or a draft's) text: its sections, the questions of an
//! FAQ section, a labelled value ("Meta title: …"), the H2 sections an outline plans, the
//! suggested word count and the primary keyword a brief states. The draft checks read a brief
//! through the same functions as the brief checks, so the two always agree.
//!
//! Sections are the headings at the document's section level (the highest level below the
//! title) whose text names them: "audience"/"intent", "competitor"/"competition"/"serp",
//! "strategy"/"angle", "outline"/"structure", "faq"/"frequently asked"/"questions",
//! "guideline"/"writing"/"tone"/"style".

use super::text::{Block, Doc, Kind, Stems, count_phrase, numbers};
use crate::words::words;

/// The brief's sections, in the order the template asks for them.
pub const SECTIONS: [(&str, fn(&str) -> bool); 6] = [
    ("audience & intent", |t| {
        t.contains("audience") || t.contains("intent")
    }),
    ("competitors", |t| {
        t.contains("competitor") || t.contains("competition") || t.contains("serp")
    }),
    ("strategy", |t| {
        t.contains("strategy") || t.contains("angle")
    }),
    ("outline", |t| {
        t.contains("outline") || t.contains("structure")
    }),
    ("FAQ", is_faq_heading),
    ("guidelines", |t| {
        ["guideline", "writing", "tone", "style"]
            .iter()
            .any(|w| t.contains(w))
    }),
];

pub fn is_faq_heading(t: &str) -> bool {
    t.contains("faq") || t.contains("frequently asked") || t.contains("questions")
}

/// The document's H1 titles.
pub fn h1s(doc: &Doc) -> Vec<&str> {
    doc.headings()
        .filter(|(_, l, _)| *l == 1)
        .map(|(_, _, t)| t)
        .collect()
}

/// Whether `text` contains `keyword`, tolerantly (case, plurals and other word endings).
pub fn mentions(stems: &Stems, text: &str, keyword: &str) -> bool {
    count_phrase(&stems.all(text), &stems.all(keyword)) > 0
}

/// The blocks of the section whose heading `matches`, if the brief has one.
pub fn section_of<'d>(doc: &'d Doc, matches: fn(&str) -> bool) -> Option<(u8, &'d [Block])> {
    let level = doc.section_level();
    let at = doc.find_heading(level, 0, matches)?;
    Some((level, doc.section(at)))
}

/// The questions of a FAQ section: its sub-headings whose first line has a `?` (up to and
/// including it); without such headings, its top-level list items, paragraphs and table rows
/// whose first line has one.
pub fn questions(blocks: &[Block]) -> Vec<String> {
    // Under question headings, the paragraphs and lists are answers.
    let headed = blocks
        .iter()
        .any(|b| b.level().is_some() && b.first_line().contains('?'));
    blocks
        .iter()
        .filter(|b| match b.kind {
            Kind::Heading(_) => true,
            Kind::Item(1) | Kind::Paragraph | Kind::Row(false) => !headed,
            _ => false,
        })
        .filter_map(|b| {
            let line = b.first_line();
            let end = line.find('?')?;
            let q = line[..=end]
                .trim_start_matches(|c: char| !c.is_alphanumeric())
                .trim_start_matches("Q:")
                .trim();
            let q = q.strip_prefix("Q ").unwrap_or(q).trim();
            (!q.is_empty()).then(|| q.to_owned())
        })
        .collect()
}

/// The brief's FAQ questions (empty without a FAQ section).
pub fn faq_questions(doc: &Doc) -> Vec<String> {
    section_of(doc, is_faq_heading).map_or_else(Vec::new, |(_, b)| questions(b))
}

/// The value written after a label such as "Meta title": on the label's line after its colon,
/// in the next cell of its table row, or else the next block's first line. Quotes, emphasis
/// and a trailing "(NN characters)" are dropped.
pub fn labelled_value(doc: &Doc, label: &str) -> Option<String> {
    for (i, block) in doc.blocks.iter().enumerate() {
        for line in block.text.lines() {
            let lower = line.to_lowercase();
            let Some(at) = lower.find(label) else {
                continue;
            };
            let after = &line[at + label.len()..];
            let value = if let Kind::Row(_) = block.kind {
                let cells: Vec<&str> = line.split('\t').collect();
                let index = line[..at].matches('\t').count();
                cells.get(index + 1).copied().unwrap_or_default()
            } else {
                let note = |t: &str| t.trim().is_empty() || t.trim_start().starts_with('(');
                match after.find(':') {
                    Some(c) if note(&after[..c]) => &after[c + 1..],
                    // A label on its own ("#### Meta title"): the value follows.
                    None if note(after) => "",
                    _ => continue,
                }
            };
            let value = clean_value(value);
            if !value.is_empty() {
                return Some(value);
            }
            if let Some(next) = doc.blocks.get(i + 1) {
                let value = clean_value(next.first_line());
                if !value.is_empty() {
                    return Some(value);
                }
            }
        }
    }
    None
}

fn clean_value(raw: &str) -> String {
    let mut value = raw.trim();
    // "… (58 characters)" notes the length; it is not part of the value.
    if value.ends_with(')')
        && let Some(open) = value.rfind('(')
        && value[open..].to_lowercase().contains("char")
    {
        value = value[..open].trim_end();
    }
    value
        .trim_matches(|c: char| c.is_whitespace() || "\"'“”‘’`*_".contains(c))
        .to_owned()
}

/// Whether an outline line names something other than a body section.
fn is_frame(text: &str) -> bool {
    let t = text.to_lowercase();
    let t = t.trim_start_matches(|c: char| !c.is_alphabetic());
    [
        "h1",
        "intro",
        "conclusion",
        "call to action",
        "cta",
        "faq",
        "frequently asked",
        "meta",
    ]
    .iter()
    .any(|w| t.starts_with(w))
}

/// "H2: How it works" → "How it works"; `None` for lines not marked as an H2.
fn after_h2_mark(line: &str) -> Option<&str> {
    let t = line.trim_start_matches(|c: char| !c.is_alphanumeric());
    let rest = t.strip_prefix("H2").or_else(|| t.strip_prefix("h2"))?;
    if rest.starts_with(|c: char| c.is_alphanumeric()) {
        return None;
    }
    let rest = rest.trim_start_matches(|c: char| !c.is_alphanumeric() && c != '"' && c != '“');
    let rest = rest.trim_matches(|c: char| c.is_whitespace() || "\"“”*".contains(c));
    (!rest.is_empty()).then_some(rest)
}

/// The H2 sections the brief's outline plans: the lines marked "H2" (as headings, list items or
/// paragraphs) in the outline section; without any, its sub-headings one level down, else its
/// top-level list items, leaving out the H1, introduction, conclusion, call to action and FAQ.
pub fn outline(doc: &Doc) -> Vec<String> {
    let Some((level, blocks)) = section_of(doc, SECTIONS[3].1) else {
        return Vec::new();
    };
    let marked: Vec<String> = blocks
        .iter()
        .flat_map(|b| b.text.lines())
        .filter_map(after_h2_mark)
        .map(str::to_owned)
        .collect();
    if !marked.is_empty() {
        return marked;
    }
    let sub = blocks
        .iter()
        .filter_map(|b| b.level())
        .filter(|l| *l > level)
        .min();
    let picked: Vec<&Block> = match sub {
        Some(sub) => blocks.iter().filter(|b| b.level() == Some(sub)).collect(),
        None => blocks.iter().filter(|b| b.kind == Kind::Item(1)).collect(),
    };
    picked
        .into_iter()
        .map(|b| {
            b.first_line()
                .trim_start_matches(|c: char| c.is_ascii_digit() || c == '.' || c == ')')
                .trim()
                .to_owned()
        })
        .filter(|t| !t.is_empty() && !is_frame(t))
        .collect()
}

/// The word count a brief suggests: the first number from 300 to 20,000 on a line that speaks
/// of words ("word", "words", "word count", "length"), the guidelines section first; a range
/// ("1,800–2,200 words") stands for its middle.
pub fn word_target(doc: &Doc) -> Option<u64> {
    let guidelines = section_of(doc, SECTIONS[5].1)
        .map(|(_, b)| b)
        .unwrap_or_default();
    guidelines
        .iter()
        .chain(&doc.blocks)
        .flat_map(|b| b.text.lines())
        .find_map(target_on_line)
}

fn target_on_line(line: &str) -> Option<u64> {
    let speaks_of_words = words(line).any(|w| {
        let w = w.to_lowercase();
        matches!(w.as_str(), "word" | "words" | "wordcount" | "length")
    });
    if !speaks_of_words {
        return None;
    }
    let found: Vec<(usize, f64)> = numbers(line)
        .into_iter()
        .filter(|(_, n)| (300.0..=20_000.0).contains(n))
        .collect();
    let (at, first) = *found.first()?;
    let ranged = found.get(1).filter(|(next_at, _)| {
        let between = &line[at..*next_at];
        let joiner = between
            .trim_start_matches(|c: char| c.is_ascii_digit() || c == ',' || c == '.' || c == 'k');
        let joiner = joiner.trim();
        ["-", "–", "—", "to"].contains(&joiner)
    });
    let target = match ranged {
        Some((_, second)) => (first + second) / 2.0,
        None => first,
    };
    Some(target.round() as u64)
}

/// The primary keyword a brief states on a "Primary keyword: …" line, if any.
pub fn stated_keyword(doc: &Doc) -> Option<String> {
    labelled_value(doc, "primary keyword")
        .map(|v| {
            v.split(['(', '\n'])
                .next()
                .unwrap_or_default()
                .trim()
                .to_owned()
        })
        .filter(|v| !v.is_empty() && v.chars().count() <= 100)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outline_takes_marked_h2_lines() {
        let doc = Doc::parse(
            "# T\n\n## Article outline\n\n- H1: The title\n- Introduction: hook\n- **H2: Why starters fail**\n  - H3: Temperature\n- H2 – Feeding schedules\n\n### H2: Storing a starter\n\n## FAQ\n",
        );
        assert_eq!(
            outline(&doc),
            [
                "Why starters fail",
                "Feeding schedules",
                "Storing a starter"
            ]
        );
    }

    #[test]
    fn outline_falls_back_to_sub_headings() {
        let doc = Doc::parse(
            "# T\n\n## 4. Article outline\n\n### Introduction\n\n### 1. Why starters fail\n\n#### Temperature\n\n### Feeding schedules\n\n### Conclusion\n",
        );
        assert_eq!(outline(&doc), ["Why starters fail", "Feeding schedules"]);
    }

    #[test]
    fn labelled_values_in_lines_and_tables() {
        let doc = Doc::parse(
            "- **Meta title:** “Bread baking at home” (21 characters)\n- Meta description (150 chars): Learn it.\n\n| Field | Value |\n|---|---|\n| Primary keyword | bread baking |\n",
        );
        assert_eq!(
            labelled_value(&doc, "meta title").as_deref(),
            Some("Bread baking at home")
        );
        assert_eq!(
            labelled_value(&doc, "meta description").as_deref(),
            Some("Learn it.")
        );
        assert_eq!(stated_keyword(&doc).as_deref(), Some("bread baking"));
        let doc = Doc::parse("#### Meta title\n\nBaking bread\n");
        assert_eq!(
            labelled_value(&doc, "meta title").as_deref(),
            Some("Baking bread")
        );
    }

    #[test]
    fn word_targets() {
        let at = |t: &str| word_target(&Doc::parse(t));
        assert_eq!(at("Suggested word count: 1,800–2,200 words"), Some(2000));
        assert_eq!(at("- Length: about 1.5k words"), Some(1500));
        assert_eq!(at("Use the keyword in the first 100 words."), None);
        assert_eq!(at("Aim for 2000 readers."), None);
    }

    #[test]
    fn questions_from_headings_items_and_paragraphs() {
        let doc = Doc::parse(
            "## FAQ\n\n### How long does a starter keep?\n\nNotes: a week?\n\n### Storage\n\n- Is it safe? yes\n",
        );
        assert_eq!(faq_questions(&doc), ["How long does a starter keep?"]);
        let doc = Doc::parse(
            "## FAQ\n\nQ: Why does dough rise?\n\n- **Can I freeze dough?** Yes.\n  - Is it safe? yes\n\n1. What flour works best? Notes\n",
        );
        assert_eq!(
            faq_questions(&doc),
            [
                "Why does dough rise?",
                "Can I freeze dough?",
                "What flour works best?"
            ]
        );
    }
}
