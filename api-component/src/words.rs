//! Words and letters as the API reads them, in one place for every feature that goes by words:
//! where a text's words are ([`spans`], [`words`]), a word without its possessive
//! ([`strip_possessive`]) and letters without their accents ([`fold_accents`]). Search
//! ([`crate::search::text`]) folds each word into the term its index keeps, the quality checks
//! ([`crate::quality::text`]) stem them with Snowball, and document names made from titles and
//! file names ([`crate::names::slug`]) keep their letters.
//!
//! A word is a run of letters and digits (with any combining marks on them); an apostrophe
//! belongs to it only between two letters or digits (`brand's`, `don't`, not a closing quote);
//! anything else separates words, so `trail-running` is two words and scripts written without
//! spaces are one word per run.

use unicode_normalization::char::{decompose_canonical, is_combining_mark};

/// The byte range of each word of `text`, in order.
pub fn spans(text: &str) -> impl Iterator<Item = (usize, usize)> + '_ {
    let mut chars = text.char_indices().peekable();
    std::iter::from_fn(move || {
        let (start, first) = chars.find(|&(_, c)| c.is_alphanumeric())?;
        let mut end = start + first.len_utf8();
        while let Some(&(i, c)) = chars.peek() {
            let joins = if is_apostrophe(c) {
                text[i + c.len_utf8()..]
                    .chars()
                    .next()
                    .is_some_and(char::is_alphanumeric)
            } else {
                c.is_alphanumeric() || is_combining_mark(c)
            };
            if !joins {
                break;
            }
            end = i + c.len_utf8();
            chars.next();
        }
        Some((start, end))
    })
}

/// The words of `text`, in order.
pub fn words(text: &str) -> impl Iterator<Item = &str> {
    spans(text).map(|(start, end)| &text[start..end])
}

/// Whether `c` is an apostrophe: the typewriter one or the typographic one.
pub fn is_apostrophe(c: char) -> bool {
    c == '\'' || c == '\u{2019}'
}

/// `word` without a possessive `'s` (`brand's` → `brand`, either apostrophe, either case).
pub fn strip_possessive(word: &str) -> &str {
    ["'s", "\u{2019}s", "'S", "\u{2019}S"]
        .iter()
        .find_map(|s| word.strip_suffix(s))
        .unwrap_or(word)
}

/// `text` in lower case with its accents folded away: each letter's canonical decomposition
/// without its combining marks (`é` → `e`, `ü` → `u`), and the letters that do not decompose
/// written out (`ß` → `ss`, `æ` → `ae`, `ø` → `o`, `ł` → `l`…). Other characters stay.
pub fn fold_accents(text: &str) -> String {
    if text.is_ascii() {
        // Nothing to decompose: the common case, without the per-letter work.
        return text.to_ascii_lowercase();
    }
    let mut out = String::with_capacity(text.len());
    for c in text.chars().flat_map(char::to_lowercase) {
        decompose_canonical(c, |d| match d {
            _ if is_combining_mark(d) => {}
            'ß' => out.push_str("ss"),
            'æ' => out.push_str("ae"),
            'œ' => out.push_str("oe"),
            'þ' => out.push_str("th"),
            'ø' => out.push('o'),
            'đ' | 'ð' => out.push('d'),
            'ł' => out.push('l'),
            'ħ' => out.push('h'),
            'ı' => out.push('i'),
            _ => out.push(d),
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all(text: &str) -> Vec<&str> {
        words(text).collect()
    }

    #[test]
    fn words_are_runs_of_letters_and_digits() {
        assert_eq!(all("Trail-running, 2026!"), ["Trail", "running", "2026"]);
        assert_eq!(all("  "), Vec::<&str>::new());
        assert_eq!(all("東京 2026"), ["東京", "2026"]);
    }

    #[test]
    fn apostrophes_join_only_between_letters() {
        assert_eq!(
            all("'Don't' the brand's ’quotes’ rock'n'roll o'"),
            ["Don't", "the", "brand's", "quotes", "rock'n'roll", "o"]
        );
    }

    #[test]
    fn combining_marks_stay_on_their_letter() {
        assert_eq!(all("Cafe\u{301} au lait"), ["Cafe\u{301}", "au", "lait"]);
    }

    #[test]
    fn spans_point_at_the_words() {
        let text = "ü-ber alles";
        let got: Vec<_> = spans(text).collect();
        assert_eq!(got, [(0, 2), (3, 6), (7, 12)]);
    }

    #[test]
    fn possessives_go() {
        assert_eq!(strip_possessive("Brand's"), "Brand");
        assert_eq!(strip_possessive("BRAND\u{2019}S"), "BRAND");
        assert_eq!(strip_possessive("grass"), "grass");
    }

    #[test]
    fn accents_go_and_the_letters_stay() {
        assert_eq!(fold_accents("Müller & Söhne"), "muller & sohne");
        assert_eq!(
            fold_accents("Straße Æsir Œuvre Øre Łódź Þing"),
            "strasse aesir oeuvre ore lodz thing"
        );
        assert_eq!(fold_accents("Cafe\u{301} CRÈME"), "cafe creme");
        assert_eq!(fold_accents("東京 2026"), "東京 2026");
    }
}
