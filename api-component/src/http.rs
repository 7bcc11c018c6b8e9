//! Plain request and response values: what the route table consumes and produces, free of any
//! host's HTTP types so the whole API runs in native tests. The wasm entry point converts.

use serde::Serialize;

use crate::documents::Precondition;
use crate::error::ApiError;

/// An HTTP request with its body fully read (bodies are capped before they get here).
#[derive(Clone, Debug, Default)]
pub struct ApiRequest {
    pub method: String,
    /// The raw (still percent-encoded) path, without the query.
    pub path: String,
    /// The raw query string, without the `?`.
    pub query: String,
    /// Header names in lower case.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl ApiRequest {
    /// Splits a request target such as `/api/briefs?limit=5` into path and query.
    pub fn new(method: &str, target: &str) -> Self {
        let (path, query) = target.split_once('?').unwrap_or((target, ""));
        ApiRequest {
            method: method.to_ascii_uppercase(),
            path: path.to_owned(),
            query: query.to_owned(),
            ..Default::default()
        }
    }

    pub fn with_header(mut self, name: &str, value: &str) -> Self {
        self.headers
            .push((name.to_ascii_lowercase(), value.to_owned()));
        self
    }

    pub fn with_body(mut self, body: impl Into<Vec<u8>>) -> Self {
        self.body = body.into();
        self
    }

    /// The first value of a header, by case-insensitive name.
    pub fn header(&self, name: &str) -> Option<&str> {
        find_header(&self.headers, name)
    }

    /// The condition `If-Match` puts on a write.
    pub fn if_match(&self) -> Precondition {
        entity_tags(self.header("if-match"))
    }

    /// The versions `If-None-Match` says the client already has.
    pub fn if_none_match(&self) -> Precondition {
        entity_tags(self.header("if-none-match"))
    }

    /// A whole-number query parameter from 1 to `max`, `default` when absent; 400 otherwise.
    pub fn limit_param(&self, name: &str, default: usize, max: usize) -> Result<usize, ApiError> {
        match self.query_param(name) {
            None => Ok(default),
            Some(raw) => raw
                .parse::<usize>()
                .ok()
                .filter(|n| (1..=max).contains(n))
                .ok_or_else(|| {
                    ApiError::BadRequest(format!("{name} must be a whole number from 1 to {max}"))
                }),
        }
    }

    /// The `cursor` query parameter of a listing: a positive number this API returned, `None`
    /// when absent or empty; 400 otherwise.
    pub fn cursor_param(&self) -> Result<Option<i64>, ApiError> {
        match self.query_param("cursor").filter(|c| !c.is_empty()) {
            None => Ok(None),
            Some(c) => c
                .parse::<i64>()
                .ok()
                .filter(|n| *n > 0)
                .map(Some)
                .ok_or_else(|| ApiError::BadRequest("cursor is not one this API returned".into())),
        }
    }

    /// Where a newest-first listing over numbered slots starts: the `cursor` query parameter,
    /// or the newest slot without one. A cursor above the newest was never handed out (pages
    /// only go down, and slot counters only grow): 400, rather than a walk of empty pages. A
    /// malformed cursor is refused before `newest` is asked.
    pub fn cursor_at_most<E>(
        &self,
        newest: impl FnOnce() -> Result<i64, E>,
    ) -> Result<i64, ApiError>
    where
        ApiError: From<E>,
    {
        let cursor = self.cursor_param()?;
        let newest = newest()?;
        match cursor {
            None => Ok(newest),
            Some(c) if c <= newest => Ok(c),
            Some(_) => Err(ApiError::BadRequest(
                "cursor is not one this API returned".into(),
            )),
        }
    }

    /// The first value of a query parameter, percent-decoded (`+` is a space).
    pub fn query_param(&self, name: &str) -> Option<String> {
        self.query.split('&').find_map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            (decode_component(&k.replace('+', " ")).as_deref() == Some(name))
                .then(|| decode_component(&v.replace('+', " ")))
                .flatten()
        })
    }
}

/// Reads a JSON request body into `T`, with a 400 that says what is wrong.
pub fn json_body<T: serde::de::DeserializeOwned>(body: &[u8]) -> Result<T, ApiError> {
    if body.is_empty() {
        return Err(ApiError::BadRequest(
            "request body is empty; send a JSON object".into(),
        ));
    }
    serde_json::from_slice(body)
        .map_err(|e| ApiError::BadRequest(format!("invalid JSON body: {e}")))
}

/// Reads an `If-Match` / `If-None-Match` value: `*`, or a list of entity tags (weak ones
/// compared as strong). Tags this API did not issue can never match.
fn entity_tags(header: Option<&str>) -> Precondition {
    let Some(value) = header.map(str::trim) else {
        return Precondition::None;
    };
    if value == "*" {
        return Precondition::Exists;
    }
    let tags = value
        .split(',')
        .filter_map(|t| {
            let t = t.trim();
            let t = t.strip_prefix("W/").unwrap_or(t);
            t.strip_prefix('"')?.strip_suffix('"')?.parse().ok()
        })
        .collect();
    Precondition::OneOf(tags)
}

/// The host name of a `Host` value or an origin's authority: lower case, without the port or
/// a trailing dot; IPv6 literals keep their brackets.
pub fn host_name(authority: &str) -> String {
    let a = authority.trim().to_ascii_lowercase();
    let name = if a.starts_with('[') {
        a.split_inclusive(']').next().unwrap_or_default().to_owned()
    } else {
        a.split(':').next().unwrap_or_default().to_owned()
    };
    name.trim_end_matches('.').to_owned()
}

/// The first value of header `name` (case-insensitive) in `headers`.
pub fn find_header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

/// Percent-decodes a URL component; `None` if the result is not UTF-8 or an escape is malformed.
pub fn decode_component(raw: &str) -> Option<String> {
    let bytes = raw.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = bytes.get(i + 1..i + 3)?;
            let hex = std::str::from_utf8(hex).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

/// A complete response.
#[derive(Clone, Debug)]
pub struct ApiResponse {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl ApiResponse {
    pub fn new(status: u16, content_type: &str, body: impl Into<Vec<u8>>) -> Self {
        ApiResponse {
            status,
            headers: vec![("content-type".into(), content_type.into())],
            body: body.into(),
        }
    }

    pub fn json(status: u16, value: &impl Serialize) -> Self {
        // Serializing our own plain structs cannot fail.
        let body = serde_json::to_vec(value).unwrap_or_default();
        Self::new(status, "application/json", body)
    }

    pub fn empty(status: u16) -> Self {
        ApiResponse {
            status,
            headers: Vec::new(),
            body: Vec::new(),
        }
    }

    pub fn with_header(mut self, name: &str, value: impl Into<String>) -> Self {
        self.headers.push((name.to_ascii_lowercase(), value.into()));
        self
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        find_header(&self.headers, name)
    }

    /// The body parsed as JSON (tests and tools).
    pub fn json_body(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap_or(serde_json::Value::Null)
    }
}

/// Every error's body.
#[derive(Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ErrorBody {
    /// What went wrong, for a person to read.
    pub error: String,
}

impl ApiError {
    /// The response a client sees: the status, `{"error": "<message>"}` and the headers the
    /// status calls for.
    pub fn into_response(self) -> ApiResponse {
        if let ApiError::Store(e) = &self {
            // The detail goes to the host's log; clients get the generic message.
            eprintln!("error: {e}");
        }
        let mut resp = ApiResponse::json(
            self.status(),
            &ErrorBody {
                error: self.to_string(),
            },
        );
        if let ApiError::MethodNotAllowed { allowed, .. } = &self {
            resp = resp.with_header("allow", *allowed);
        }
        if let ApiError::TooManyRequests { retry_after_s, .. } = &self {
            resp = resp.with_header("retry-after", retry_after_s.to_string());
        }
        if let ApiError::Unauthorized(_) = &self {
            resp = resp.with_header("www-authenticate", "Bearer");
        }
        resp
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_params_are_decoded() {
        let req = ApiRequest::new("get", "/x?limit=5&cursor=a%2Fb&q=two+words&flag");
        assert_eq!(req.method, "GET");
        assert_eq!(req.path, "/x");
        assert_eq!(req.query_param("limit").as_deref(), Some("5"));
        assert_eq!(req.query_param("cursor").as_deref(), Some("a/b"));
        assert_eq!(req.query_param("q").as_deref(), Some("two words"));
        assert_eq!(req.query_param("flag").as_deref(), Some(""));
        assert_eq!(req.query_param("missing"), None);
    }

    #[test]
    fn entity_tags_are_ours_or_never_match() {
        let tags = |v| entity_tags(Some(v));
        assert_eq!(entity_tags(None), Precondition::None);
        assert_eq!(tags(" * "), Precondition::Exists);
        assert_eq!(tags(r#""3", W/"7""#), Precondition::OneOf(vec![3, 7]));
        assert_eq!(tags(r#""abc", 5"#), Precondition::OneOf(vec![]));
    }

    #[test]
    fn host_names_lose_ports_and_case() {
        assert_eq!(host_name("LocalHost:3000"), "localhost");
        assert_eq!(host_name("[::1]:8080"), "[::1]");
        assert_eq!(host_name("example.com."), "example.com");
    }

    #[test]
    fn percent_decoding_rejects_garbage() {
        assert_eq!(decode_component("%2e%2e").as_deref(), Some(".."));
        assert_eq!(decode_component("%zz"), None);
        assert_eq!(decode_component("%e"), None);
        assert_eq!(decode_component("%ff"), None);
    }
}
