//! Letters without their accents: one folding for everything that goes by letters alone, the
//! document names made from titles and file names ([`crate::names::slug`]) and the terms search
//! keeps and looks up ([`crate::search::text::fold`]).

use unicode_normalization::char::{decompose_canonical, is_combining_mark};

/// `text` in lower case with its accents folded away: each letter's canonical decomposition
/// without its combining marks (`é` → `e`, `ü` → `u`), and the letters that do not decompose
/// written out (`ß` → `ss`, `æ` → `ae`, `ø` → `o`, `ł` → `l`…). Other characters stay.
pub fn fold_accents(text: &str) -> String {
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
