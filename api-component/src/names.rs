//! Collections and document names: the only gate between a URL and a storage key. A name that
//! passes [`DocName::parse`] cannot reach another collection's keys or escape its prefix.

use std::fmt;

use crate::words::fold_accents;

/// Longest accepted document name, in characters (all ASCII, so also bytes).
pub const MAX_NAME_LEN: usize = 120;

/// The three document collections, as they appear in URLs and storage keys.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Collection {
    BrandData,
    Briefs,
    Drafts,
}

/// What a collection stores.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// A JSON object, names ending in `.json`.
    Json,
    /// UTF-8 Markdown, names ending in `.md`.
    Markdown,
}

impl Collection {
    pub const ALL: [Collection; 3] = [
        Collection::BrandData,
        Collection::Briefs,
        Collection::Drafts,
    ];

    /// Parses the URL segment (`brand-data`, `briefs`, `drafts`).
    pub fn from_segment(segment: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.segment() == segment)
    }

    pub fn segment(self) -> &'static str {
        match self {
            Collection::BrandData => "brand-data",
            Collection::Briefs => "briefs",
            Collection::Drafts => "drafts",
        }
    }

    pub fn format(self) -> Format {
        match self {
            Collection::BrandData => Format::Json,
            Collection::Briefs | Collection::Drafts => Format::Markdown,
        }
    }

    /// The file extension every name in this collection carries, with its dot.
    pub fn extension(self) -> &'static str {
        match self.format() {
            Format::Json => ".json",
            Format::Markdown => ".md",
        }
    }

    /// The `Content-Type` documents of this collection are served with.
    pub fn content_type(self) -> &'static str {
        match self.format() {
            Format::Json => "application/json",
            Format::Markdown => "text/markdown; charset=utf-8",
        }
    }
}

impl fmt::Display for Collection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.segment())
    }
}

/// A validated document name within a collection.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct DocName(String);

impl DocName {
    /// Accepts 1–120 characters of `[A-Za-z0-9._-]`, starting with a letter or digit, ending in
    /// the collection's extension, with no `..` anywhere. The error says which rule failed.
    pub fn parse(collection: Collection, name: &str) -> Result<Self, String> {
        let ext = collection.extension();
        if name.is_empty() {
            return Err("document name is empty".into());
        }
        if name.len() > MAX_NAME_LEN {
            return Err(format!(
                "document name is longer than {MAX_NAME_LEN} characters"
            ));
        }
        if let Some(bad) = name
            .chars()
            .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-')))
        {
            return Err(format!(
                "document name contains {bad:?}; use only letters, digits, '.', '_' and '-'"
            ));
        }
        if !name.starts_with(|c: char| c.is_ascii_alphanumeric()) {
            return Err("document name must start with a letter or digit".into());
        }
        if name.contains("..") {
            return Err("document name must not contain '..'".into());
        }
        if !name.ends_with(ext) || name.len() == ext.len() {
            return Err(format!("{} document names must end in {ext}", collection));
        }
        Ok(DocName(name.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The name without its extension: the fallback title.
    pub fn stem(&self) -> &str {
        self.0.rsplit_once('.').map_or(&self.0, |(stem, _)| stem)
    }
}

impl DocName {
    /// The name a file called `file` is stored under: the file name itself when it is a valid
    /// name, else its stem made one as generated documents' names are (`Acme Brand Data
    /// (final).json` → `acme-brand-data-final.json`, `Globex.JSON` → `globex.json`). Folders
    /// in front are dropped. Refused only when the extension is not the collection's.
    pub fn from_file_name(collection: Collection, file: &str) -> Result<Self, String> {
        let base = file.rsplit(['/', '\\']).next().unwrap_or_default();
        if let Ok(name) = Self::parse(collection, base) {
            return Ok(name);
        }
        let ext = collection.extension();
        let (stem, found) = base.rsplit_once('.').unwrap_or((base, ""));
        let accepted = match collection.format() {
            Format::Json => &["json"][..],
            Format::Markdown => &["md", "markdown"][..],
        };
        if !accepted.contains(&found.to_ascii_lowercase().as_str()) {
            return Err(format!("{collection} files must end in {ext}"));
        }
        Self::parse(collection, &format!("{}{ext}", slug(stem)))
    }
}

/// A lowercase file stem from free text: letters and digits, words joined by `-` (at most 80
/// characters; `untitled` when nothing is left). Accented letters keep their base letter
/// (`Müller & Söhne` → `muller-sohne`, see [`crate::words::fold_accents`]).
pub fn slug(text: &str) -> String {
    let mut out = String::new();
    for c in fold_accents(text).chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c);
        } else if !out.is_empty() && !out.ends_with('-') {
            out.push('-');
        }
        if out.len() >= 80 {
            break;
        }
    }
    let out = out.trim_end_matches('-').to_owned();
    if out.is_empty() {
        "untitled".to_owned()
    } else {
        out
    }
}

impl fmt::Display for DocName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_are_valid_stems() {
        assert_eq!(
            slug("SEO for Bakeries: 2026 Guide!"),
            "seo-for-bakeries-2026-guide"
        );
        assert_eq!(slug("  ***  "), "untitled");
        assert_eq!(slug("Café ünïcode"), "cafe-unicode");
        assert!(slug(&"word ".repeat(100)).len() <= 80);
    }

    #[test]
    fn slugs_fold_accents_to_their_letters() {
        assert_eq!(slug("Müller & Söhne!!"), "muller-sohne");
        assert_eq!(slug("Straße Æsir Œuvre"), "strasse-aesir-oeuvre");
        assert_eq!(slug("Øresund Łódź Þing"), "oresund-lodz-thing");
        assert_eq!(slug("ÉCOLE Crème brûlée"), "ecole-creme-brulee");
        // Combining marks typed apart from their letter go too.
        assert_eq!(slug("Cafe\u{301} nin\u{303}o"), "cafe-nino");
        // Scripts without a Latin base letter still leave no trace but a break.
        assert_eq!(slug("Acme 東京 guide"), "acme-guide");
    }

    #[test]
    fn file_names_become_document_names() {
        let name = |c, f| DocName::from_file_name(c, f).map(|n| n.as_str().to_owned());
        let brand = Collection::BrandData;
        assert_eq!(name(brand, "acme.json").unwrap(), "acme.json");
        assert_eq!(
            name(brand, "Acme Brand Data (final).json").unwrap(),
            "acme-brand-data-final.json"
        );
        assert_eq!(name(brand, "Globex.JSON").unwrap(), "globex.json");
        assert_eq!(
            name(brand, "ACME Brand Data FINAL v2 Müller & Söhne!!.json").unwrap(),
            "acme-brand-data-final-v2-muller-sohne.json"
        );
        assert_eq!(name(brand, "../evil.json").unwrap(), "evil.json");
        assert_eq!(
            name(brand, "C:\\Users\\me\\Acme.json").unwrap(),
            "Acme.json"
        );
        assert_eq!(name(brand, ".hidden.json").unwrap(), "hidden.json");
        assert_eq!(
            name(Collection::Briefs, "Plan.markdown").unwrap(),
            "plan.md"
        );
        assert!(
            name(brand, "notes.md")
                .unwrap_err()
                .contains("end in .json")
        );
        assert!(
            name(Collection::Drafts, "draft")
                .unwrap_err()
                .contains("end in .md")
        );
    }

    #[test]
    fn accepts_ordinary_names() {
        for name in [
            "a.md",
            "Brief_2026-01.v2.md",
            "0.md",
            &format!("{}.md", "x".repeat(117)),
        ] {
            assert!(DocName::parse(Collection::Briefs, name).is_ok(), "{name}");
        }
        assert!(DocName::parse(Collection::BrandData, "acme.json").is_ok());
    }

    #[test]
    fn rejects_every_bad_shape() {
        let long = format!("{}.md", "x".repeat(118));
        for name in [
            "",
            ".md",
            "../x.md",
            "a/b.md",
            "a\\b.md",
            "..md",
            "x..y.md",
            ".hidden.md",
            "-x.md",
            "_x.md",
            "x.json",
            "x.MD",
            "x.md ",
            "x y.md",
            "é.md",
            "x%2e.md",
            "x\0.md",
            &long,
        ] {
            assert!(
                DocName::parse(Collection::Briefs, name).is_err(),
                "{name:?} accepted"
            );
        }
        assert!(DocName::parse(Collection::BrandData, "x.md").is_err());
    }

    #[test]
    fn stem_drops_only_the_extension() {
        let name = DocName::parse(Collection::Drafts, "q3.launch.md").unwrap();
        assert_eq!(name.stem(), "q3.launch");
    }
}
