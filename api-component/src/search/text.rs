//! Words as search sees them, in one pure place used by indexing and by queries alike: a
//! document's plain text, its words with their positions, how a word is folded into the term the
//! index keeps, and the snippet that shows a match.
//!
//! Words are found by [`crate::words`]. Folding: lower case; accents dropped
//! ([`fold_accents`], so `Café`, `CAFÉ` and `cafe` are one term); a possessive `'s` dropped and
//! other apostrophes removed (`don't` → `dont`); then English plurals folded to their singular
//! ([`singular`]).

use std::collections::HashSet;

use crate::words::{self, fold_accents};

use crate::names::Format;

/// A word of a text: where it is (byte offsets) and the term it folds to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Token {
    pub start: usize,
    pub end: usize,
    pub term: String,
}

/// The words of `text`, in order.
pub fn tokens(text: &str) -> impl Iterator<Item = Token> + '_ {
    words::spans(text).filter_map(|(start, end)| {
        let term = fold(&text[start..end]);
        (!term.is_empty()).then_some(Token { start, end, term })
    })
}

/// The term a word is kept and looked up as (see the module docs).
pub fn fold(word: &str) -> String {
    let folded = fold_accents(words::strip_possessive(word))
        .chars()
        .filter(|&c| !words::is_apostrophe(c))
        .collect();
    singular(folded)
}

/// English plurals folded to the singular, by a few suffix rules (words of four letters or
/// more, letters only): `-ies` → `-y` (`-ie` for four letters: `ties`), `-sses`, `-xes`,
/// `-ches`, `-shes`, `-zzes` drop `-es`, and a final `s` goes unless the word ends in `ss`, `us`
/// or `is` (`glass`, `status`, `analysis`). Rules rather than a stemmer: they change only
/// plurals, so a highlighted match is always the word asked for, in the singular or the plural.
pub fn singular(word: String) -> String {
    let letters = word.chars().count();
    if letters < 4 || !word.chars().all(char::is_alphabetic) {
        return word;
    }
    let cut = |n: usize| word[..word.len() - n].to_owned();
    if word.ends_with("ies") {
        return if letters > 4 { cut(3) + "y" } else { cut(1) };
    }
    if ["sses", "xes", "ches", "shes", "zzes"]
        .iter()
        .any(|s| word.ends_with(s))
    {
        return cut(2);
    }
    if word.ends_with('s') && !["ss", "us", "is"].iter().any(|s| word.ends_with(s)) {
        return cut(1);
    }
    word
}

/// The text a reader sees in a document, whitespace collapsed to single spaces: Markdown
/// without its syntax (text and code; raw HTML left out), brand data's strings and numbers
/// (not its keys) joined with ` · `. What is indexed and what snippets are cut from.
pub fn plain_text(format: Format, content: &str) -> String {
    let mut out = Collapsed::default();
    match format {
        Format::Markdown => {
            use pulldown_cmark::{Event, Parser};
            for event in Parser::new_ext(content, crate::render::markdown_options()) {
                match event {
                    Event::Text(t) | Event::Code(t) => out.push(&t),
                    Event::Html(_) | Event::InlineHtml(_) => {}
                    // Block and inline boundaries: a space keeps words apart.
                    _ => out.push(" "),
                }
            }
        }
        Format::Json => match serde_json::from_str::<serde_json::Value>(content) {
            Ok(value) => json_text(&value, &mut out),
            Err(_) => out.push(content),
        },
    }
    out.finish()
}

fn json_text(value: &serde_json::Value, out: &mut Collapsed) {
    use serde_json::Value;
    let mut leaf = |text: &str| {
        if !text.trim().is_empty() {
            if !out.text.is_empty() {
                out.push(" · ");
            }
            out.push(text);
        }
    };
    match value {
        Value::String(s) => leaf(s),
        Value::Number(n) => leaf(&n.to_string()),
        Value::Array(items) => items.iter().for_each(|v| json_text(v, out)),
        Value::Object(map) => map.values().for_each(|v| json_text(v, out)),
        Value::Bool(_) | Value::Null => {}
    }
}

/// Text built piece by piece with every run of whitespace written as one space.
#[derive(Default)]
struct Collapsed {
    text: String,
    space: bool,
}

impl Collapsed {
    fn push(&mut self, piece: &str) {
        for c in piece.chars() {
            if c.is_whitespace() {
                self.space = !self.text.is_empty();
            } else {
                if self.space {
                    self.text.push(' ');
                    self.space = false;
                }
                self.text.push(c);
            }
        }
    }

    fn finish(self) -> String {
        self.text
    }
}

/// A short passage of a document around its first match.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Snippet {
    /// Plain text (never HTML): about [`SNIPPET_CHARS`] characters, with `…` where it was cut.
    pub text: String,
    /// Each matched word as `[start, end)` offsets into `text`, in UTF-16 code units (what
    /// JavaScript's `String.prototype.slice` takes), in order.
    #[cfg_attr(feature = "openapi", schema(value_type = Vec<Vec<u32>>))]
    pub matches: Vec<[u32; 2]>,
}

/// About how many characters a snippet shows.
pub const SNIPPET_CHARS: usize = 200;
/// How many characters of context a snippet keeps before its first match, at most.
const LEAD_CHARS: usize = 60;

/// The passage of `text` around the first word whose term is one of `terms` (the start of the
/// text when none is), with every such word in it marked.
pub fn snippet(text: &str, terms: &HashSet<String>) -> Snippet {
    let first = tokens(text).find(|t| terms.contains(&t.term));
    let from = match &first {
        // Back up to LEAD_CHARS characters, then forward to the start of a word.
        Some(hit) => {
            let back = floor_chars(text, hit.start, LEAD_CHARS);
            // A word cut in two by `back` is left out.
            let cut = text[..back]
                .chars()
                .next_back()
                .is_some_and(char::is_alphanumeric);
            tokens(&text[back..hit.start])
                .skip(usize::from(cut))
                .next()
                .map_or(hit.start, |t| back + t.start)
        }
        None => 0,
    };
    let limit = ceil_chars(text, from, SNIPPET_CHARS);
    // End at the end of a word when the text goes on.
    let to = if limit >= text.len() {
        text.len()
    } else {
        tokens(&text[from..limit])
            .filter(|t| from + t.end < limit || text[limit..].starts_with(' '))
            .last()
            .map_or(limit, |t| from + t.end)
    };
    let mut out = String::new();
    if from > 0 {
        out.push('…');
    }
    let base = utf16_len(&out);
    out.push_str(&text[from..to]);
    let mut matches = Vec::new();
    let mut units = base;
    let mut at = from;
    for t in tokens(&text[from..to]).filter(|t| terms.contains(&t.term)) {
        let (start, end) = (from + t.start, from + t.end);
        units += utf16_len(&text[at..start]);
        let len = utf16_len(&text[start..end]);
        matches.push([units as u32, (units + len) as u32]);
        units += len;
        at = end;
    }
    if to < text.len() {
        out.push('…');
    }
    Snippet { text: out, matches }
}

fn utf16_len(s: &str) -> usize {
    s.chars().map(char::len_utf16).sum()
}

/// The byte offset `n` characters before `at` (or 0).
fn floor_chars(text: &str, at: usize, n: usize) -> usize {
    text[..at]
        .char_indices()
        .rev()
        .nth(n.saturating_sub(1))
        .map_or(0, |(i, _)| i)
}

/// The byte offset `n` characters after `at` (or the end).
fn ceil_chars(text: &str, at: usize, n: usize) -> usize {
    text[at..]
        .char_indices()
        .nth(n)
        .map_or(text.len(), |(i, _)| at + i)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn terms(text: &str) -> Vec<String> {
        tokens(text).map(|t| t.term).collect()
    }

    #[test]
    fn words_fold_case_accents_and_plurals() {
        assert_eq!(terms("Café CAFÉ cafe cafés"), ["cafe"; 4]);
        assert_eq!(terms("Straße Ærø Łódź"), ["strasse", "aero", "lodz"]);
        // Decomposed input (e + combining acute) folds like the composed letter.
        assert_eq!(terms("cafe\u{301}"), ["cafe"]);
        assert_eq!(
            terms("shoes boxes churches glasses ponies ties brands"),
            ["shoe", "box", "church", "glass", "pony", "tie", "brand"]
        );
        assert_eq!(
            terms("status analysis glass gas its 2024s"),
            ["status", "analysis", "glass", "gas", "its", "2024s"]
        );
        assert_eq!(
            terms("The brand's voice, don’t 'quote'"),
            ["the", "brand", "voice", "dont", "quote"]
        );
        assert_eq!(
            terms("trail-running 4mm rock_plate"),
            ["trail", "running", "4mm", "rock", "plate"]
        );
    }

    #[test]
    fn markdown_and_json_become_the_text_a_reader_sees() {
        let md = "# Trail *shoes*\n\n- wet  `rock`\n<b>x</b>\n\nA [link](http://e.com).";
        assert_eq!(
            plain_text(Format::Markdown, md),
            "Trail shoes wet rock x A link ."
        );
        let json = r#"{"brandInfo": {"companyName": "Acme", "founded": 1999, "ok": true}}"#;
        assert_eq!(plain_text(Format::Json, json), "Acme · 1999");
    }

    #[test]
    fn a_snippet_marks_matches_in_utf16_units() {
        let wanted: HashSet<String> = ["shoe".to_owned()].into();
        let s = snippet("Émile’s 😀 trail Shoes are shoes.", &wanted);
        assert_eq!(s.text, "Émile’s 😀 trail Shoes are shoes.");
        let units: Vec<u16> = s.text.encode_utf16().collect();
        let words: Vec<String> = s
            .matches
            .iter()
            .map(|[a, b]| String::from_utf16(&units[*a as usize..*b as usize]).unwrap())
            .collect();
        assert_eq!(words, ["Shoes", "shoes"]);
    }

    #[test]
    fn a_long_text_is_cut_around_the_first_match_at_word_boundaries() {
        let text = format!("{}needle {}", "alpha ".repeat(100), "omega ".repeat(100));
        let wanted: HashSet<String> = ["needle".to_owned()].into();
        let s = snippet(text.trim(), &wanted);
        assert!(s.text.starts_with("…alpha"), "{}", s.text);
        assert!(s.text.ends_with("omega…"), "{}", s.text);
        assert!(s.text.chars().count() <= SNIPPET_CHARS + 2);
        let [a, b] = s.matches[0];
        let units: Vec<u16> = s.text.encode_utf16().collect();
        assert_eq!(
            String::from_utf16(&units[a as usize..b as usize]).unwrap(),
            "needle"
        );
        // No match: the start of the text.
        let none = snippet("just words here", &HashSet::new());
        assert_eq!(
            (none.text.as_str(), none.matches.len()),
            ("just words here", 0)
        );
    }
}
