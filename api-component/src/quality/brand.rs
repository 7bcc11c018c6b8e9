//! What the draft checks read from brand data: the words to avoid and the audience's reading
//! level. Brand data comes in two shapes, plain values or each leaf wrapped as
//! `{"value": ...}`; both are read the same way, at any depth:
//!
//! - Words to avoid: the strings under any key named `avoid`, `avoidTerms`, `avoidWords`,
//!   `wordsToAvoid`, `termsToAvoid`, `banned`, `bannedTerms`, `bannedWords`, `forbiddenTerms`,
//!   `forbiddenWords`, `doNotUse` or `dontUse` (case and `_`/`-` ignored): a list of strings, or
//!   one string of comma- or semicolon-separated terms (so `writingGuidelines.
//!   vocabularyPreferences.avoid` of the generated shape). In a `vocabularyPreferences` list of
//!   sentences (the wrapped shape), the entries that start with "avoid", "don't use", "do not
//!   use", "never use" or "banned": the terms after the colon (or the phrase), comma-separated.
//!   Quotes and parenthesised remarks are dropped.
//! - Reading level: a key named `readingLevel`, `gradeLevel` or `readingGrade` holding a grade
//!   (`8`, `"grade 8"`) or a range (`"6-8"`, `"grades 6 to 8"`). A single grade g stands for
//!   g − 2 to g + 2.

use serde_json::Value;

/// Most words to avoid read from one brand (the rest are ignored).
const MAX_TERMS: usize = 200;
/// Longest term kept, in characters.
const MAX_TERM_CHARS: usize = 80;

const AVOID_KEYS: &[&str] = &[
    "avoid",
    "avoidterms",
    "avoidwords",
    "wordstoavoid",
    "termstoavoid",
    "banned",
    "bannedterms",
    "bannedwords",
    "forbiddenterms",
    "forbiddenwords",
    "donotuse",
    "dontuse",
];
const LEVEL_KEYS: &[&str] = &["readinglevel", "gradelevel", "readinggrade"];
const AVOID_LEADS: &[&str] = &["avoid", "don't use", "do not use", "never use", "banned"];

/// What the checks need from a brand.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Brand {
    /// Words and phrases the brand does not use.
    pub avoid: Vec<String>,
    /// The Flesch–Kincaid grades its audience reads at, lowest and highest.
    pub grades: Option<(f64, f64)>,
}

/// Reads a brand-data document (either shape).
pub fn read(value: &Value) -> Brand {
    let mut brand = Brand::default();
    walk(value, &mut brand, 0);
    brand.avoid.sort_by_key(|t| t.to_lowercase());
    brand.avoid.dedup_by_key(|t| t.to_lowercase());
    brand.avoid.truncate(MAX_TERMS);
    brand
}

/// `{"value": x}` is `x`.
fn unwrap(v: &Value) -> &Value {
    match v {
        Value::Object(map) if map.len() == 1 && map.contains_key("value") => &map["value"],
        other => other,
    }
}

fn normalized_key(key: &str) -> String {
    key.chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

fn walk(value: &Value, brand: &mut Brand, depth: u32) {
    if depth > 16 {
        return;
    }
    match unwrap(value) {
        Value::Object(map) => {
            for (key, v) in map {
                let key = normalized_key(key);
                let v = unwrap(v);
                if AVOID_KEYS.contains(&key.as_str()) {
                    strings(v, &mut |s| add_terms(s, brand));
                } else if LEVEL_KEYS.contains(&key.as_str()) {
                    brand.grades = brand.grades.or_else(|| grades(v));
                } else if key == "vocabularypreferences" && v.is_array() {
                    strings(v, &mut |s| {
                        if let Some(rest) = after_avoid_lead(s) {
                            add_terms(rest, brand);
                        }
                    });
                }
                walk(v, brand, depth + 1);
            }
        }
        Value::Array(items) => items.iter().for_each(|v| walk(v, brand, depth + 1)),
        _ => {}
    }
}

/// Calls `f` with each string of `v` (a string, or a list of them, wrapped or not).
fn strings(v: &Value, f: &mut dyn FnMut(&str)) {
    match unwrap(v) {
        Value::String(s) => f(s),
        Value::Array(items) => {
            for item in items {
                if let Value::String(s) = unwrap(item) {
                    f(s);
                }
            }
        }
        _ => {}
    }
}

/// "Avoid: synergy, leverage" → "synergy, leverage"; `None` for other sentences.
fn after_avoid_lead(sentence: &str) -> Option<&str> {
    let lower = sentence.trim_start().to_lowercase();
    let lead = AVOID_LEADS.iter().find(|l| lower.starts_with(*l))?;
    let offset = sentence.len() - sentence.trim_start().len();
    let rest = &sentence[offset + lead.len()..];
    Some(match rest.find(':') {
        Some(i) => &rest[i + 1..],
        None => rest,
    })
}

fn add_terms(list: &str, brand: &mut Brand) {
    for raw in list.split([',', ';', '\n']) {
        let term = strip_remarks(raw);
        let term = term
            .trim()
            .trim_matches(|c: char| "\"'“”‘’`*".contains(c) || c.is_whitespace())
            .trim_end_matches('.');
        if !term.is_empty()
            && term.chars().count() <= MAX_TERM_CHARS
            && brand.avoid.len() < MAX_TERMS * 2
        {
            brand.avoid.push(term.to_owned());
        }
    }
}

/// The text without parenthesised remarks: "jargon (e.g. synergy)" → "jargon ".
fn strip_remarks(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut depth = 0u32;
    for c in text.chars() {
        match c {
            '(' => depth += 1,
            ')' => depth = depth.saturating_sub(1),
            c if depth == 0 => out.push(c),
            _ => {}
        }
    }
    out
}

/// A grade or a range of grades from a number or a text.
fn grades(v: &Value) -> Option<(f64, f64)> {
    let found: Vec<f64> = match v {
        Value::Number(n) => n.as_f64().into_iter().collect(),
        Value::String(s) => super::text::numbers(s)
            .into_iter()
            .map(|(_, n)| n)
            .collect(),
        _ => Vec::new(),
    };
    let found: Vec<f64> = found
        .into_iter()
        .filter(|g| (1.0..=20.0).contains(g))
        .collect();
    match found.as_slice() {
        [] => None,
        [g] => Some((g - 2.0, g + 2.0)),
        [a, b, ..] => Some((a.min(*b), a.max(*b))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn reads_the_plain_shape() {
        let brand = read(&json!({
            "writingGuidelines": {
                "vocabularyPreferences": {"prefer": ["customers"], "avoid": ["Synergy", "leverage (as a verb)", "users"]},
                "readingLevel": "grades 6 to 8"
            }
        }));
        assert_eq!(brand.avoid, ["leverage", "Synergy", "users"]);
        assert_eq!(brand.grades, Some((6.0, 8.0)));
    }

    #[test]
    fn reads_the_wrapped_shape() {
        let brand = read(&json!({
            "writingGuidelines": {
                "vocabularyPreferences": {"value": [
                    "Prefer 'bakers' over 'users'",
                    "Avoid: cheap, \"artisanal\"",
                    "Do not use game-changer"
                ]},
                "bannedTerms": {"value": "world-class; disrupt"},
                "gradeLevel": {"value": 9}
            }
        }));
        assert_eq!(
            brand.avoid,
            [
                "artisanal",
                "cheap",
                "disrupt",
                "game-changer",
                "world-class"
            ]
        );
        assert_eq!(brand.grades, Some((7.0, 11.0)));
    }

    #[test]
    fn nothing_to_read() {
        assert_eq!(
            read(&json!({"brandInfo": {"companyName": "Acme"}})),
            Brand::default()
        );
        assert_eq!(read(&json!([1, 2])), Brand::default());
    }
}
