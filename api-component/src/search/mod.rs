//! The search index's vocabulary, below the documents that use it: how text becomes terms
//! ([`text`]: words, folding of case, accents and plurals, plain text, snippets; pure) and how
//! terms sit in the key-value store ([`index`]: postings, per-document records, indexing runs).
//!
//! Queries, the upkeep on every write and the rebuild are `documents::search` and
//! `documents::reindex`; the endpoints are [`crate::search_endpoints`].

pub mod index;
pub mod text;
