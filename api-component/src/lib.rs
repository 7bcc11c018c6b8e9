//! The Claude Workflow Manager API as a WebAssembly HTTP component.
//!
//! # Layout
//! - [`handle`]: the one function every request passes through: the origin checks
//!   ([`guard`]), the route table ([`routes`]), who is asking and whether they may
//!   ([`access`]), then a handler. Pure: it takes a [`Ctx`] and an [`http::ApiRequest`].
//! - [`access`]: credentials, roles per endpoint, users, sessions, tokens, the audit log.
//! - [`routes`]: the route table and path matching.
//! - [`http`]: the wire: request and response values, headers (`If-Match`...), query
//!   parameters, JSON bodies, and how an [`error::ApiError`] becomes a response.
//! - [`handlers`]: document endpoints; [`multipart`]: browser uploads.
//! - [`jobs`]: the job queue, runner protocol, logs and live event streams, usage totals.
//! - [`search`]: the search index's words and keys; [`search_endpoints`]: search and its
//!   rebuild (the queries and the upkeep on every write are in [`documents`]).
//! - [`webhooks`]: finished jobs POSTed to `webhook_url`: the outbox, signing, backoff, and
//!   the pass hosts run to send them ([`serving::deliver_webhooks`]).
//! - [`documents`]: how documents, their metadata and the listing index sit in the store. It
//!   returns [`documents::DocError`]; [`error`] maps that (and store errors) to HTTP statuses.
//! - [`quality`]: the quality checks of briefs and drafts, from their text alone (pure);
//!   [`quality_endpoint`]: `GET .../quality`, graded against a document's sources.
//! - [`names`]: collections and document-name validation; [`words`]: where a text's words are
//!   and letters without their accents, for names, search and the quality checks alike; [`render`]: titles, word counts and
//!   HTML previews; [`assets`]: the embedded UI and the OpenAPI document, which `api_doc`
//!   (feature `openapi`, native only) generates from the route table and the wire types.
//! - [`store`]: the key-value trait and its in-memory implementation; [`settings`]; [`error`].
//! - [`serving`]: how a host drives the replies that wait (long-poll claims, event streams).
//! - `spin` (wasm32 only): the `#[http_service]` entry point and the `wasi:keyvalue` adapter.
//!
//! Everything but `spin` compiles natively and is tested against [`store::MemoryStore`].

pub mod access;
#[cfg(feature = "openapi")]
pub mod api_doc;
pub mod assets;
pub mod blob;
pub mod diff;
pub mod documents;
pub mod error;
pub mod guard;
pub mod handlers;
pub mod http;
pub mod jobs;
pub mod multipart;
pub mod names;
pub mod quality;
pub mod quality_endpoint;
pub mod render;
pub mod routes;
pub mod search;
pub mod search_endpoints;
pub mod serving;
pub mod settings;
pub mod store;
pub mod webhooks;
pub mod words;

#[cfg(target_arch = "wasm32")]
mod spin;

use access::Principal;
use error::{ApiError, ApiResult};
use http::{ApiRequest, ApiResponse};
use routes::{Endpoint, Matched, Resolved};
use settings::Settings;
use store::Store;

/// The component's version, reported by `/health`.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// Everything a request may use: the store, the settings, the time it arrived, randomness.
pub struct Ctx<'a> {
    pub store: &'a dyn Store,
    pub settings: &'a Settings,
    /// Milliseconds since the Unix epoch.
    pub now_ms: i64,
    /// A source of random numbers (job ids).
    pub random: &'a dyn Fn() -> u64,
}

/// What a request turns into. Most are answered at once; two need the host to wait.
pub enum Reply {
    Full(ApiResponse),
    /// A runner's claim found no job: wait with a [`serving::ClaimWait`].
    Claim(serving::ClaimWait),
    /// A `text/event-stream`: send it with a [`serving::EventPump`].
    Events(serving::EventPump),
}

/// Answers one request. Never panics on client input; every error becomes `{"error": ...}`.
pub fn handle(ctx: &Ctx, req: &ApiRequest) -> Reply {
    // HEAD is GET without the body.
    let head = req.method == "HEAD";
    let method = if head { "GET" } else { req.method.as_str() };
    let outcome = guard::check(ctx.settings, req)
        .and_then(|()| routes::resolve(method, &req.path))
        .and_then(|resolved| match resolved {
            Resolved::Api(matched) => {
                let principal = access::admit(ctx, req, matched.endpoint)?;
                if matched.endpoint.takes_json() {
                    guard::json_body(req)?;
                }
                Ok(Routed::Api(matched, principal))
            }
            Resolved::Static => Ok(Routed::Static),
        });
    if let Ok(Routed::Api(matched, principal)) = &outcome {
        match matched.endpoint {
            Endpoint::RunnerClaim => return claim(ctx, req, principal.as_ref()),
            Endpoint::JobEvents => {
                return match jobs::events::EventStream::open(ctx, req, matched.param("id")) {
                    Ok(stream) => Reply::Events(serving::EventPump::new(stream)),
                    Err(e) => Reply::Full(finish_response(e.into_response(), false)),
                };
            }
            _ => {}
        }
    }
    Reply::Full(respond(ctx, req, outcome, head))
}

/// A request past routing and access control.
enum Routed {
    /// An API endpoint and its caller (`None` only on public endpoints).
    Api(Matched, Option<Principal>),
    Static,
}

/// Asks for jobs again for a waiting claim (see [`Reply::Claim`]).
pub(crate) fn claim_again(
    ctx: &Ctx,
    request: &jobs::runner_api::WaitingClaim,
) -> Option<ApiResponse> {
    let found =
        jobs::runner_api::claim_again(ctx, request).unwrap_or_else(|e| Some(e.into_response()));
    found.map(|resp| finish_response(resp, false))
}

/// The answer to a claim that found nothing before its deadline.
pub(crate) fn claim_empty(ctx: &Ctx) -> ApiResponse {
    finish_response(jobs::runner_api::claim_response(ctx, Vec::new()), false)
}

fn claim(ctx: &Ctx, req: &ApiRequest, principal: Option<&Principal>) -> Reply {
    let full = |resp| Reply::Full(finish_response(resp, false));
    let bound = principal.and_then(Principal::bound_runner);
    let mut request = match jobs::runner_api::parse_claim(ctx, &req.body, bound) {
        Ok(r) => r,
        Err(e) => return full(e.into_response()),
    };
    // The stop mark is read before the first pass, so a stop sent while it runs still counts.
    let first = jobs::runner_api::mark_waiting(ctx, &mut request)
        .and_then(|()| jobs::runner_api::claim_first(ctx, &request));
    match first {
        Ok(Some(resp)) => full(resp),
        Ok(None) if request.req.wait_ms > 0 => {
            let deadline_ms = ctx.now_ms + request.req.wait_ms as i64;
            Reply::Claim(serving::ClaimWait::new(request, deadline_ms))
        }
        Ok(None) => Reply::Full(claim_empty(ctx)),
        Err(e) => full(e.into_response()),
    }
}

/// Answers a request that needs no waiting (everything but claims and event streams), once
/// [`handle`] has authorized and routed it.
fn respond(ctx: &Ctx, req: &ApiRequest, outcome: ApiResult<Routed>, head: bool) -> ApiResponse {
    let resp = outcome
        .and_then(|routed| match routed {
            Routed::Api(matched, principal) => dispatch(ctx, req, matched, principal.as_ref()),
            Routed::Static if head || req.method == "GET" => {
                assets::static_file(&req.path, req.header("if-none-match"))
                    .ok_or_else(|| ApiError::NotFound(format!("nothing at {}", req.path)))
            }
            Routed::Static => Err(ApiError::MethodNotAllowed {
                method: req.method.clone(),
                allowed: "GET",
            }),
        })
        .unwrap_or_else(ApiError::into_response);
    finish_response(resp, head)
}

fn finish_response(mut resp: ApiResponse, head: bool) -> ApiResponse {
    resp.headers
        .push(("x-content-type-options".into(), "nosniff".into()));
    if head {
        resp.body.clear();
    }
    resp
}

fn dispatch(
    ctx: &Ctx,
    req: &ApiRequest,
    matched: Matched,
    principal: Option<&Principal>,
) -> ApiResult<ApiResponse> {
    // The route table guarantees the parameters each endpoint's pattern names.
    let c = || {
        matched
            .collection
            .ok_or_else(|| ApiError::NotFound("no collection".into()))
    };
    let n = || {
        matched
            .name()
            .ok_or_else(|| ApiError::NotFound("no document name".into()))
    };
    let p = |key| matched.param(key);
    // `access::admit` guarantees a caller on every endpoint that is not public.
    let who = || principal.ok_or_else(|| ApiError::Unauthorized("sign in first".into()));
    let bound = principal.and_then(Principal::bound_runner);
    let by = principal.map_or_else(|| "anonymous".to_owned(), Principal::label);
    use access::endpoints as acc;
    use jobs::{runner_api, views};
    match matched.endpoint {
        Endpoint::Health => health(ctx, principal.is_some() || ctx.settings.auth_off()),
        Endpoint::OpenApi => Ok(ApiResponse::new(
            200,
            "application/json",
            assets::OPENAPI_JSON,
        )),
        Endpoint::Render => handlers::render_markdown(ctx, req),
        Endpoint::JobsList => views::jobs_list(ctx, req),
        Endpoint::JobGet => views::job_get(ctx, p("id")),
        Endpoint::JobDelete => audited(
            ctx,
            req,
            principal,
            ("job_deleted", p("id")),
            views::job_delete(ctx, p("id")),
        ),
        Endpoint::JobCancel => audited(
            ctx,
            req,
            principal,
            ("job_cancelled", p("id")),
            views::job_cancel(ctx, p("id")),
        ),
        Endpoint::JobRetry => views::job_retry(ctx, p("id"), &by),
        Endpoint::JobLogs => jobs::logs::logs_get(ctx, req, p("id")),
        Endpoint::JobPrompt => views::job_prompt(ctx, p("id")),
        // Answered by `handle` before dispatch; reaching here means a plain GET of a stream.
        Endpoint::JobEvents | Endpoint::RunnerClaim => Err(ApiError::BadRequest("not here".into())),
        Endpoint::RunnerClaimStop => runner_api::stop_claims(ctx, &req.body, bound),
        Endpoint::RunnerHeartbeat => runner_api::heartbeat(ctx, &req.body, bound),
        Endpoint::RunnerLogChunk => {
            runner_api::log_chunk(ctx, bound, p("id"), p("attempt"), p("chunk"), &req.body)
        }
        Endpoint::RunnerOutput => {
            runner_api::output(ctx, bound, p("id"), p("attempt"), p("index"), &req.body)
        }
        Endpoint::RunnerFinish => runner_api::finish(ctx, bound, p("id"), p("attempt"), &req.body),
        Endpoint::Generate => jobs::submit::generate(ctx, c()?, &req.body, &by),
        Endpoint::GenerateBatch => jobs::batches::submit(ctx, c()?, &req.body, &by),
        Endpoint::BatchGet => jobs::batches::get(ctx, p("id")),
        Endpoint::Revise => jobs::revise::submit(ctx, c()?, n()?, &req.body, &by),
        Endpoint::ProposalGet => jobs::revise::get(ctx, p("id")),
        Endpoint::ProposalApprove => audited(
            ctx,
            req,
            principal,
            ("proposal_approved", p("id")),
            jobs::revise::approve(ctx, p("id"), &req.body, &by),
        ),
        Endpoint::ProposalReject => audited(
            ctx,
            req,
            principal,
            ("proposal_rejected", p("id")),
            jobs::revise::reject(ctx, p("id"), &by),
        ),
        Endpoint::BatchCancel => audited(
            ctx,
            req,
            principal,
            ("batch_cancelled", p("id")),
            jobs::batches::cancel(ctx, p("id")),
        ),
        Endpoint::DocsList => handlers::docs_list(ctx, req, c()?),
        Endpoint::DocsUpload => handlers::docs_upload(ctx, req, c()?, &by),
        Endpoint::DocGet => handlers::doc_get(ctx, req, c()?, n()?),
        Endpoint::DocPut => handlers::doc_put(ctx, req, c()?, n()?, &by),
        Endpoint::DocDelete => audited(
            ctx,
            req,
            principal,
            ("document_deleted", &format!("{}/{}", c()?.segment(), n()?)),
            handlers::doc_delete(ctx, c()?, n()?, &by),
        ),
        Endpoint::DocPreview => handlers::doc_preview(ctx, c()?, n()?),
        Endpoint::DocQuality => quality_endpoint::doc_quality(ctx, req, c()?, n()?),
        Endpoint::DocVersions => handlers::doc_versions(ctx, c()?, n()?),
        Endpoint::DocVersionGet => handlers::doc_version_get(ctx, c()?, n()?, p("version")),
        Endpoint::DocVersionRestore => audited(
            ctx,
            req,
            principal,
            (
                "version_restored",
                &format!("{}/{}@{}", c()?.segment(), n()?, p("version")),
            ),
            handlers::doc_version_restore(ctx, req, c()?, (n()?, p("version")), &by),
        ),
        Endpoint::TrashList => handlers::trash_list(ctx, req),
        Endpoint::TrashRestore => audited(
            ctx,
            req,
            principal,
            ("document_restored", &format!("{}/{}", c()?.segment(), n()?)),
            handlers::trash_restore(ctx, c()?, n()?, &by),
        ),
        Endpoint::AuthLogin => acc::login(ctx, req),
        Endpoint::AuthLogout => acc::logout(ctx, req, principal),
        Endpoint::AuthAccept => acc::accept(ctx, req),
        Endpoint::AuthLink => acc::link(ctx, req),
        Endpoint::SignInLinks => acc::signin_link(ctx, req, who()?),
        Endpoint::Me => acc::me(who()?),
        Endpoint::UsersList => acc::users_list(ctx),
        Endpoint::UsersCreate => acc::users_create(ctx, req, who()?),
        Endpoint::UserPatch => acc::user_patch(ctx, req, who()?, p("id")),
        Endpoint::TokensList => acc::tokens_list(ctx, who()?),
        Endpoint::TokensCreate => acc::tokens_create(ctx, req, who()?),
        Endpoint::TokenDelete => acc::token_delete(ctx, req, who()?, p("id")),
        Endpoint::RunnerTokensList => acc::runner_tokens_list(ctx),
        Endpoint::RunnerTokensCreate => acc::runner_tokens_create(ctx, req, who()?),
        Endpoint::RunnersList => acc::runners_list(ctx),
        Endpoint::AuditList => acc::audit_list(ctx, req),
        Endpoint::WebhookDeliveries => webhooks::deliveries_list(ctx, req),
        Endpoint::WebhookTest => audited(
            ctx,
            req,
            principal,
            ("webhook_tested", "webhook_url"),
            webhooks::test(ctx),
        ),
        Endpoint::Search => search_endpoints::search(ctx, req),
        Endpoint::SearchRebuild => search_endpoints::rebuild(ctx, req),
        Endpoint::Usage => jobs::usage::usage_get(ctx, req),
        Endpoint::WebhookRetry => audited(
            ctx,
            req,
            principal,
            ("webhook_retried", p("id")),
            webhooks::retry(ctx, p("id")),
        ),
    }
}

/// `outcome`, with an audit entry `(action, target)` when it succeeded.
fn audited(
    ctx: &Ctx,
    req: &ApiRequest,
    principal: Option<&Principal>,
    (action, target): (&str, &str),
    outcome: ApiResult<ApiResponse>,
) -> ApiResult<ApiResponse> {
    let resp = outcome?;
    if resp.status < 300 {
        let actor = principal.map_or_else(|| "anonymous".to_owned(), Principal::label);
        let client = access::client_ip(req);
        access::audit::record(ctx, &actor, action, target, client.as_deref())?;
    }
    Ok(resp)
}

/// What `GET /health` reports: the figures for callers with a credential only (a stranger
/// learns just the status).
#[derive(Debug, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(untagged)]
pub enum Health {
    Detailed(DetailedHealth),
    Public(PublicHealth),
}

/// `/health` for a caller without a credential: the status alone.
#[derive(Debug, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct PublicHealth {
    pub status: HealthStatus,
}

/// `/health` for a caller with a credential: the status and the figures.
#[derive(Debug, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DetailedHealth {
    pub status: HealthStatus,
    #[serde(flatten)]
    pub detail: HealthDetail,
}

/// What `/health` tells a caller with a credential besides the status.
#[derive(Debug, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct HealthDetail {
    /// Why the status is `degraded`; absent when healthy.
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    #[cfg_attr(feature = "openapi", schema(format = DateTime))]
    pub timestamp: String,
    /// Attempts running now.
    pub active_jobs: i64,
    pub queued_jobs: i64,
    /// Jobs waiting for a usage limit to reset (counted neither as queued nor as active).
    pub waiting_jobs: i64,
    pub max_concurrent_jobs: u64,
    /// Runners seen recently.
    pub runners_online: u64,
    /// The component's version.
    pub version: String,
}

/// `degraded` while jobs are queued and no runner is online, since nothing will run them;
/// `healthy` otherwise.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum HealthStatus {
    Healthy,
    Degraded,
}

/// `GET /health`: the status for anyone; the figures only for a caller with a credential.
fn health(ctx: &Ctx, detailed: bool) -> ApiResult<ApiResponse> {
    use jobs::model::keys;
    let queued = jobs::counter(ctx.store, keys::QUEUED_COUNT)?.max(0);
    let runners_online = jobs::runner_api::runners_online(ctx)?;
    let reason = degraded_reason(queued, runners_online);
    let status = match reason {
        Some(_) => HealthStatus::Degraded,
        None => HealthStatus::Healthy,
    };
    let body = if detailed {
        Health::Detailed(DetailedHealth {
            status,
            detail: HealthDetail {
                reason,
                timestamp: documents::rfc3339(ctx.now_ms),
                active_jobs: jobs::counter(ctx.store, keys::RUNNING_COUNT)?.max(0),
                queued_jobs: queued,
                waiting_jobs: jobs::counter(ctx.store, keys::WAITING_COUNT)?.max(0),
                max_concurrent_jobs: ctx.settings.max_concurrent_jobs,
                runners_online,
                version: VERSION.to_owned(),
            },
        })
    } else {
        Health::Public(PublicHealth { status })
    };
    Ok(ApiResponse::json(200, &body))
}

/// Why the service cannot do its work now, if it cannot: queued jobs with nobody to run them.
fn degraded_reason(queued: i64, runners_online: u64) -> Option<String> {
    match (queued, runners_online) {
        (0, _) | (_, 1..) => None,
        (1, 0) => Some("1 job is queued and no runner is online".to_owned()),
        (n, 0) => Some(format!("{n} jobs are queued and no runner is online")),
    }
}
