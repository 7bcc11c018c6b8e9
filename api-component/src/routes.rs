//! The route table: which handler answers which method and path. Matching is pure and tested
//! here; [`crate::handle`] calls [`resolve`] once per request after authorization.

use protocol::routes as runner;

use crate::error::ApiError;
use crate::http::decode_component;
use crate::names::Collection;

/// Every API endpoint.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Endpoint {
    Health,
    OpenApi,
    Render,
    JobsList,
    JobGet,
    JobDelete,
    JobCancel,
    JobRetry,
    JobLogs,
    JobEvents,
    JobPrompt,
    RunnerClaim,
    RunnerClaimStop,
    RunnerHeartbeat,
    RunnerLogChunk,
    RunnerOutput,
    RunnerFinish,
    Generate,
    GenerateBatch,
    BatchGet,
    BatchCancel,
    DocsList,
    DocsUpload,
    DocGet,
    DocPut,
    DocDelete,
    DocPreview,
    DocQuality,
    DocVersions,
    DocVersionGet,
    Revise,
    ProposalGet,
    ProposalApprove,
    ProposalReject,
    DocVersionRestore,
    TrashList,
    TrashRestore,
    AuthLogin,
    AuthLogout,
    AuthAccept,
    AuthLink,
    SignInLinks,
    Me,
    UsersList,
    UsersCreate,
    UserPatch,
    TokensList,
    TokensCreate,
    TokenDelete,
    RunnerTokensList,
    RunnerTokensCreate,
    RunnersList,
    AuditList,
    WebhookDeliveries,
    WebhookTest,
    Search,
    SearchRebuild,
    Usage,
    WebhookRetry,
}

impl Endpoint {
    /// Whether the endpoint's body is JSON, so that it demands `Content-Type: application/json`
    /// (which no page can send to another origin without a preflight; see [`crate::guard`]).
    pub fn takes_json(self) -> bool {
        use Endpoint::*;
        match self {
            Generate | RunnerClaim | RunnerClaimStop | RunnerHeartbeat | RunnerLogChunk
            | RunnerFinish | AuthLogin | AuthAccept | AuthLink | UsersCreate | UserPatch
            | TokensCreate | RunnerTokensCreate | GenerateBatch | Revise | ProposalApprove => true,
            Health | OpenApi | Render | JobsList | JobGet | JobDelete | JobCancel | JobRetry
            | JobLogs | JobEvents | JobPrompt | RunnerOutput | DocsList | DocsUpload | DocGet
            | DocPut | DocDelete | DocPreview | DocQuality | DocVersions | DocVersionGet
            | DocVersionRestore | TrashList | TrashRestore | BatchGet | BatchCancel
            | ProposalGet | ProposalReject | AuthLogout | SignInLinks | Me | UsersList
            | TokensList | TokenDelete | RunnerTokensList | RunnersList | AuditList
            | WebhookDeliveries | WebhookTest | WebhookRetry | Search | SearchRebuild | Usage => {
                false
            }
        }
    }
}

/// `(method, path pattern, endpoint)`. `{x}` matches one non-empty path segment; `{collection}`
/// only a collection's name. The OpenAPI document must describe exactly these (a test checks both
/// directions).
pub const ROUTES: &[(&str, &str, Endpoint)] = &[
    ("GET", "/health", Endpoint::Health),
    ("GET", "/api/openapi.json", Endpoint::OpenApi),
    ("POST", "/api/render", Endpoint::Render),
    ("GET", "/api/jobs", Endpoint::JobsList),
    ("GET", "/api/jobs/{id}", Endpoint::JobGet),
    ("DELETE", "/api/jobs/{id}", Endpoint::JobDelete),
    ("POST", "/api/jobs/{id}/cancel", Endpoint::JobCancel),
    ("POST", "/api/jobs/{id}/retry", Endpoint::JobRetry),
    ("GET", "/api/jobs/{id}/logs", Endpoint::JobLogs),
    ("GET", "/api/jobs/{id}/events", Endpoint::JobEvents),
    ("GET", "/api/jobs/{id}/prompt", Endpoint::JobPrompt),
    ("POST", runner::CLAIM, Endpoint::RunnerClaim),
    ("POST", runner::CLAIM_STOP, Endpoint::RunnerClaimStop),
    ("POST", runner::HEARTBEAT, Endpoint::RunnerHeartbeat),
    ("PUT", runner::LOG_CHUNK, Endpoint::RunnerLogChunk),
    ("PUT", runner::OUTPUT, Endpoint::RunnerOutput),
    ("POST", runner::FINISH, Endpoint::RunnerFinish),
    ("POST", "/api/auth/login", Endpoint::AuthLogin),
    ("POST", "/api/auth/logout", Endpoint::AuthLogout),
    ("POST", "/api/auth/accept", Endpoint::AuthAccept),
    ("POST", "/api/auth/link", Endpoint::AuthLink),
    ("POST", "/api/auth/signin-links", Endpoint::SignInLinks),
    ("GET", "/api/me", Endpoint::Me),
    ("GET", "/api/users", Endpoint::UsersList),
    ("POST", "/api/users", Endpoint::UsersCreate),
    ("PATCH", "/api/users/{id}", Endpoint::UserPatch),
    ("GET", "/api/tokens", Endpoint::TokensList),
    ("POST", "/api/tokens", Endpoint::TokensCreate),
    ("DELETE", "/api/tokens/{id}", Endpoint::TokenDelete),
    ("GET", "/api/runners/tokens", Endpoint::RunnerTokensList),
    ("POST", "/api/runners/tokens", Endpoint::RunnerTokensCreate),
    ("GET", "/api/runners", Endpoint::RunnersList),
    ("GET", "/api/audit", Endpoint::AuditList),
    (
        "GET",
        "/api/webhooks/deliveries",
        Endpoint::WebhookDeliveries,
    ),
    ("POST", "/api/webhooks/test", Endpoint::WebhookTest),
    (
        "POST",
        "/api/webhooks/deliveries/{id}/retry",
        Endpoint::WebhookRetry,
    ),
    ("GET", "/api/trash", Endpoint::TrashList),
    ("GET", "/api/search", Endpoint::Search),
    (
        "POST",
        protocol::admin::SEARCH_REBUILD,
        Endpoint::SearchRebuild,
    ),
    ("GET", "/api/usage", Endpoint::Usage),
    (
        "POST",
        "/api/trash/{collection}/{name}/restore",
        Endpoint::TrashRestore,
    ),
    ("POST", "/api/{collection}/generate", Endpoint::Generate),
    (
        "POST",
        "/api/{collection}/generate/batch",
        Endpoint::GenerateBatch,
    ),
    ("GET", "/api/batches/{id}", Endpoint::BatchGet),
    ("GET", "/api/proposals/{id}", Endpoint::ProposalGet),
    (
        "POST",
        "/api/proposals/{id}/approve",
        Endpoint::ProposalApprove,
    ),
    (
        "POST",
        "/api/proposals/{id}/reject",
        Endpoint::ProposalReject,
    ),
    ("POST", "/api/batches/{id}/cancel", Endpoint::BatchCancel),
    ("GET", "/api/{collection}", Endpoint::DocsList),
    ("POST", "/api/{collection}/upload", Endpoint::DocsUpload),
    ("GET", "/api/{collection}/{name}", Endpoint::DocGet),
    ("PUT", "/api/{collection}/{name}", Endpoint::DocPut),
    ("DELETE", "/api/{collection}/{name}", Endpoint::DocDelete),
    (
        "GET",
        "/api/{collection}/{name}/preview",
        Endpoint::DocPreview,
    ),
    ("POST", "/api/{collection}/{name}/revise", Endpoint::Revise),
    (
        "GET",
        "/api/{collection}/{name}/quality",
        Endpoint::DocQuality,
    ),
    (
        "GET",
        "/api/{collection}/{name}/versions",
        Endpoint::DocVersions,
    ),
    (
        "GET",
        "/api/{collection}/{name}/versions/{version}",
        Endpoint::DocVersionGet,
    ),
    (
        "POST",
        "/api/{collection}/{name}/versions/{version}/restore",
        Endpoint::DocVersionRestore,
    ),
];

/// A matched route: the endpoint and its path parameters, percent-decoded.
#[derive(Debug, PartialEq, Eq)]
pub struct Matched {
    pub endpoint: Endpoint,
    pub collection: Option<Collection>,
    /// The other parameters by pattern name (`name`, `id`, `attempt`, ...).
    pub params: Vec<(&'static str, String)>,
}

impl Matched {
    /// A parameter the endpoint's pattern guarantees.
    pub fn param(&self, key: &str) -> &str {
        self.params
            .iter()
            .find(|(k, _)| *k == key)
            .map_or("", |(_, v)| v.as_str())
    }

    pub fn name(&self) -> Option<&str> {
        self.params
            .iter()
            .find(|(k, _)| *k == "name")
            .map(|(_, v)| v.as_str())
    }
}

/// What the router decided for a path outside the API (`/api/...` and `/health`).
#[derive(Debug, PartialEq, Eq)]
pub enum Resolved {
    Api(Matched),
    /// Not an API path: the static UI may serve it.
    Static,
}

/// Finds the endpoint for `method` and raw `path`, or the error the client should get.
pub fn resolve(method: &str, path: &str) -> Result<Resolved, ApiError> {
    if path != "/health" && path != "/api" && !path.starts_with("/api/") {
        return Ok(Resolved::Static);
    }
    let segments: Vec<&str> = path.split('/').skip(1).collect();
    let mut allowed: Vec<&'static str> = Vec::new();
    let mut matched = None;
    for (route_method, pattern, endpoint) in ROUTES {
        let Some(params) = match_pattern(pattern, &segments) else {
            continue;
        };
        if *route_method == method {
            matched = Some((*endpoint, params));
            break;
        }
        allowed.push(route_method);
    }
    let Some((endpoint, params)) = matched else {
        if !allowed.is_empty() {
            let mut unique: Vec<&'static str> = Vec::new();
            for m in allowed {
                if !unique.contains(&m) {
                    unique.push(m);
                }
            }
            let allowed = unique;
            return Err(ApiError::MethodNotAllowed {
                method: method.to_owned(),
                allowed: allow_header(&allowed),
            });
        }
        return Err(unmatched(path, &segments));
    };
    let mut collection = None;
    let mut decoded = Vec::new();
    for (key, raw) in params {
        if key == "collection" {
            collection = Collection::from_segment(&raw);
        } else {
            let value = decode_component(&raw).ok_or_else(|| {
                ApiError::BadRequest(format!(
                    "{key} in the path is not valid percent-encoded UTF-8"
                ))
            })?;
            decoded.push((key, value));
        }
    }
    Ok(Resolved::Api(Matched {
        endpoint,
        collection,
        params: decoded,
    }))
}

fn match_pattern(pattern: &'static str, segments: &[&str]) -> Option<Vec<(&'static str, String)>> {
    let parts: Vec<&str> = pattern.split('/').skip(1).collect();
    if parts.len() != segments.len() {
        return None;
    }
    let mut params = Vec::new();
    for (part, seg) in parts.iter().zip(segments) {
        if let Some(key) = part.strip_prefix('{').and_then(|p| p.strip_suffix('}')) {
            if seg.is_empty() || (key == "collection" && Collection::from_segment(seg).is_none()) {
                return None;
            }
            params.push((key, seg.to_string()));
        } else if part != seg {
            return None;
        }
    }
    Some(params)
}

/// First path segments under `/api/` that are not collections.
const RESERVED: [&str; 16] = [
    "search",
    "usage",
    "jobs",
    "proposals",
    "batches",
    "trash",
    "runner",
    "openapi.json",
    "render",
    "auth",
    "me",
    "users",
    "tokens",
    "runners",
    "audit",
    "webhooks",
];

/// A path under a collection that fits no route can only be a name with a `/` in it.
fn unmatched(path: &str, segments: &[&str]) -> ApiError {
    match segments {
        ["api", c, rest @ ..] if Collection::from_segment(c).is_some() && !rest.is_empty() => {
            ApiError::BadRequest(format!(
                "invalid document name in {path:?}: names cannot contain '/' or be empty"
            ))
        }
        ["api", c, ..] if !RESERVED.contains(c) => {
            ApiError::NotFound(format!("no collection named {c:?}"))
        }
        _ => ApiError::NotFound(format!("no endpoint at {path}")),
    }
}

fn allow_header(methods: &[&str]) -> &'static str {
    // A small closed set, so the header value can be static.
    match methods {
        ["GET"] => "GET",
        ["POST"] => "POST",
        ["PUT"] => "PUT",
        ["GET", "PUT", "DELETE"] => "GET, PUT, DELETE",
        ["GET", "POST"] => "GET, POST",
        ["PATCH"] => "PATCH",
        ["DELETE"] => "DELETE",
        _ => "GET, PUT, POST, PATCH, DELETE",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn api(method: &str, path: &str) -> Matched {
        match resolve(method, path) {
            Ok(Resolved::Api(m)) => m,
            other => panic!("{method} {path}: {other:?}"),
        }
    }

    #[test]
    fn matches_every_route() {
        assert_eq!(api("GET", "/health").endpoint, Endpoint::Health);
        assert_eq!(api("POST", "/api/render").endpoint, Endpoint::Render);
        assert_eq!(
            api("GET", "/api/briefs").collection,
            Some(Collection::Briefs)
        );
        assert_eq!(
            api("POST", "/api/drafts/upload").endpoint,
            Endpoint::DocsUpload
        );
        let m = api("PUT", "/api/brand-data/acme.json");
        assert_eq!(
            (m.endpoint, m.name()),
            (Endpoint::DocPut, Some("acme.json"))
        );
        assert_eq!(
            api("GET", "/api/briefs/a.md/preview").endpoint,
            Endpoint::DocPreview
        );
        assert_eq!(api("GET", "/api/briefs/%2e%2e").name(), Some(".."));
        assert_eq!(api("GET", "/api/jobs").endpoint, Endpoint::JobsList);
        let m = api("GET", "/api/jobs/abc/events");
        assert_eq!((m.endpoint, m.param("id")), (Endpoint::JobEvents, "abc"));
        assert_eq!(
            api("POST", "/api/briefs/generate").endpoint,
            Endpoint::Generate
        );
        let m = api("PUT", "/api/runner/jobs/j1/2/logs/7");
        assert_eq!((m.param("attempt"), m.param("chunk")), ("2", "7"));
    }

    #[test]
    fn errors_say_what_went_wrong() {
        assert!(matches!(
            resolve("PATCH", "/api/briefs/a.md"),
            Err(ApiError::MethodNotAllowed { .. })
        ));
        assert!(matches!(
            resolve("PUT", "/api/jobs/x"),
            Err(ApiError::MethodNotAllowed { .. })
        ));
        assert!(matches!(
            resolve("GET", "/api/runner/claim"),
            Err(ApiError::MethodNotAllowed { .. })
        ));
        assert!(matches!(
            resolve("POST", "/health"),
            Err(ApiError::MethodNotAllowed { .. })
        ));
        assert!(matches!(
            resolve("GET", "/api/render"),
            Err(ApiError::MethodNotAllowed {
                allowed: "POST",
                ..
            })
        ));
        assert!(matches!(
            resolve("POST", "/api/render/x"),
            Err(ApiError::NotFound(_))
        ));
        assert!(matches!(
            resolve("GET", "/api/nope"),
            Err(ApiError::NotFound(_))
        ));
        assert!(matches!(
            resolve("GET", "/api/nope/a.md"),
            Err(ApiError::NotFound(_))
        ));
        assert!(matches!(
            resolve("GET", "/api/briefs/a/b.md"),
            Err(ApiError::BadRequest(_))
        ));
        assert!(matches!(
            resolve("GET", "/api/briefs/"),
            Err(ApiError::BadRequest(_))
        ));
        assert!(matches!(
            resolve("GET", "/api/briefs/%ff.md"),
            Err(ApiError::BadRequest(_))
        ));
        assert_eq!(resolve("GET", "/index.html").unwrap(), Resolved::Static);
        assert_eq!(resolve("GET", "/").unwrap(), Resolved::Static);
    }
}
