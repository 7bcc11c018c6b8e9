//! The draft checks: length against the target, the primary keyword where the template puts
//! it (H1, first 100 words of the introduction, an H2) and not stuffed, the brief's outline
//! and questions covered, heading levels, readability for the brand's audience, no
//! placeholders, well-formed distinct links, and none of the brand's words to avoid.
//!
//! "Covered" is tolerant: a brief's heading is matched by a draft heading when at least 60 %
//! of the brief heading's distinct content words (Snowball stems, common words left out) are
//! among the draft heading's.

use super::brand::{self, Brand};
use super::brief;
use super::hygiene::{placeholders, well_formed};
use super::reading;
use super::text::{self, Block, Doc, Kind, Stems, count_phrase, coverage};
use super::{Check, DraftInputs, Status, clip, quoted_list, thousands};

/// The share of a brief heading's words a draft heading must have to cover it.
pub const COVERAGE: f64 = 0.6;
const INTRO_WORDS: usize = 100;
const MAX_DENSITY_PERCENT: f64 = 2.5;
/// Flesch reading ease expected when the brand states no reading level.
const EASE_RANGE: (f64, f64) = (40.0, 80.0);

/// What the checks share: the draft read once, and what it is checked against.
struct Draft<'a> {
    doc: Doc,
    text: &'a str,
    stems: Stems,
    /// Stems of every word of the draft, in order.
    all: Vec<String>,
    brief: Option<Doc>,
    primary: Option<String>,
    target: Option<u64>,
    brand: Brand,
}

/// Every draft check, in order.
pub fn checks(text: &str, inputs: &DraftInputs) -> Vec<Check> {
    let doc = Doc::parse(text);
    let stems = Stems::english();
    let all = doc.blocks.iter().flat_map(|b| stems.all(&b.text)).collect();
    let brief = inputs.brief.map(Doc::parse);
    let primary = inputs
        .keywords
        .primary
        .clone()
        .or_else(|| brief.as_ref().and_then(reading::stated_keyword));
    let target = inputs
        .target_words
        .or_else(|| brief.as_ref().and_then(reading::word_target));
    let d = Draft {
        doc,
        text,
        stems,
        all,
        brief,
        primary,
        target,
        brand: inputs.brand.map(brand::read).unwrap_or_default(),
    };
    vec![
        d.word_count(),
        brief::h1_keyword_check("draft.h1_keyword", &d.doc, d.primary.as_deref(), &d.stems),
        d.intro_keyword(),
        d.h2_keyword(),
        d.outline_coverage(),
        d.faq(),
        d.heading_levels(),
        d.keyword_density(),
        d.readability(),
        d.placeholders(),
        d.links(),
        d.banned_terms(),
    ]
}

impl Draft<'_> {
    fn no_keyword(&self, id: &'static str, label: &'static str) -> Option<Check> {
        self.primary
            .is_none()
            .then(|| Check::new(id, label, Status::Warn, brief::NO_KEYWORD))
    }

    fn word_count(&self) -> Check {
        const ID: &str = "draft.word_count";
        const LABEL: &str = "Length within 10 % of the target";
        let n = crate::render::markdown_word_count(self.text);
        let Some(target) = self.target.filter(|t| *t > 0) else {
            return Check::new(
                ID,
                LABEL,
                Status::Warn,
                format!(
                    "{} words; no target is known (the draft was not generated with one and its \
                     brief suggests none)",
                    thousands(n)
                ),
            );
        };
        let off = (n as f64 - target as f64) / target as f64 * 100.0;
        let status = match off.abs() {
            d if d <= 10.0 => Status::Pass,
            d if d <= 20.0 => Status::Warn,
            _ => Status::Fail,
        };
        Check::new(
            ID,
            LABEL,
            status,
            format!(
                "{} words for a target of {} ({off:+.1} %)",
                thousands(n),
                thousands(target)
            ),
        )
    }

    /// The first words of the introduction: its section when a heading names it, else the
    /// text after the H1.
    fn intro_words(&self) -> Vec<String> {
        let blocks = &self.doc.blocks;
        let intro = self
            .doc
            .headings()
            .find(|(_, l, t)| *l > 1 && t.to_lowercase().contains("introduction"))
            .map(|(i, _, _)| self.doc.section(i));
        let after_h1 = || {
            let start = self
                .doc
                .headings()
                .find(|(_, l, _)| *l == 1)
                .map_or(0, |(i, _, _)| i + 1);
            &blocks[start.min(blocks.len())..]
        };
        intro
            .unwrap_or_else(after_h1)
            .iter()
            .filter(|b| b.kind != Kind::Code && b.level().is_none())
            .flat_map(|b| self.stems.all(&b.text))
            .take(INTRO_WORDS)
            .collect()
    }

    fn intro_keyword(&self) -> Check {
        const ID: &str = "draft.intro_keyword";
        const LABEL: &str = "Primary keyword in the first 100 words";
        if let Some(c) = self.no_keyword(ID, LABEL) {
            return c;
        }
        let keyword = self.primary.as_deref().unwrap_or_default();
        let found = count_phrase(&self.intro_words(), &self.stems.all(keyword)) > 0;
        if found {
            Check::new(
                ID,
                LABEL,
                Status::Pass,
                format!("The introduction uses “{keyword}” early"),
            )
        } else {
            Check::new(
                ID,
                LABEL,
                Status::Fail,
                format!("“{keyword}” is not in the first {INTRO_WORDS} words of the introduction"),
            )
        }
    }

    fn h2_keyword(&self) -> Check {
        const ID: &str = "draft.h2_keyword";
        const LABEL: &str = "Primary keyword in an H2";
        if let Some(c) = self.no_keyword(ID, LABEL) {
            return c;
        }
        let keyword = self.primary.as_deref().unwrap_or_default();
        let hit = self
            .doc
            .headings()
            .find(|(_, l, t)| *l == 2 && reading::mentions(&self.stems, t, keyword));
        match hit {
            Some((_, _, h2)) => Check::new(ID, LABEL, Status::Pass, format!("“{}”", clip(h2, 100))),
            None => Check::new(
                ID,
                LABEL,
                Status::Fail,
                format!("No H2 contains “{keyword}”"),
            ),
        }
    }

    /// The draft headings (H2 and H3) as content stems.
    fn heading_stems(&self, in_section: Option<&[Block]>) -> Vec<Vec<String>> {
        let blocks = in_section.unwrap_or(&self.doc.blocks);
        blocks
            .iter()
            .filter(|b| matches!(b.level(), Some(2 | 3)))
            .map(|b| self.stems.content(&b.text))
            .collect()
    }

    /// The entries of `wanted` no draft heading in `found` covers.
    fn uncovered(&self, wanted: &[String], found: &[Vec<String>]) -> Vec<String> {
        wanted
            .iter()
            .filter(|w| {
                let w = self.stems.content(w);
                !found.iter().any(|f| coverage(&w, f) >= COVERAGE)
            })
            .cloned()
            .collect()
    }

    fn outline_coverage(&self) -> Check {
        const ID: &str = "draft.outline_coverage";
        const LABEL: &str = "Every H2 of the brief's outline";
        let Some(brief) = &self.brief else {
            return Check::new(ID, LABEL, Status::Warn, "No brief is known to compare with");
        };
        let planned = reading::outline(brief);
        if planned.is_empty() {
            return Check::new(
                ID,
                LABEL,
                Status::Warn,
                "The brief's outline lists no H2 sections",
            );
        }
        let missing = self.uncovered(&planned, &self.heading_stems(None));
        if missing.is_empty() {
            let n = planned.len();
            return Check::new(
                ID,
                LABEL,
                Status::Pass,
                format!("All {n} H2 sections of the brief are here"),
            );
        }
        Check::new(
            ID,
            LABEL,
            Status::Fail,
            format!(
                "Missing {} of {}: {}",
                missing.len(),
                planned.len(),
                quoted_list(&missing, 6)
            ),
        )
    }

    fn faq(&self) -> Check {
        const ID: &str = "draft.faq";
        const LABEL: &str = "FAQ answering the brief's questions";
        let level = self.doc.section_level();
        let Some(at) = self.doc.find_heading(level, 0, reading::is_faq_heading) else {
            return Check::new(ID, LABEL, Status::Fail, "There is no FAQ section");
        };
        let section = self.doc.section(at);
        let asked = reading::questions(section);
        if asked.is_empty() {
            return Check::new(ID, LABEL, Status::Fail, "The FAQ section has no questions");
        }
        let wanted = self
            .brief
            .as_ref()
            .map(reading::faq_questions)
            .unwrap_or_default();
        let asked_stems: Vec<Vec<String>> = asked.iter().map(|q| self.stems.content(q)).collect();
        let missing = self.uncovered(&wanted, &asked_stems);
        if missing.is_empty() {
            let of_brief = if wanted.is_empty() {
                ""
            } else {
                ", the brief's included"
            };
            return Check::new(
                ID,
                LABEL,
                Status::Pass,
                format!("{} questions answered{of_brief}", asked.len()),
            );
        }
        Check::new(
            ID,
            LABEL,
            Status::Warn,
            format!(
                "{} of the brief's {} questions are not answered: {}",
                missing.len(),
                wanted.len(),
                quoted_list(&missing, 4)
            ),
        )
    }

    fn heading_levels(&self) -> Check {
        const ID: &str = "draft.heading_levels";
        const LABEL: &str = "One H1, no skipped heading levels";
        let mut problems = Vec::new();
        let h1 = self.doc.headings().filter(|(_, l, _)| *l == 1).count();
        if h1 != 1 {
            problems.push(format!("{h1} H1 headings (one wanted)"));
        }
        let mut previous = 0u8;
        for (_, level, text) in self.doc.headings() {
            if previous > 0 && level > previous + 1 {
                problems.push(format!(
                    "H{level} “{}” follows an H{previous}",
                    clip(text, 60)
                ));
            }
            previous = level;
        }
        if problems.is_empty() {
            Check::new(
                ID,
                LABEL,
                Status::Pass,
                "One H1; every heading one level at most below the one before",
            )
        } else {
            let more = problems.len().saturating_sub(4);
            problems.truncate(4);
            if more > 0 {
                problems.push(format!("and {more} more"));
            }
            Check::new(ID, LABEL, Status::Fail, problems.join("; "))
        }
    }

    fn keyword_density(&self) -> Check {
        const ID: &str = "draft.keyword_density";
        const LABEL: &str = "Keyword density at most 2.5 %";
        if let Some(c) = self.no_keyword(ID, LABEL) {
            return c;
        }
        let keyword = self.primary.as_deref().unwrap_or_default();
        let phrase = self.stems.all(keyword);
        let uses = count_phrase(&self.all, &phrase);
        let total = self.all.len().max(1);
        let density = (uses * phrase.len()) as f64 / total as f64 * 100.0;
        let detail = format!(
            "{density:.1} %: “{keyword}” {uses} time{} in {} words",
            if uses == 1 { "" } else { "s" },
            thousands(total as u64)
        );
        let status = if density <= MAX_DENSITY_PERCENT {
            Status::Pass
        } else {
            Status::Fail
        };
        Check::new(ID, LABEL, status, detail)
    }

    fn readability(&self) -> Check {
        const ID: &str = "draft.readability";
        const LABEL: &str = "Readability for the audience";
        let Some(r) = text::readability(self.doc.blocks.iter()) else {
            return Check::new(ID, LABEL, Status::Warn, "There is no prose to measure");
        };
        let figures = format!(
            "Flesch reading ease {:.0}, grade level {:.1}",
            r.ease, r.grade
        );
        let (inside, expected) = match self.brand.grades {
            Some((low, high)) => (
                (low..=high).contains(&r.grade),
                format!("the brand's audience reads at grade {low:.0}–{high:.0}"),
            ),
            None => (
                (EASE_RANGE.0..=EASE_RANGE.1).contains(&r.ease),
                format!(
                    "reading ease {:.0}–{:.0} expected",
                    EASE_RANGE.0, EASE_RANGE.1
                ),
            ),
        };
        let status = if inside { Status::Pass } else { Status::Warn };
        Check::new(ID, LABEL, status, format!("{figures}; {expected}"))
    }

    fn placeholders(&self) -> Check {
        const ID: &str = "draft.placeholders";
        const LABEL: &str = "No placeholders or AI boilerplate";
        let found = placeholders(self.text);
        if found.is_empty() {
            return Check::new(ID, LABEL, Status::Pass, "None found");
        }
        Check::new(ID, LABEL, Status::Fail, found.join("; "))
    }

    fn links(&self) -> Check {
        const ID: &str = "draft.links";
        const LABEL: &str = "Well-formed, distinct links";
        let links: Vec<&str> = self
            .doc
            .blocks
            .iter()
            .flat_map(|b| b.links.iter().map(String::as_str))
            .filter(|l| !l.starts_with('#') && !l.starts_with("mailto:"))
            .collect();
        let bad: Vec<String> = links
            .iter()
            .filter(|l| !well_formed(l))
            .map(|l| l.to_string())
            .collect();
        let mut seen: Vec<String> = Vec::new();
        let mut repeated: Vec<String> = Vec::new();
        for link in &links {
            let key = link.trim_end_matches('/').to_lowercase();
            if seen.contains(&key) {
                if !repeated.contains(&link.to_string()) {
                    repeated.push(link.to_string());
                }
            } else {
                seen.push(key);
            }
        }
        if !bad.is_empty() {
            return Check::new(
                ID,
                LABEL,
                Status::Fail,
                format!("Not absolute http(s) addresses: {}", quoted_list(&bad, 4)),
            );
        }
        if !repeated.is_empty() {
            return Check::new(
                ID,
                LABEL,
                Status::Warn,
                format!("Linked more than once: {}", quoted_list(&repeated, 4)),
            );
        }
        let n = links.len();
        let detail = match n {
            0 => "No links to other pages".to_owned(),
            n => format!(
                "{n} link{}, all well-formed and distinct",
                if n == 1 { "" } else { "s" }
            ),
        };
        Check::new(ID, LABEL, Status::Pass, detail)
    }

    fn banned_terms(&self) -> Check {
        const ID: &str = "draft.banned_terms";
        const LABEL: &str = "None of the brand's words to avoid";
        if self.brand.avoid.is_empty() {
            return Check::new(
                ID,
                LABEL,
                Status::Pass,
                "The brand data lists no words to avoid",
            );
        }
        let used: Vec<String> = self
            .brand
            .avoid
            .iter()
            .filter_map(|term| {
                let n = count_phrase(&self.all, &self.stems.all(term));
                (n > 0).then(|| format!("“{}” ({n}×)", clip(term, 60)))
            })
            .collect();
        if used.is_empty() {
            let n = self.brand.avoid.len();
            return Check::new(
                ID,
                LABEL,
                Status::Pass,
                format!("None of the {n} words to avoid is used"),
            );
        }
        Check::new(ID, LABEL, Status::Fail, format!("Uses {}", used.join("; ")))
    }
}
