//! What a stored brief or draft is graded against, gathered from the store: a brief against
//! the keywords of the job that made it (its `sources`); a draft against its brief (the text
//! and the keywords that brief was made for), its target length and its brand data. A request
//! may name others ([`Against`]), for documents no job made.
//!
//! Every write of a brief or draft grades the version it writes and keeps the summary in its
//! meta (so a listing shows quality without reading content); `GET .../quality` grades the
//! current version again with every check.

use serde_json::Value;

use super::{DocResult, DocSources, Documents};
use crate::names::{Collection, DocName};
use crate::quality::{self, DraftInputs, Keywords, Report, Summary};

/// What a request asks a document to be graded against instead of its sources.
#[derive(Clone, Debug, Default)]
pub struct Against {
    pub primary_keyword: Option<String>,
    pub secondary_keywords: Option<Vec<String>>,
    /// Drafts: the brief, brand data and length to compare with.
    pub brief: Option<DocName>,
    pub brand_data: Option<DocName>,
    pub target_word_count: Option<u64>,
}

impl Documents<'_> {
    /// The full report on `text`, a brief or draft of this collection (`None` for brand data).
    /// Inputs that no longer exist count as unknown.
    pub fn grade(
        &self,
        text: &str,
        sources: Option<&DocSources>,
        against: &Against,
    ) -> DocResult<Option<Report>> {
        let from_sources = |s: &DocSources| Keywords {
            primary: s.primary_keyword.clone(),
            secondary: s.secondary_keywords.clone(),
        };
        let mut keywords = sources.map(from_sources).unwrap_or_default();
        match self.collection {
            Collection::BrandData => Ok(None),
            Collection::Briefs => {
                overlay(&mut keywords, against);
                Ok(Some(quality::check_brief(text, &keywords)))
            }
            Collection::Drafts => {
                let named = |c, s: Option<&String>| s.and_then(|n| DocName::parse(c, n).ok());
                let brief_name = against
                    .brief
                    .clone()
                    .or_else(|| named(Collection::Briefs, sources.and_then(|s| s.brief.as_ref())));
                let brand_name = against.brand_data.clone().or_else(|| {
                    named(
                        Collection::BrandData,
                        sources.and_then(|s| s.brand_data.as_ref()),
                    )
                });
                let briefs = Documents::new(self.store, Collection::Briefs);
                let brief = match &brief_name {
                    Some(name) => briefs.read_text(name)?,
                    None => None,
                };
                // The keywords a draft was written for are those its brief was made for.
                if keywords.primary.is_none()
                    && let Some((meta, _)) = &brief
                    && let Some(s) = &meta.sources
                {
                    keywords = from_sources(s);
                }
                overlay(&mut keywords, against);
                let brand: Option<Value> = match &brand_name {
                    Some(name) => Documents::new(self.store, Collection::BrandData)
                        .read_text(name)?
                        .and_then(|(_, t)| serde_json::from_str(&t).ok()),
                    None => None,
                };
                let inputs = DraftInputs {
                    brief: brief.as_ref().map(|(_, t)| t.as_str()),
                    target_words: against
                        .target_word_count
                        .or_else(|| sources.and_then(|s| s.target_word_count)),
                    keywords,
                    brand: brand.as_ref(),
                };
                Ok(Some(quality::check_draft(text, &inputs)))
            }
        }
    }

    /// The summary a write keeps with the version it writes (`None` for brand data, or when
    /// the inputs could not be read: the write goes ahead without it).
    pub(super) fn grade_written(
        &self,
        body: &[u8],
        sources: Option<&DocSources>,
    ) -> Option<Summary> {
        let text = std::str::from_utf8(body).ok()?;
        self.grade(text, sources, &Against::default())
            .ok()
            .flatten()
            .map(|r| r.summary())
    }

    /// A document's meta and text, if it exists.
    fn read_text(&self, name: &DocName) -> DocResult<Option<(super::DocMeta, String)>> {
        if self.meta(name)?.is_none() {
            return Ok(None);
        }
        match self.get(name) {
            Ok((meta, bytes)) => Ok(Some((meta, String::from_utf8_lossy(&bytes).into_owned()))),
            Err(super::DocError::NotFound { .. }) => Ok(None),
            Err(e) => Err(e),
        }
    }
}

/// The request's keywords over those of the sources.
fn overlay(keywords: &mut Keywords, against: &Against) {
    if let Some(primary) = &against.primary_keyword {
        keywords.primary = Some(primary.clone());
    }
    if let Some(secondary) = &against.secondary_keywords {
        keywords.secondary = secondary.clone();
    }
}
