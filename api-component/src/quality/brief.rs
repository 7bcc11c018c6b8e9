//! The brief checks, in the order the brief template asks for its parts: the six sections, the
//! keyword in the H1, 1–5 competitors with URLs, 1–6 FAQ questions, the meta title and
//! description within their lengths, an outline of at least three H2 sections and a suggested
//! word count. What they read from the text is in [`super::reading`].

use super::reading::{
    SECTIONS, faq_questions, h1s, is_faq_heading, labelled_value, mentions, outline, section_of,
    word_target,
};
use super::text::{Block, Doc, Kind, Stems};
use super::{Check, Keywords, Status, clip, quoted_list, thousands};

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
