//! The text side of the checks: a Markdown document read once (pulldown-cmark) into a flat list
//! of blocks (headings, paragraphs, list items, table rows) with their links, and the word
//! tools over it (words as [`crate::words`] finds them): Snowball stems for tolerant matching, phrases, syllables and the
//! Flesch readability figures.

use pulldown_cmark::{Event, HeadingLevel, Options, Parser, Tag, TagEnd};
use rust_stemmers::{Algorithm, Stemmer};

use crate::words::{fold_accents, strip_possessive, words};

/// What a block is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// A heading of level 1 to 6.
    Heading(u8),
    Paragraph,
    /// A list item (its own text, not its nested lists), with its depth (1 = top level).
    Item(u8),
    /// A table row; `true` for the header row.
    Row(bool),
    Code,
}

/// One block of the document, its inline markup dropped.
#[derive(Clone, Debug)]
pub struct Block {
    pub kind: Kind,
    /// The text; soft and hard line breaks kept as `\n`, table cells separated by `\t`.
    pub text: String,
    /// The destinations of the links in it.
    pub links: Vec<String>,
}

impl Block {
    pub fn level(&self) -> Option<u8> {
        match self.kind {
            Kind::Heading(l) => Some(l),
            _ => None,
        }
    }

    /// Prose a reader reads as sentences: paragraphs and list items.
    pub fn is_prose(&self) -> bool {
        matches!(self.kind, Kind::Paragraph | Kind::Item(_))
    }

    /// The first line of its text, trimmed.
    pub fn first_line(&self) -> &str {
        self.text.lines().next().unwrap_or_default().trim()
    }
}

/// A Markdown document as blocks, in reading order.
pub struct Doc {
    pub blocks: Vec<Block>,
}

fn options() -> Options {
    Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH | Options::ENABLE_TASKLISTS
}

impl Doc {
    pub fn parse(text: &str) -> Doc {
        let mut blocks: Vec<Block> = Vec::new();
        // Open containers that collect text: indices into `blocks`.
        let mut open: Vec<usize> = Vec::new();
        let mut list_depth = 0u8;
        let mut in_image = 0u32;
        let start = |blocks: &mut Vec<Block>, open: &mut Vec<usize>, kind| {
            blocks.push(Block {
                kind,
                text: String::new(),
                links: Vec::new(),
            });
            open.push(blocks.len() - 1);
        };
        for event in Parser::new_ext(text, options()) {
            match event {
                Event::Start(Tag::Heading { level, .. }) => {
                    start(&mut blocks, &mut open, Kind::Heading(heading_number(level)))
                }
                Event::Start(Tag::Paragraph) => {
                    // A paragraph inside a list item is part of the item.
                    let in_item = open
                        .last()
                        .is_some_and(|i| matches!(blocks[*i].kind, Kind::Item(_)));
                    if in_item {
                        let item = &mut blocks[*open.last().unwrap_or(&0)];
                        if !item.text.is_empty() {
                            item.text.push('\n');
                        }
                    } else {
                        start(&mut blocks, &mut open, Kind::Paragraph);
                    }
                }
                Event::Start(Tag::List(_)) => list_depth = list_depth.saturating_add(1),
                Event::End(TagEnd::List(_)) => list_depth = list_depth.saturating_sub(1),
                Event::Start(Tag::Item) => start(&mut blocks, &mut open, Kind::Item(list_depth)),
                Event::Start(Tag::TableHead) => start(&mut blocks, &mut open, Kind::Row(true)),
                Event::Start(Tag::TableRow) => start(&mut blocks, &mut open, Kind::Row(false)),
                Event::Start(Tag::TableCell) => {
                    if let Some(row) = open.last().map(|i| &mut blocks[*i])
                        && !row.text.is_empty()
                    {
                        row.text.push('\t');
                    }
                }
                Event::Start(Tag::CodeBlock(_)) => start(&mut blocks, &mut open, Kind::Code),
                Event::Start(Tag::Image { .. }) => in_image += 1,
                Event::End(TagEnd::Image) => in_image = in_image.saturating_sub(1),
                Event::Start(Tag::Link { dest_url, .. }) => {
                    if let Some(i) = open.last() {
                        blocks[*i].links.push(dest_url.into_string());
                    }
                }
                Event::End(
                    TagEnd::Heading(_)
                    | TagEnd::Item
                    | TagEnd::TableHead
                    | TagEnd::TableRow
                    | TagEnd::CodeBlock,
                ) => {
                    open.pop();
                }
                Event::End(TagEnd::Paragraph) => {
                    if open
                        .last()
                        .is_some_and(|i| blocks[*i].kind == Kind::Paragraph)
                    {
                        open.pop();
                    }
                }
                Event::Text(t) | Event::Code(t) if in_image == 0 => {
                    if let Some(i) = open.last() {
                        blocks[*i].text.push_str(&t);
                    }
                }
                Event::SoftBreak | Event::HardBreak => {
                    if let Some(i) = open.last() {
                        blocks[*i].text.push('\n');
                    }
                }
                _ => {}
            }
        }
        for block in &mut blocks {
            let trimmed = block.text.trim();
            if trimmed.len() != block.text.len() {
                block.text = trimmed.to_owned();
            }
        }
        Doc { blocks }
    }

    /// The headings, with their block index.
    pub fn headings(&self) -> impl Iterator<Item = (usize, u8, &str)> {
        self.blocks
            .iter()
            .enumerate()
            .filter_map(|(i, b)| b.level().map(|l| (i, l, b.text.as_str())))
    }

    /// The blocks under heading `index`, up to the next heading of its level or above.
    pub fn section(&self, index: usize) -> &[Block] {
        let level = self.blocks[index].level().unwrap_or(1);
        let rest = &self.blocks[index + 1..];
        let end = rest
            .iter()
            .position(|b| b.level().is_some_and(|l| l <= level))
            .unwrap_or(rest.len());
        &rest[..end]
    }

    /// The smallest heading level below the title (usually 2): the level of a document's
    /// sections.
    pub fn section_level(&self) -> u8 {
        self.headings()
            .map(|(_, l, _)| l)
            .filter(|l| *l > 1)
            .min()
            .unwrap_or(2)
    }

    /// The first heading at `level` whose lowercase text `matches`, from block `from` on.
    pub fn find_heading(&self, level: u8, from: usize, matches: fn(&str) -> bool) -> Option<usize> {
        self.headings()
            .find(|(i, l, text)| *i >= from && *l == level && matches(&text.to_lowercase()))
            .map(|(i, _, _)| i)
    }
}

fn heading_number(level: HeadingLevel) -> u8 {
    match level {
        HeadingLevel::H1 => 1,
        HeadingLevel::H2 => 2,
        HeadingLevel::H3 => 3,
        HeadingLevel::H4 => 4,
        HeadingLevel::H5 => 5,
        HeadingLevel::H6 => 6,
    }
}

/// Words that carry no meaning of their own in a heading or a keyword.
const STOPWORDS: &[&str] = &[
    "a", "an", "and", "are", "as", "at", "be", "by", "can", "do", "does", "for", "from", "how",
    "in", "into", "is", "it", "its", "of", "on", "or", "our", "the", "their", "this", "to", "what",
    "when", "where", "which", "who", "why", "with", "you", "your",
];

/// Lowercases, folds and stems words, so that `Starters`, `starter` and `starter's` compare
/// equal.
pub struct Stems(Stemmer);

impl Stems {
    pub fn english() -> Self {
        Stems(Stemmer::create(Algorithm::English))
    }

    /// The stem of one word: without its possessive, in lower case with its accents folded
    /// (so a keyword typed `cafe` finds `Café`), then Snowball's English stem.
    pub fn stem(&self, word: &str) -> String {
        let folded = fold_accents(strip_possessive(word));
        self.0.stem(&folded).into_owned()
    }

    /// The stems of every word of `text`, in order.
    pub fn all(&self, text: &str) -> Vec<String> {
        words(text).map(|w| self.stem(w)).collect()
    }

    /// The stems of the words of `text` that carry meaning (all of them if none does).
    pub fn content(&self, text: &str) -> Vec<String> {
        let kept: Vec<String> = words(text)
            .filter(|w| !STOPWORDS.contains(&w.to_lowercase().as_str()))
            .map(|w| self.stem(w))
            .collect();
        if kept.is_empty() {
            self.all(text)
        } else {
            kept
        }
    }
}

/// How many times `phrase` (stems) occurs as consecutive words of `haystack` (stems).
pub fn count_phrase(haystack: &[String], phrase: &[String]) -> usize {
    if phrase.is_empty() || phrase.len() > haystack.len() {
        return 0;
    }
    haystack
        .windows(phrase.len())
        .filter(|w| w.iter().zip(phrase).all(|(a, b)| a == b))
        .count()
}

/// The share of `wanted`'s distinct words found in `found` (0 to 1): how well a heading covers
/// another.
pub fn coverage(wanted: &[String], found: &[String]) -> f64 {
    let mut distinct: Vec<&String> = wanted.iter().collect();
    distinct.sort();
    distinct.dedup();
    if distinct.is_empty() {
        return 0.0;
    }
    let hits = distinct.iter().filter(|w| found.contains(w)).count();
    hits as f64 / distinct.len() as f64
}

/// Syllables in an English word, by vowel groups: a silent final `e` and the `-es`/`-ed`
/// endings that add none are not counted; every word has at least one.
pub fn syllables(word: &str) -> u32 {
    let w: Vec<char> = word
        .chars()
        .filter(|c| c.is_alphabetic())
        .flat_map(char::to_lowercase)
        .collect();
    if w.len() <= 3 {
        return 1;
    }
    let vowel = |c: char| matches!(c, 'a' | 'e' | 'i' | 'o' | 'u' | 'y');
    let mut count = 0u32;
    let mut previous = false;
    for &c in &w {
        let v = vowel(c);
        if v && !previous {
            count += 1;
        }
        previous = v;
    }
    let n = w.len();
    let ends = |s: &str| w.iter().rev().take(s.len()).rev().copied().eq(s.chars());
    let consonant_before = |k: usize| n > k && !vowel(w[n - k - 1]);
    if ends("e") && !ends("le") && !ends("ee") && count > 1 {
        count -= 1;
    } else if (ends("es") || ends("ed")) && count > 1 {
        // "baked", "makes": silent; "needed", "wishes": a syllable of their own.
        let before = w[n - 3];
        let voiced = matches!(before, 't' | 'd')
            || (ends("es") && matches!(before, 's' | 'x' | 'z' | 'h' | 'c' | 'g'));
        if !voiced && consonant_before(2) {
            count -= 1;
        }
    }
    count.max(1)
}

/// Flesch reading ease and Flesch–Kincaid grade of some prose.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Readability {
    pub words: usize,
    pub sentences: usize,
    pub ease: f64,
    pub grade: f64,
}

/// The readability of `blocks`' prose (paragraphs and list items). Each block ends a sentence;
/// within one, a sentence ends at `.`, `!` or `?` followed by a space. `None` without words.
pub fn readability<'a>(blocks: impl Iterator<Item = &'a Block>) -> Option<Readability> {
    let (mut words_n, mut sentences, mut syllables_n) = (0usize, 0usize, 0u64);
    for block in blocks.filter(|b| b.is_prose()) {
        for sentence in sentences_of(&block.text) {
            let mut counted = 0;
            for word in words(sentence).filter(|w| w.chars().any(char::is_alphabetic)) {
                counted += 1;
                syllables_n += u64::from(syllables(word));
            }
            if counted > 0 {
                words_n += counted;
                sentences += 1;
            }
        }
    }
    if words_n == 0 {
        return None;
    }
    let per_sentence = words_n as f64 / sentences as f64;
    let per_word = syllables_n as f64 / words_n as f64;
    Some(Readability {
        words: words_n,
        sentences,
        ease: 206.835 - 1.015 * per_sentence - 84.6 * per_word,
        grade: 0.39 * per_sentence + 11.8 * per_word - 15.59,
    })
}

fn sentences_of(text: &str) -> impl Iterator<Item = &str> {
    let mut rest = text;
    std::iter::from_fn(move || {
        if rest.is_empty() {
            return None;
        }
        let bytes = rest.as_bytes();
        let mut end = rest.len();
        for (i, c) in rest.char_indices() {
            let terminal = matches!(c, '.' | '!' | '?') || c == '\n';
            let next = bytes.get(i + c.len_utf8()).copied();
            if terminal && next.is_none_or(|b| b.is_ascii_whitespace()) {
                end = i + c.len_utf8();
                break;
            }
        }
        let (sentence, tail) = rest.split_at(end);
        rest = tail.trim_start();
        Some(sentence)
    })
}

/// Numbers written in a text (`1,800`, `2000`, `1.5k`), with their byte offsets.
pub fn numbers(text: &str) -> Vec<(usize, f64)> {
    let mut out = Vec::new();
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if !bytes[i].is_ascii_digit() || (i > 0 && bytes[i - 1].is_ascii_alphanumeric()) {
            i += 1;
            continue;
        }
        let start = i;
        let mut digits = String::new();
        while i < bytes.len() {
            let b = bytes[i];
            let grouped = (b == b',' || b == b'.')
                && bytes.get(i + 1).is_some_and(u8::is_ascii_digit)
                && bytes.get(i + 4).is_none_or(|n| !n.is_ascii_digit())
                && bytes[i + 1..].iter().take(3).all(u8::is_ascii_digit);
            if b.is_ascii_digit() {
                digits.push(b as char);
            } else if grouped && b == b',' {
                // A thousands separator.
            } else if b == b'.' && bytes.get(i + 1).is_some_and(u8::is_ascii_digit) {
                digits.push('.');
            } else {
                break;
            }
            i += 1;
        }
        let mut value: f64 = digits.parse().unwrap_or(0.0);
        if matches!(bytes.get(i), Some(b'k' | b'K'))
            && bytes.get(i + 1).is_none_or(|b| !b.is_ascii_alphabetic())
        {
            value *= 1000.0;
            i += 1;
        }
        out.push((start, value));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_keep_structure_and_links() {
        let doc = Doc::parse(
            "# Title\n\nA [link](https://a.example/x) here.\n\n- one\n  - nested\n- two\n\n| a | b |\n|---|---|\n| c | [d](https://d.example) |\n",
        );
        let kinds: Vec<Kind> = doc.blocks.iter().map(|b| b.kind).collect();
        assert_eq!(
            kinds,
            [
                Kind::Heading(1),
                Kind::Paragraph,
                Kind::Item(1),
                Kind::Item(2),
                Kind::Item(1),
                Kind::Row(true),
                Kind::Row(false)
            ]
        );
        assert_eq!(doc.blocks[1].links, ["https://a.example/x"]);
        assert_eq!(doc.blocks[1].text, "A link here.");
        assert_eq!(doc.blocks[6].text, "c\td");
        assert_eq!(doc.blocks[6].links, ["https://d.example"]);
    }

    #[test]
    fn stems_tolerate_plurals_and_case() {
        let s = Stems::english();
        assert_eq!(s.all("Café Crème"), s.all("cafe creme"));
        assert_eq!(s.stem("Brand’s"), s.stem("brand"));
        assert_eq!(s.all("Sourdough Starters"), s.all("sourdough starter"));
        assert_eq!(s.stem("baker's"), s.stem("bakers"));
        assert_eq!(
            count_phrase(
                &s.all("Bread-baking tips for bread bakings"),
                &s.all("bread baking")
            ),
            2
        );
    }

    #[test]
    fn syllables_by_vowel_groups() {
        for (word, n) in [
            ("the", 1),
            ("bread", 1),
            ("baked", 1),
            ("needed", 2),
            ("starter", 2),
            ("table", 2),
            ("readability", 5),
            ("makes", 1),
            ("wishes", 2),
        ] {
            assert_eq!(syllables(word), n, "{word}");
        }
    }

    #[test]
    fn readability_of_plain_prose() {
        let doc = Doc::parse("The cat sat on the mat. The dog ran to the park.\n");
        let r = readability(doc.blocks.iter()).unwrap();
        assert_eq!((r.words, r.sentences), (12, 2));
        assert!(r.ease > 100.0 && r.grade < 1.0, "{r:?}");
    }

    #[test]
    fn numbers_in_text() {
        let found: Vec<f64> = numbers("aim for 1,800–2,200 words (1.5k min), H2 and 3 x")
            .into_iter()
            .map(|(_, n)| n)
            .collect();
        assert_eq!(found, [1800.0, 2200.0, 1500.0, 3.0]);
    }
}
