//! Word-level differences between two texts, as the review of a proposal shows them: the texts
//! cut into runs that are the same on both sides and numbered hunks that differ, and a text
//! rebuilt from the base by taking only some hunks. Tokens are words and the whitespace between
//! them (`similar`'s word diff), so taking every hunk gives back the proposed text exactly, and
//! taking none the base.

use serde::Serialize;
use similar::{DiffTag, TextDiff};

/// One run of a diff.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Segment {
    /// Text both sides share.
    Same { text: String },
    /// A change: `removed` from the base, `added` in its place (either may be empty).
    Hunk {
        /// 0, 1, 2, … in text order: what `approve` names in `hunks`.
        index: usize,
        removed: String,
        added: String,
    },
}

/// `base` → `proposed` as runs; adjacent changes form one hunk.
pub fn segments(base: &str, proposed: &str) -> Vec<Segment> {
    let diff = TextDiff::from_words(base, proposed);
    let old = |range: std::ops::Range<usize>| -> String {
        range.filter_map(|i| diff.old_slice(i)).collect()
    };
    let new = |range: std::ops::Range<usize>| -> String {
        range.filter_map(|i| diff.new_slice(i)).collect()
    };
    let mut out: Vec<Segment> = Vec::new();
    for op in diff.ops() {
        let (tag, old_range, new_range) = op.as_tag_tuple();
        if tag == DiffTag::Equal {
            out.push(Segment::Same {
                text: old(old_range),
            });
            continue;
        }
        let (removed, added) = (old(old_range), new(new_range));
        match out.last_mut() {
            Some(Segment::Hunk {
                removed: r,
                added: a,
                ..
            }) => {
                r.push_str(&removed);
                a.push_str(&added);
            }
            _ => {
                let index = out
                    .iter()
                    .filter(|s| matches!(s, Segment::Hunk { .. }))
                    .count();
                out.push(Segment::Hunk {
                    index,
                    removed,
                    added,
                });
            }
        }
    }
    out
}

/// The base with the hunks for which `take` says yes applied.
pub fn apply(segments: &[Segment], take: impl Fn(usize) -> bool) -> String {
    let mut out = String::new();
    for s in segments {
        match s {
            Segment::Same { text } => out.push_str(text),
            Segment::Hunk {
                index,
                removed,
                added,
            } => out.push_str(if take(*index) { added } else { removed }),
        }
    }
    out
}

/// How many hunks `segments` hold.
pub fn hunk_count(segments: &[Segment]) -> usize {
    segments
        .iter()
        .filter(|s| matches!(s, Segment::Hunk { .. }))
        .count()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn all_hunks_give_the_proposal_and_none_the_base() {
        let base = "# Title\n\nThe quick brown fox jumps over the lazy dog.\n\nEnd.";
        let proposed = "# Better title\n\nThe quick red fox jumps over the dog.\n\nEnd.\n";
        let s = segments(base, proposed);
        assert_eq!(apply(&s, |_| true), proposed);
        assert_eq!(apply(&s, |_| false), base);
        let n = hunk_count(&s);
        assert!(n >= 3, "{s:?}");
        // Only the first hunk: the title changes, nothing else.
        let first = apply(&s, |i| i == 0);
        assert!(first.starts_with("# Better title\n"), "{first}");
        assert!(
            first.contains("brown fox") && first.contains("lazy dog"),
            "{first}"
        );
    }

    #[test]
    fn identical_texts_have_no_hunk() {
        let s = segments("same words", "same words");
        assert_eq!(hunk_count(&s), 0);
        assert_eq!(apply(&s, |_| true), "same words");
        assert_eq!(segments("", "new").len(), 1);
    }
}
