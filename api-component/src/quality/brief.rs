//! The brief checks, in the order the brief template asks for its parts, and what a draft's
//! checks read from a brief: its outline's H2 entries, its FAQ questions, its suggested word
//! count and the primary keyword it states.
//!
//! Sections are the headings at the brief's section level (the highest level below the title)
//! whose text names them: "audience"/"intent", "competitor"/"competition"/"serp",
//! "strategy"/"angle", "outline"/"structure", "faq"/"frequently asked"/"questions",
//! "guideline"/"writing"/"tone"/"style".

use super::text::{Block, Doc, Kind, Stems, count_phrase, numbers, words};
use super::{Check, Keywords, Status, clip, quoted_list, thousands};

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

const MAX_COMPETITORS: usize = 5;
const MAX_FAQ: usize = 6;
const MIN_OUTLINE: usize = 3;
const META_TITLE_CHARS: usize = 60;
const META_DESCRIPTION_CHARS: usize = 155;

/// Every brief check, in order.
pub fn checks(text: &str, keywords: &Keywords) -> Vec<Check> {
    let doc = Doc::parse(text);
    let stems = Stems::english();
    vec![
        sections(&doc),
        h1_keyword(&doc, keywords, &stems),
        competitors(&doc),
        faq(&doc),
        meta(
            "brief.meta_title",
            "Meta title",
            "meta title",
            META_TITLE_CHARS,
            &doc,
        ),
        meta(
            "brief.meta_description",
            "Meta description",
            "meta description",
            META_DESCRIPTION_CHARS,
            &doc,
        ),
        outline_check(&doc),
        word_target_check(&doc),
    ]
}

/// Block index of each section's heading (`None`: missing), in template order.
fn section_positions(doc: &Doc) -> [Option<usize>; 6] {
    let level = doc.section_level();
    SECTIONS.map(|(_, matches)| doc.find_heading(level, 0, matches))
}

fn sections(doc: &Doc) -> Check {
    const ID: &str = "brief.sections";
    const LABEL: &str = "Sections in order";
    let found = section_positions(doc);
    let missing: Vec<String> = SECTIONS
        .iter()
        .zip(found)
        .filter(|(_, at)| at.is_none())
        .map(|((name, _), _)| (*name).to_owned())
        .collect();
    if !missing.is_empty() {
        return Check::new(
            ID,
            LABEL,
            Status::Fail,
            format!("Missing: {}", missing.join(", ")),
        );
    }
    let order: Vec<usize> = found.iter().flatten().copied().collect();
    if order.windows(2).any(|w| w[0] > w[1]) {
        let mut named: Vec<(usize, &str)> = SECTIONS
            .iter()
            .zip(order)
            .map(|((n, _), at)| (at, *n))
            .collect();
        named.sort();
        let seen: Vec<&str> = named.into_iter().map(|(_, n)| n).collect();
        return Check::new(
            ID,
            LABEL,
            Status::Warn,
            format!(
                "All six sections are there, but in the order {}; expected audience & intent, \
                 competitors, strategy, outline, FAQ, guidelines",
                seen.join(", ")
            ),
        );
    }
    Check::new(ID, LABEL, Status::Pass, "All six sections, in order")
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

/// The H1 carries the primary keyword (shared by the brief and draft checks).
pub fn h1_keyword_check(
    id: &'static str,
    doc: &Doc,
    primary: Option<&str>,
    stems: &Stems,
) -> Check {
    const LABEL: &str = "Primary keyword in the H1";
    let Some(keyword) = primary else {
        return Check::new(id, LABEL, Status::Warn, NO_KEYWORD);
    };
    match h1s(doc).first() {
        None => Check::new(id, LABEL, Status::Fail, "There is no H1 (`# ` title)"),
        Some(h1) if mentions(stems, h1, keyword) => Check::new(
            id,
            LABEL,
            Status::Pass,
            format!("“{}” contains “{keyword}”", clip(h1, 100)),
        ),
        Some(h1) => Check::new(
            id,
            LABEL,
            Status::Fail,
            format!("“{}” does not contain “{keyword}”", clip(h1, 100)),
        ),
    }
}

pub const NO_KEYWORD: &str = "No primary keyword is known for this document: it was not \
    generated from one, and none was given (?primary_keyword=)";

fn h1_keyword(doc: &Doc, keywords: &Keywords, stems: &Stems) -> Check {
    h1_keyword_check("brief.h1_keyword", doc, keywords.primary.as_deref(), stems)
}

/// The blocks of the section whose heading `matches`, if the brief has one.
fn section_of<'d>(doc: &'d Doc, matches: fn(&str) -> bool) -> Option<(u8, &'d [Block])> {
    let level = doc.section_level();
    let at = doc.find_heading(level, 0, matches)?;
    Some((level, doc.section(at)))
}

/// Whether a block's text mentions a web address (as a link or written out).
fn has_url(block: &Block) -> bool {
    block
        .links
        .iter()
        .any(|l| l.starts_with("http://") || l.starts_with("https://"))
        || block.text.contains("http://")
        || block.text.contains("https://")
}

/// An entry of a list of things: its title and whether it (or what is under it) has a URL.
struct Entry {
    title: String,
    url: bool,
}

/// The competitors of the competitor section: its table rows, else its sub-headings, else its
/// top-level list items, else its distinct URLs. Parts about the article's gaps or a summary
/// without a URL are not competitors.
fn competitor_entries(level: u8, blocks: &[Block]) -> Vec<Entry> {
    let is_summary = |t: &str| {
        let t = t.to_lowercase();
        ["gap", "summary", "takeaway", "opportunit", "overview"]
            .iter()
            .any(|w| t.contains(w))
    };
    let rows: Vec<Entry> = blocks
        .iter()
        .filter(|b| b.kind == Kind::Row(false))
        .map(|b| Entry {
            title: b.text.split('\t').next().unwrap_or_default().to_owned(),
            url: has_url(b),
        })
        .collect();
    let entries = if !rows.is_empty() {
        rows
    } else if blocks.iter().any(|b| b.level().is_some_and(|l| l > level)) {
        grouped(blocks, |b| b.level().is_some_and(|l| l > level))
    } else {
        grouped(blocks, |b| b.kind == Kind::Item(1))
    };
    let entries: Vec<Entry> = entries
        .into_iter()
        .filter(|e| e.url || !is_summary(&e.title))
        .collect();
    if !entries.is_empty() {
        return entries;
    }
    let mut urls: Vec<&str> = blocks
        .iter()
        .flat_map(|b| b.links.iter().map(String::as_str))
        .filter(|l| l.starts_with("http"))
        .collect();
    urls.sort();
    urls.dedup();
    urls.into_iter()
        .map(|u| Entry {
            title: u.to_owned(),
            url: true,
        })
        .collect()
}

/// Entries that start at each block `starts` picks, with everything up to the next start.
fn grouped(blocks: &[Block], starts: impl Fn(&Block) -> bool) -> Vec<Entry> {
    let mut entries: Vec<Entry> = Vec::new();
    for block in blocks {
        if starts(block) {
            entries.push(Entry {
                title: block.first_line().to_owned(),
                url: has_url(block),
            });
        } else if let Some(last) = entries.last_mut() {
            last.url |= has_url(block);
        }
    }
    entries
}

fn competitors(doc: &Doc) -> Check {
    const ID: &str = "brief.competitors";
    const LABEL: &str = "1–5 competitors, each with a URL";
    let Some((level, blocks)) = section_of(doc, SECTIONS[1].1) else {
        return Check::new(
            ID,
            LABEL,
            Status::Fail,
            "There is no competitor analysis section",
        );
    };
    let entries = competitor_entries(level, blocks);
    let without: Vec<String> = entries
        .iter()
        .filter(|e| !e.url)
        .map(|e| e.title.clone())
        .collect();
    let n = entries.len();
    let (status, detail) = if n == 0 {
        (Status::Fail, "No competitors are listed".to_owned())
    } else if n > MAX_COMPETITORS {
        (
            Status::Fail,
            format!("{n} competitors are listed; at most {MAX_COMPETITORS}"),
        )
    } else if !without.is_empty() {
        (
            Status::Fail,
            format!(
                "{} of {n} have no URL: {}",
                without.len(),
                quoted_list(&without, 3)
            ),
        )
    } else {
        (
            Status::Pass,
            format!(
                "{n} competitor{}, each with a URL",
                if n == 1 { "" } else { "s" }
            ),
        )
    };
    Check::new(ID, LABEL, status, detail)
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

fn faq(doc: &Doc) -> Check {
    const ID: &str = "brief.faq";
    const LABEL: &str = "1–6 FAQ questions";
    if section_of(doc, is_faq_heading).is_none() {
        return Check::new(ID, LABEL, Status::Fail, "There is no FAQ section");
    }
    let n = faq_questions(doc).len();
    match n {
        0 => Check::new(ID, LABEL, Status::Fail, "The FAQ section asks no questions"),
        n if n > MAX_FAQ => Check::new(
            ID,
            LABEL,
            Status::Fail,
            format!("{n} questions; at most {MAX_FAQ}"),
        ),
        n => Check::new(
            ID,
            LABEL,
            Status::Pass,
            format!("{n} question{}", if n == 1 { "" } else { "s" }),
        ),
    }
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

fn meta(id: &'static str, label: &'static str, key: &str, max: usize, doc: &Doc) -> Check {
    let Some(value) = labelled_value(doc, key) else {
        return Check::new(id, label, Status::Fail, format!("No {key} is suggested"));
    };
    let n = value.chars().count();
    let (status, verdict) = if n <= max {
        (Status::Pass, format!("{n} characters (at most {max})"))
    } else {
        (Status::Fail, format!("{n} characters; at most {max}"))
    };
    Check::new(
        id,
        label,
        status,
        format!("“{}”: {verdict}", clip(&value, 200)),
    )
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

fn outline_check(doc: &Doc) -> Check {
    const ID: &str = "brief.outline";
    const LABEL: &str = "Outline with at least 3 H2 sections";
    if section_of(doc, SECTIONS[3].1).is_none() {
        return Check::new(
            ID,
            LABEL,
            Status::Fail,
            "There is no article outline section",
        );
    }
    let entries = outline(doc);
    let n = entries.len();
    let listed = if n == 0 {
        String::new()
    } else {
        format!(": {}", quoted_list(&entries, 8))
    };
    if n >= MIN_OUTLINE {
        Check::new(ID, LABEL, Status::Pass, format!("{n} H2 sections{listed}"))
    } else {
        Check::new(
            ID,
            LABEL,
            Status::Fail,
            format!(
                "{n} H2 section{}{listed}; at least {MIN_OUTLINE}",
                if n == 1 { "" } else { "s" }
            ),
        )
    }
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

fn word_target_check(doc: &Doc) -> Check {
    const ID: &str = "brief.word_target";
    const LABEL: &str = "Suggested word count";
    match word_target(doc) {
        Some(n) => Check::new(
            ID,
            LABEL,
            Status::Pass,
            format!("Suggests about {} words", thousands(n)),
        ),
        None => Check::new(ID, LABEL, Status::Fail, "No suggested word count is stated"),
    }
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
