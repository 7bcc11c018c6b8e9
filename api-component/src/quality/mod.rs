//! Quality gates: a brief or a draft checked from its text alone (no network, no store), a
//! brief against its keywords, a draft against its brief, its target length, its keywords and
//! its brand data. Each check has a stable id, a status (pass, warn or fail) and a detail a
//! writer can act on; the score is their average (pass 1, warn ½, fail 0) × 100, rounded.
//!
//! - [`text`]: the Markdown read once into blocks, words, stems, syllables, readability.
//! - [`brief`]: the brief checks; [`reading`]: what the checks read from a text (sections,
//!   FAQ questions, labelled values, the outline's H2s, suggested length, stated keyword).
//! - [`draft`]: the draft checks; [`hygiene`]: placeholders and malformed links.
//! - [`brand`]: what the checks read from brand data (words to avoid, reading level), in
//!   either of its shapes.

pub mod brand;
pub mod brief;
pub mod draft;
pub mod hygiene;
pub mod reading;
pub mod text;

use serde::{Deserialize, Serialize};

/// How a check came out.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
#[cfg_attr(feature = "openapi", schema(as = QualityStatus))]
pub enum Status {
    Pass,
    Warn,
    Fail,
}

impl Status {
    /// Points towards the score, in halves.
    fn halves(self) -> u32 {
        match self {
            Status::Pass => 2,
            Status::Warn => 1,
            Status::Fail => 0,
        }
    }
}

/// One check of a document.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(as = QualityCheck))]
pub struct Check {
    /// Stable identifier, e.g. `draft.word_count`.
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub id: &'static str,
    /// What is checked, in a few words.
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub label: &'static str,
    pub status: Status,
    /// What was found, and what is missing or wrong.
    pub detail: String,
}

impl Check {
    pub fn new(
        id: &'static str,
        label: &'static str,
        status: Status,
        detail: impl Into<String>,
    ) -> Self {
        Check {
            id,
            label,
            status,
            detail: detail.into(),
        }
    }
}

/// `GET /api/{briefs|drafts}/{name}/quality`: every check of the document, in a stable order.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(as = QualityReport))]
pub struct Report {
    /// 0 to 100: the average of the checks (pass 1, warn ½, fail 0) × 100, rounded.
    #[cfg_attr(feature = "openapi", schema(minimum = 0, maximum = 100))]
    pub score: u8,
    pub checks: Vec<Check>,
}

impl Report {
    pub fn new(checks: Vec<Check>) -> Self {
        Report {
            score: score(&checks),
            checks,
        }
    }

    /// The score and the ids of the failed checks, as stored with a job and a document.
    pub fn summary(&self) -> Summary {
        Summary {
            score: self.score,
            failed: self
                .checks
                .iter()
                .filter(|c| c.status == Status::Fail)
                .map(|c| c.id.to_owned())
                .collect(),
        }
    }
}

/// The quality of a document version in short: its score and the checks it failed.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(as = QualitySummary))]
pub struct Summary {
    #[cfg_attr(feature = "openapi", schema(minimum = 0, maximum = 100))]
    pub score: u8,
    /// The ids of the checks that failed (warnings are not listed).
    pub failed: Vec<String>,
}

/// Pass 1, warn ½, fail 0, averaged, × 100, rounded half up; 100 for no checks.
fn score(checks: &[Check]) -> u8 {
    if checks.is_empty() {
        return 100;
    }
    let halves: u32 = checks.iter().map(|c| c.status.halves()).sum();
    let n = checks.len() as u32;
    // halves / (2n) × 100, rounded half up, in integers.
    ((halves * 100 + n) / (2 * n)) as u8
}

/// The keywords a document is checked against.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Keywords {
    pub primary: Option<String>,
    pub secondary: Vec<String>,
}

/// What a draft is checked against besides its own text.
#[derive(Default)]
pub struct DraftInputs<'a> {
    /// The brief's Markdown, if known.
    pub brief: Option<&'a str>,
    /// The length asked for; else the brief's suggested word count.
    pub target_words: Option<u64>,
    /// The keywords asked for; else the primary keyword the brief states.
    pub keywords: Keywords,
    /// The brand data (either shape).
    pub brand: Option<&'a serde_json::Value>,
}

/// Checks a brief.
pub fn check_brief(text: &str, keywords: &Keywords) -> Report {
    Report::new(brief::checks(text, keywords))
}

/// Checks a draft.
pub fn check_draft(text: &str, inputs: &DraftInputs) -> Report {
    Report::new(draft::checks(text, inputs))
}

/// `n` with thousands separators: 12,345.
pub(crate) fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// A list of quoted items for a detail, the first `max` of them, then how many more.
pub(crate) fn quoted_list(items: &[String], max: usize) -> String {
    let mut shown: Vec<String> = items
        .iter()
        .take(max)
        .map(|i| format!("“{}”", clip(i, 80)))
        .collect();
    if items.len() > max {
        shown.push(format!("and {} more", items.len() - max));
    }
    shown.join("; ")
}

/// `text` cut to `max` characters, with an ellipsis if it was longer.
pub(crate) fn clip(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_owned();
    }
    let mut out: String = text.chars().take(max.saturating_sub(1)).collect();
    out.push('…');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with(statuses: &[Status]) -> u8 {
        let checks: Vec<Check> = statuses
            .iter()
            .map(|s| Check::new("x", "x", *s, ""))
            .collect();
        score(&checks)
    }

    #[test]
    fn the_score_averages_pass_warn_fail() {
        use Status::*;
        assert_eq!(with(&[Pass, Pass]), 100);
        assert_eq!(with(&[Pass, Fail]), 50);
        assert_eq!(with(&[Pass, Warn, Fail]), 50);
        // 2.5 / 3 = 83.33 → 83; 0.5 / 12 = 4.17 → 4; 1 / 8 = 12.5 → 13 (half up).
        assert_eq!(with(&[Pass, Pass, Warn]), 83);
        assert_eq!(with(&[&[Warn][..], &[Fail; 11][..]].concat()), 4);
        assert_eq!(with(&[&[Warn, Warn][..], &[Fail; 6][..]].concat()), 13);
        assert_eq!(with(&[]), 100);
    }

    #[test]
    fn details_are_short() {
        assert_eq!(thousands(1_234_567), "1,234,567");
        assert_eq!(thousands(999), "999");
        let items: Vec<String> = ["a", "b", "c"].iter().map(|s| s.to_string()).collect();
        assert_eq!(quoted_list(&items, 2), "“a”; “b”; and 1 more");
        assert_eq!(clip("abcdef", 4), "abc…");
    }
}
