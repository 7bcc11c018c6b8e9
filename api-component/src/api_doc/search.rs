//! The description of search (`GET /api/search`, the `q` of a collection listing, the
//! rebuild) and of usage totals (`GET /api/usage`).

use utoipa::openapi::schema::AnyOfBuilder;

use super::*;
use crate::documents::reindex::{RebuildStep, STEP_DOCUMENTS, STEP_SLOTS};
use crate::documents::search::{MAX_QUERY_CHARS, MAX_QUERY_TERMS, SearchPage};
use crate::jobs::usage::{DEFAULT_DAYS, GroupBy, MAX_DAYS, UsageReport};
use crate::search::index::MAX_TERMS_PER_DOC;
use crate::search_endpoints::{DEFAULT_LIMIT, MAX_LIMIT};

/// How a search matches, for every operation that searches.
fn matching() -> String {
    format!(
        "Every word of `q` must occur in the document's title, name or text (Markdown without \
         its syntax; brand data's string values). Words are runs of letters and digits; case, \
         accents and English plurals do not matter (`Café Shoes` finds `cafe shoe`). Newest \
         write first. Each item has a `snippet` around the first match in the text, with the \
         matched words as `[start, end)` offsets in UTF-16 code units (JavaScript string \
         indices) into the snippet's text, never HTML. The first {MAX_TERMS_PER_DOC} distinct \
         words of a document are indexed. A page may be short, even empty, and still have a \
         `next_cursor`: each request looks at a bounded number of candidates."
    )
}

fn q(required: bool) -> utoipa::openapi::path::Parameter {
    let mut p = query(
        "q",
        &format!(
            "The words to look for: at most {MAX_QUERY_CHARS} characters and \
             {MAX_QUERY_TERMS} different words"
        ),
        string(),
    );
    if required {
        p.required = Required::True;
    }
    p
}

/// The 200 of `GET /api/{collection}`: a listing page, or a search page with `q`.
pub(super) fn docs_list_page(s: &mut Schemas) -> Response {
    let either = AnyOfBuilder::new()
        .item(s.of::<crate::documents::DocPage>())
        .item(s.of::<SearchPage>());
    json_response(
        "One page: the listing, or with `q` the matches (`SearchPage`)",
        either.into(),
    )
}

/// The `q` parameter of `GET /api/{collection}`.
pub(super) fn docs_list_q() -> utoipa::openapi::path::Parameter {
    let mut p = q(false);
    p.description = Some(format!(
        "Search this collection instead of listing it (the answer is then a `SearchPage`, \
         `limit` at most {MAX_LIMIT}, default {DEFAULT_LIMIT}); see `GET /api/search`"
    ));
    p
}

pub(super) fn describe(endpoint: Endpoint, s: &mut Schemas) -> Described {
    use Endpoint::*;
    match endpoint {
        Search => Described::new("search", "documents", "Find documents by the words in them")
            .describe(matching())
            .parameter(q(true))
            .parameter(query(
                "collection",
                "Only this collection's documents",
                ObjectBuilder::new()
                    .schema_type(Type::String)
                    .enum_values(Some(Collection::ALL.map(Collection::segment)))
                    .into(),
            ))
            .parameter(limit(DEFAULT_LIMIT, MAX_LIMIT))
            .parameter(cursor())
            .answer(200, json_response("One page of matches", s.of::<SearchPage>()))
            .refuse(
                400,
                "No `q`, no word in it, too long or too many words; an unknown collection; a \
                 bad limit, or a cursor not returned for this `q`",
            ),
        SearchRebuild => Described::new(
            "searchRebuild",
            "documents",
            "Recreate the search index from the documents, one step",
        )
        .describe(format!(
            "For stores written before the index existed. Each call walks up to {STEP_SLOTS} \
             listing entries and indexes up to {STEP_DOCUMENTS} documents whose index entry is \
             missing or stale; call again with `next_cursor` until `done`. Safe to repeat and \
             to run while documents are written."
        ))
        .parameter(cursor())
        .answer(200, json_response("What the step did", s.of::<RebuildStep>()))
        .refuse(400, "A cursor this endpoint did not return"),
        Usage => Described::new("usage", "jobs", "What ended jobs cost, summed")
            .describe(format!(
                "Counted once per job as it ends (completed, failed, or cancelled, queued ones \
                 included), on the day (UTC) it ends. `from` and `to` are days, inclusive; \
                 without them the last {DEFAULT_DAYS} days up to today; at most {MAX_DAYS} \
                 days."
            ))
            .parameter(query("group_by", "How rows are grouped (default `day`)", s.of::<GroupBy>()))
            .parameter(query(
                "from",
                "First day, `YYYY-MM-DD`",
                ObjectBuilder::new()
                    .schema_type(Type::String)
                    .format(Some(SchemaFormat::KnownFormat(KnownFormat::Date)))
                    .into(),
            ))
            .parameter(query(
                "to",
                "Last day, `YYYY-MM-DD` (default today)",
                ObjectBuilder::new()
                    .schema_type(Type::String)
                    .format(Some(SchemaFormat::KnownFormat(KnownFormat::Date)))
                    .into(),
            ))
            .answer(200, json_response("The report", s.of::<UsageReport>()))
            .refuse(400, "An unknown group_by, a date that is not YYYY-MM-DD, from after to, or over the longest range"),
        other => unreachable!("{other:?} is described elsewhere"),
    }
}
