//! The pieces operations are built from: query and header parameters, schemas of plain
//! values, request bodies, responses and their headers.

use super::*;

pub(super) fn query(
    name: &str,
    description: &str,
    schema: RefOr<Schema>,
) -> utoipa::openapi::path::Parameter {
    ParameterBuilder::new()
        .name(name)
        .parameter_in(ParameterIn::Query)
        .required(Required::False)
        .description(Some(description))
        .schema(Some(schema))
        .build()
}

pub(super) fn header(name: &str, description: &str) -> utoipa::openapi::path::Parameter {
    ParameterBuilder::new()
        .name(name)
        .parameter_in(ParameterIn::Header)
        .required(Required::False)
        .description(Some(description))
        .schema(Some(string()))
        .build()
}

pub(super) fn limit(default: usize, max: usize) -> utoipa::openapi::path::Parameter {
    let schema = integer(Some(1), Some(max as i64)).default(Some(json!(default)));
    query("limit", "How many to return at most", schema.into())
}

pub(super) fn cursor() -> utoipa::openapi::path::Parameter {
    query(
        "cursor",
        "The previous page's `next_cursor`: where this page starts",
        string(),
    )
}

pub(super) fn after(description: &str) -> utoipa::openapi::path::Parameter {
    query("after", description, integer(Some(0), None).into())
}

pub(super) fn integer(minimum: Option<i64>, maximum: Option<i64>) -> ObjectBuilder {
    ObjectBuilder::new()
        .schema_type(Type::Integer)
        .format(Some(SchemaFormat::KnownFormat(KnownFormat::Int64)))
        .minimum(minimum.map(|m| m as isize))
        .maximum(maximum.map(|m| m as isize))
}

pub(super) fn string_schema() -> Schema {
    ObjectBuilder::new().schema_type(Type::String).into()
}

pub(super) fn string() -> RefOr<Schema> {
    string_schema().into()
}

pub(super) fn binary() -> RefOr<Schema> {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .format(Some(SchemaFormat::KnownFormat(KnownFormat::Binary)))
        .into()
}

pub(super) fn object() -> RefOr<Schema> {
    ObjectBuilder::new().schema_type(Type::Object).into()
}

pub(super) fn json_body(schema: RefOr<Schema>) -> RequestBody {
    RequestBodyBuilder::new()
        .required(Some(Required::True))
        .content("application/json", Content::new(Some(schema)))
        .build()
}

pub(super) fn text_body(types: &[&str], what: &str) -> RequestBody {
    let mut body = RequestBodyBuilder::new()
        .required(Some(Required::True))
        .description(Some(what));
    for t in types {
        body = body.content(*t, Content::new(Some(string())));
    }
    body.build()
}

pub(super) fn json_response(description: &str, schema: RefOr<Schema>) -> Response {
    ResponseBuilder::new()
        .description(description)
        .content("application/json", Content::new(Some(schema)))
        .build()
}

pub(super) fn html_response(description: &str) -> Response {
    ResponseBuilder::new()
        .description(description)
        .content("text/html", Content::new(Some(string())))
        .build()
}

pub(super) fn error_response(description: &str, error: &RefOr<Schema>) -> Response {
    json_response(description, error.clone())
}

pub(super) fn etag_header() -> utoipa::openapi::header::Header {
    HeaderBuilder::new()
        .schema(string())
        .description(Some(
            "The document's version, for `If-Match` and `If-None-Match`",
        ))
        .build()
}

/// A write's answer: the stored document's listing entry, its ETag and where it lives.
pub(super) fn stored_item(description: &str, s: &mut Schemas) -> Response {
    json_response(description, s.of::<DocItem>())
        .with_header("ETag", "The new version")
        .with_header("Location", "The document: `/api/{collection}/{name}`")
}

/// Adds a string-valued response header.
pub(super) trait WithHeader {
    fn with_header(self, name: &str, description: &str) -> Self;
}

impl WithHeader for Response {
    fn with_header(mut self, name: &str, description: &str) -> Self {
        let header = HeaderBuilder::new()
            .schema(string())
            .description(Some(description))
            .build();
        self.headers.insert(name.to_owned(), header);
        self
    }
}
