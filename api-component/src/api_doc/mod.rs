//! The OpenAPI 3.1 description of the API, generated from the code (only with
//! `feature = "openapi"`): one operation per route in [`crate::routes::ROUTES`], its schemas
//! derived from the wire types (`utoipa::ToSchema`), its refusals from what [`crate::handle`]
//! checks before any handler runs.
//!
//! The component serves a committed copy (`api-component/openapi.json`, see
//! [`crate::assets::OPENAPI_JSON`]) so that the `.wasm` carries no generator; the test
//! `openapi` in `tests/it` regenerates it and fails on any difference
//! (`UPDATE_OPENAPI=1 cargo test -p api-component --test it openapi` rewrites it).

use std::collections::BTreeMap;

use serde_json::json;
use utoipa::ToSchema;
use utoipa::openapi::header::HeaderBuilder;
use utoipa::openapi::path::{
    HttpMethod, OperationBuilder, ParameterBuilder, ParameterIn, PathItem,
};
use utoipa::openapi::request_body::{RequestBody, RequestBodyBuilder};
use utoipa::openapi::schema::{
    ArrayBuilder, ComponentsBuilder, KnownFormat, ObjectBuilder, OneOfBuilder, Ref, Schema,
    SchemaFormat, Type,
};
use utoipa::openapi::security::{
    ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityRequirement, SecurityScheme,
};
use utoipa::openapi::{
    Content, InfoBuilder, OpenApi, OpenApiBuilder, PathsBuilder, RefOr, Required, Response,
    ResponseBuilder,
};

mod batches;
mod history;
mod job_list;
mod quality;
mod revise;
mod search;
mod webhooks;

use crate::VERSION;
use crate::access::endpoints::{
    AcceptRequest, AuditPage, Invited, LinkRequest, LoginRequest, NewRunnerToken, NewToken,
    NewUser, RunnerList, SignInLink, TokenCreated, TokenList, TokenOne, UserChange, UserList,
    UserOne,
};
use crate::access::{Need, need};
use crate::documents::DocItem;
use crate::handlers::{self, Uploaded};
use crate::http::ErrorBody;
use crate::jobs::logs::{self, LogPage};
use crate::jobs::model::{JobView, Status};
use crate::jobs::submit::{BrandRequest, BriefRequest, DraftRequest, Queued};
use crate::jobs::views::{self, JobPage};
use crate::names::{Collection, MAX_NAME_LEN};
use crate::routes::{Endpoint, ROUTES};
use protocol::limits::{MAX_CHUNKS, MAX_LINES_PER_CHUNK, MAX_LOG_CHUNK_BYTES};
use protocol::{
    ActionResponse, ClaimRequest, ClaimResponse, FinishRequest, HeartbeatRequest,
    HeartbeatResponse, LogChunk, StopRequest,
};

/// Why a request that would queue a job is refused with 429.
const FULL_QUEUE: &str =
    "The queue already holds `max_queued_jobs` jobs; nothing was queued; see `Retry-After`";

/// The name of the bearer-token scheme of the runner endpoints.
const RUNNER_TOKEN: &str = "runnerToken";
/// People's bearer tokens: the admin token and API tokens.
const BEARER: &str = "bearerToken";
/// A signed-in browser's session cookie.
const SESSION: &str = "sessionCookie";

/// The document, pretty-printed with a trailing newline: what `openapi.json` must hold.
pub fn openapi_json() -> String {
    // Serializing utoipa's own values cannot fail.
    let mut text = openapi().to_pretty_json().unwrap_or_default();
    text.push('\n');
    text
}

/// The whole document.
pub fn openapi() -> OpenApi {
    let mut schemas = Schemas::default();
    let mut refusals = BTreeMap::new();
    let mut paths = PathsBuilder::new();
    for &(method, path, endpoint) in ROUTES {
        let operation = operation(method, path, endpoint, &mut schemas, &mut refusals);
        paths = paths.path(path, PathItem::new(http_method(method), operation));
    }
    let error = schemas.of::<ErrorBody>();
    let mut components = ComponentsBuilder::new()
        .security_scheme(
            RUNNER_TOKEN,
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some(
                        "A runner token from `POST /api/runners/tokens` (bound to one runner \
                         name), or the shared `runner_token` setting.",
                    ))
                    .build(),
            ),
        )
        .security_scheme(
            BEARER,
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some(
                        "The `admin_token` setting, or an API token from `POST /api/tokens`.",
                    ))
                    .build(),
            ),
        )
        .security_scheme(
            SESSION,
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::with_description(
                crate::access::sessions::COOKIE,
                "The session cookie set by signing in.",
            ))),
        );
    for (status, name) in refusals {
        components = components.response(name, error_response(generic_refusal(status), &error));
    }
    let components = components.schemas_from_iter(schemas.0).build();
    let info = InfoBuilder::new()
        .title("Claude Workflow Manager API")
        .version(VERSION)
        .description(Some(
            "Documents (brand data, briefs, drafts) kept in a key-value store, jobs that generate \
             them, and the protocol of the runners that run those jobs, served by a WebAssembly \
             component. Every error is JSON `{\"error\": \"...\"}`. Generated from the code \
             (`api-component/src/api_doc/`).",
        ))
        .build();
    OpenApiBuilder::new()
        .info(info)
        .paths(paths.build())
        .components(Some(components))
        .build()
}

/// The schemas the document refers to, by name: each type with every type it uses.
#[derive(Default)]
struct Schemas(BTreeMap<String, RefOr<Schema>>);

impl Schemas {
    /// A reference to `T`'s schema, which (and whose dependencies) the document then holds.
    fn of<T: ToSchema>(&mut self) -> RefOr<Schema> {
        let name = T::name().into_owned();
        let mut wanted = vec![(name.clone(), T::schema())];
        T::schemas(&mut wanted);
        for (name, schema) in wanted {
            self.add(name, schema);
        }
        Ref::from_schema_name(name).into()
    }

    /// Two types of one name would share a schema: refuse them (rename one, or `#[schema(as)]`).
    fn add(&mut self, name: String, schema: RefOr<Schema>) {
        if let Some(held) = self.0.get(&name) {
            assert!(*held == schema, "two different schemas are named {name}");
        } else {
            self.0.insert(name, schema);
        }
    }
}

/// What one endpoint does, besides what its route and the request guards already say.
struct Described {
    operation_id: &'static str,
    tag: &'static str,
    summary: &'static str,
    description: Option<String>,
    /// Query and header parameters (path parameters come from the route's pattern).
    parameters: Vec<utoipa::openapi::path::Parameter>,
    body: Option<RequestBody>,
    /// Answers that are not refusals: status and response.
    answers: Vec<(u16, Response)>,
    /// Refusals this endpoint's handler makes, with what they mean here.
    refusals: Vec<(u16, &'static str)>,
    /// Whether it reads or writes the store (so it can fail with 500).
    stored: bool,
}

impl Described {
    fn new(operation_id: &'static str, tag: &'static str, summary: &'static str) -> Self {
        Described {
            operation_id,
            tag,
            summary,
            description: None,
            parameters: Vec::new(),
            body: None,
            answers: Vec::new(),
            refusals: Vec::new(),
            stored: true,
        }
    }

    fn describe(mut self, description: impl Into<String>) -> Self {
        self.description = Some(description.into());
        self
    }

    fn parameter(mut self, parameter: utoipa::openapi::path::Parameter) -> Self {
        self.parameters.push(parameter);
        self
    }

    fn body(mut self, body: RequestBody) -> Self {
        self.body = Some(body);
        self
    }

    fn answer(mut self, status: u16, response: Response) -> Self {
        self.answers.push((status, response));
        self
    }

    fn refuse(mut self, status: u16, meaning: &'static str) -> Self {
        self.refusals.push((status, meaning));
        self
    }

    fn stateless(mut self) -> Self {
        self.stored = false;
        self
    }
}

/// The endpoint's own description. A new [`Endpoint`] does not compile until it has one.
fn describe(endpoint: Endpoint, s: &mut Schemas) -> Described {
    use Endpoint::*;
    match endpoint {
        Health => Described::new("health", "service", "Service health and job counts").answer(
            200,
            json_response(
                "Healthy, or degraded with a reason",
                s.of::<crate::Health>(),
            ),
        ),
        OpenApi => Described::new("openapi", "service", "This document")
            .stateless()
            .answer(
                200,
                ResponseBuilder::new()
                    .description("The OpenAPI 3.1 description of every endpoint")
                    .content("application/json", Content::new(Some(object())))
                    .build(),
            ),
        Render => Described::new(
            "renderMarkdown",
            "documents",
            "Render unsaved Markdown as the document preview would",
        )
        .describe(
            "The editor's live preview: the body is rendered and sanitized exactly as `GET \
             /api/{collection}/{name}/preview` renders a stored Markdown document. Nothing is \
             stored. The body may be at most `max_document_bytes` (a document that large could \
             not be saved either).",
        )
        .stateless()
        .body(text_body(&["text/markdown", "text/plain"], "Markdown"))
        .answer(200, html_response("The sanitized HTML fragment"))
        .refuse(400, "The body is not UTF-8")
        .refuse(413, "The body is over `max_document_bytes`")
        .refuse(
            415,
            "The body is labelled as something other than Markdown or plain text",
        ),
        JobsList => job_list::describe(endpoint, s),
        JobGet => Described::new("jobGet", "jobs", "One job")
            .answer(200, json_response("The job", s.of::<JobView>()))
            .refuse(404, "No job with this id"),
        JobDelete => Described::new("jobDelete", "jobs", "Remove a finished job")
            .describe(
                "Removes the job with its logs, staged outputs and bookkeeping; the documents \
                 it produced stay. Finished jobs are also removed by themselves once \
                 `job_retention_days` old.",
            )
            .answer(204, ResponseBuilder::new().description("Removed").build())
            .refuse(404, "No job with this id")
            .refuse(
                409,
                "The job is queued, running or waiting: cancel it first",
            ),
        JobCancel => Described::new("jobCancel", "jobs", "Cancel a job")
            .describe(
                "A queued or waiting job is cancelled at once (it never runs again); a running \
                 one is flagged, its runner learns it within a heartbeat (1 s) and the job \
                 becomes `cancelled` once the process is gone.",
            )
            .answer(
                202,
                json_response("Cancelled, or cancelling", s.of::<JobView>()),
            )
            .refuse(404, "No job with this id")
            .refuse(409, "The job is already completed, failed or cancelled"),
        JobRetry => Described::new(
            "jobRetry",
            "jobs",
            "Queue a new job with the same parameters",
        )
        .describe("Only failed or cancelled jobs can be retried.")
        .answer(202, json_response("The new job, queued", s.of::<Queued>()))
        .refuse(404, "No job with this id")
        .refuse(
            409,
            "The job is not failed or cancelled, or its type is unknown to this server",
        )
        .refuse(422, "An input document of the job no longer exists")
        .refuse(429, FULL_QUEUE),
        JobLogs => Described::new("jobLogs", "jobs", "Log lines after a sequence number")
            .describe(
                "`seq` numbers are strictly increasing, not contiguous. Pass `next` back as \
                 `after`. `done` is true once the job is final and every line was returned.",
            )
            .parameter(after("Return the lines after this `seq`"))
            .parameter(limit(logs::DEFAULT_LINES, logs::MAX_LINES))
            .answer(200, json_response("Lines", s.of::<LogPage>()))
            .refuse(400, "A bad `after` or limit")
            .refuse(404, "No job with this id"),
        JobEvents => {
            // Named so that clients find the schema of each event's data.
            s.of::<JobView>();
            s.of::<logs::SeqLine>();
            Described::new("jobEvents", "jobs", "Live events (Server-Sent Events)")
                .describe(
                    "`event: log` (`id:` = `seq`, data = a `SeqLine`) for each line, `event: \
                     status` (data = the `JobView`) whenever the job changes, and a final `event: \
                     done` (data = the `JobView`) before the server closes the stream; an `event: \
                     error` (data = an `ErrorBody`) ends it if storage fails. Resumes after \
                     `Last-Event-ID` (or else `?after=`) without gaps or repeats. Streams end \
                     after 5 minutes; clients reconnect.",
                )
                .parameter(after("Start after this `seq`"))
                .parameter(header(
                    "Last-Event-ID",
                    "The `id` of the last event received: resume after it (wins over `after`)",
                ))
                .answer(
                    200,
                    ResponseBuilder::new()
                        .description("The event stream")
                        .content("text/event-stream", Content::new(Some(string())))
                        .build(),
                )
                .refuse(400, "A bad `after` or `Last-Event-ID`")
                .refuse(404, "No job with this id")
                .refuse(
                    429,
                    "The host has too many event streams open (from this client, or in all); \
                     see `Retry-After`, and poll `/logs` meanwhile",
                )
        }
        RunnerClaim => Described::new(
            "runnerClaim",
            "runner",
            "Claim up to `slots` queued jobs (long poll)",
        )
        .describe(
            "Runner protocol (docs/runner-protocol.md). Reaps attempts whose lease expired, then \
             takes queued jobs in FIFO order while fewer than `max_concurrent_jobs` run. Waits up \
             to `wait_ms` (capped by the `claim_wait_ms` setting) for a job.",
        )
        .body(json_body(s.of::<ClaimRequest>()))
        .answer(
            200,
            json_response("Claimed jobs (maybe none)", s.of::<ClaimResponse>()),
        )
        .refuse(
            400,
            "Not a claim, a bad runner name, or `slots` out of range",
        ),
        RunnerClaimStop => Described::new(
            "runnerClaimStop",
            "runner",
            "End this runner's waiting claims now",
        )
        .describe(
            "Claims of `runner` that are waiting answer at once, with the jobs they already took \
             (usually none); later claims wait as usual. A draining runner calls it so that it \
             need not wait out its long poll.",
        )
        .body(json_body(s.of::<StopRequest>()))
        .answer(
            204,
            ResponseBuilder::new()
                .description(
                    "Waiting claims of this runner answer within one poll interval (25 ms)",
                )
                .build(),
        )
        .refuse(400, "Not a stop request, or a bad runner name"),
        RunnerHeartbeat => {
            Described::new("runnerHeartbeat", "runner", "Extend leases; learn cancels")
                .describe(
                    "Each listed attempt that is still this runner's gets its lease extended and \
                 `continue` or `cancel` (stop it, finish as cancelled); any other gets `abandon` \
                 (no longer yours: kill it, report nothing).",
                )
                .body(json_body(s.of::<HeartbeatRequest>()))
                .answer(
                    200,
                    json_response("What to do with each attempt", s.of::<HeartbeatResponse>()),
                )
                .refuse(400, "Not a heartbeat, or a bad runner name")
        }
        RunnerLogChunk => Described::new(
            "runnerLogChunk",
            "runner",
            "Store log chunk `chunk` of an attempt",
        )
        .describe(format!(
            "Chunks are numbered from 0 and sent in order, each at most {} KiB with 1 to {} \
             lines. Sending a chunk again rewrites it (idempotent).",
            MAX_LOG_CHUNK_BYTES / 1024,
            MAX_LINES_PER_CHUNK
        ))
        .body(json_body(s.of::<LogChunk>()))
        .answer(200, json_response("Stored", s.of::<ActionResponse>()))
        .refuse(
            400,
            "Not a log chunk, no lines or too many, or a bad attempt or chunk number",
        )
        .refuse(404, "No job with this id")
        .refuse(
            409,
            "The attempt is no longer running here (stop it), or the previous chunk is missing",
        )
        .refuse(413, "The chunk is over its limit"),
        RunnerOutput => Described::new(
            "runnerOutput",
            "runner",
            "Stage output file `index` of an attempt",
        )
        .describe(
            "The file's bytes. Staged outputs become documents when the attempt finishes \
             `completed`.",
        )
        .body(
            RequestBodyBuilder::new()
                .required(Some(Required::True))
                .content("application/octet-stream", Content::new(Some(binary())))
                .build(),
        )
        .answer(200, json_response("Staged", s.of::<ActionResponse>()))
        .refuse(
            400,
            "A bad attempt or index, or the job has no output with this index",
        )
        .refuse(404, "No job with this id")
        .refuse(409, "The attempt is no longer running here: stop it")
        .refuse(
            413,
            "The file is over `max_document_bytes` (the claim's `max_output_bytes`)",
        ),
        RunnerFinish => Described::new("runnerFinish", "runner", "Report the end of an attempt")
            .describe(
                "Sent after the last log chunk was accepted. `completed` commits the staged \
                 outputs (all must be present and valid, else the job fails with the reason); \
                 `cancelled` without a cancel request gives the job back to the queue; \
                 `usage_limit` (with `resume_at_ms`, when the limit resets) makes the job \
                 `waiting` until then, without using up an attempt (or fails it when \
                 `resume_on_usage_limit` is off).",
            )
            .body(json_body(s.of::<FinishRequest>()))
            .answer(
                200,
                json_response("The job after this attempt", s.of::<JobView>()),
            )
            .refuse(
                400,
                "Not a finish report, a bad attempt number, or `resume_at_ms` missing with \
                 `usage_limit`, given with another status, or more than 8 days ahead",
            )
            .refuse(404, "No job with this id")
            .refuse(
                409,
                "The attempt is no longer running here, or has already ended",
            ),
        Generate => Described::new(
            "generate",
            "jobs",
            "Queue a job generating a document into this collection",
        )
        .describe(
            "`brand-data` takes a `BrandRequest`, `briefs` a `BriefRequest`, `drafts` a \
             `DraftRequest`. The output document's name is chosen now (from the brand name, \
             title or brief, made unique), and the prompt is rendered from `instructions/` and \
             stored with the job.",
        )
        .body({
            let one_of = OneOfBuilder::new()
                .item(s.of::<BrandRequest>())
                .item(s.of::<BriefRequest>())
                .item(s.of::<DraftRequest>());
            json_body(one_of.into())
        })
        .answer(
            202,
            json_response("Queued", s.of::<Queued>())
                .with_header("Location", "The job: `/api/jobs/{job_id}`"),
        )
        .refuse(400, "A missing or invalid field")
        .refuse(409, "Too many documents already carry the output's name")
        .refuse(429, FULL_QUEUE)
        .refuse(
            422,
            "An input document (`brand_data`, `brief`) does not exist",
        ),
        DocsList => Described::new("docsList", "documents", "List documents, newest first")
            .describe(
                "Every write moves a document to the top. With `q`, the search of \
                 `GET /api/search` in this collection instead.",
            )
            .parameter(limit(handlers::DEFAULT_LIMIT, handlers::MAX_LIMIT))
            .parameter(cursor())
            .parameter(search::docs_list_q())
            .answer(200, search::docs_list_page(s))
            .refuse(
                400,
                "A bad limit or cursor, or a bad `q` (see `GET /api/search`)",
            ),
        DocsUpload => Described::new(
            "docsUpload",
            "documents",
            "Upload one or more files (browser form)",
        )
        .describe(
            "Each file is stored under its name, or one derived from it the way generated \
             documents are named (`Acme Brand Data (final).json` → \
             `acme-brand-data-final.json`). A file that cannot be stored (wrong extension, \
             unreadable or invalid content, a name another file of the upload took) is \
             reported in `files` and the others are stored; only when none can be stored is \
             the upload refused, naming every file's reason. A file with an existing name \
             replaces it (the old content stays as a version).",
        )
        .body(multipart_files())
        .answer(
            201,
            json_response("At least one file stored", s.of::<Uploaded>()),
        )
        .refuse(
            400,
            "A malformed body, no `file` part, or no file that could be stored",
        )
        .refuse(
            413,
            "The body is over `max_upload_bytes`, or its one file over `max_document_bytes`",
        )
        .refuse(415, "The body is not `multipart/form-data` with a boundary")
        .refuse(
            422,
            "No file could be stored, the first being brand data that is not a JSON object",
        ),
        DocGet => Described::new("docGet", "documents", "Document content as stored")
            .parameter(header(
                "If-None-Match",
                "ETags the client has: 304 if one is current",
            ))
            .answer(
                200,
                ResponseBuilder::new()
                    .description("The content (brand data as JSON, briefs and drafts as Markdown)")
                    .content("application/json", Content::new(Some(object())))
                    .content("text/markdown", Content::new(Some(string())))
                    .header("ETag", etag_header())
                    .build(),
            )
            .answer(
                304,
                ResponseBuilder::new()
                    .description("Unchanged since the given ETag")
                    .header("ETag", etag_header())
                    .build(),
            )
            .refuse(400, "An invalid document name")
            .refuse(404, "No such document"),
        DocPut => Described::new("docPut", "documents", "Create or replace a document")
            .describe(
                "The body may be labelled with the collection's type, `text/plain`, \
                 `application/octet-stream` or a form type (as `curl -d` sends).",
            )
            .parameter(header(
                "If-Match",
                "Replace only this version (`*`: only if the document exists)",
            ))
            .body(
                RequestBodyBuilder::new()
                    .required(Some(Required::True))
                    .description(Some(
                        "Brand data: a JSON object; briefs and drafts: UTF-8 Markdown",
                    ))
                    .content("application/json", Content::new(Some(object())))
                    .content("text/markdown", Content::new(Some(string())))
                    .content("text/plain", Content::new(Some(string())))
                    .build(),
            )
            .answer(200, stored_item("Replaced", s))
            .answer(201, stored_item("Created", s))
            .refuse(
                400,
                "An invalid document name, or a body that is empty, not UTF-8 or not JSON",
            )
            .refuse(412, "`If-Match` does not name the current version")
            .refuse(413, "The body is over `max_document_bytes`")
            .refuse(
                415,
                "The body is labelled as something the collection does not hold",
            )
            .refuse(422, "Brand data that is not a JSON object"),
        DocDelete => Described::new("docDelete", "documents", "Delete a document")
            .answer(204, ResponseBuilder::new().description("Deleted").build())
            .refuse(400, "An invalid document name")
            .refuse(404, "No such document"),
        DocPreview => Described::new("docPreview", "documents", "Sanitized HTML preview")
            .describe(
                "Markdown rendered and sanitized; brand data pretty-printed and escaped inside \
                 `<pre>`.",
            )
            .answer(200, html_response("The HTML fragment"))
            .refuse(400, "An invalid document name")
            .refuse(404, "No such document"),
        AuthLogin => Described::new("authLogin", "access", "Sign in with email and password")
            .describe(
                "Sets the session cookie (`HttpOnly; SameSite=Strict`, `Secure` over https). \
                 Failures say the same whether or not the account exists.",
            )
            .body(json_body(s.of::<LoginRequest>()))
            .answer(
                200,
                json_response("Signed in", s.of::<crate::access::endpoints::Me>()),
            )
            .refuse(401, "Wrong email or password")
            .refuse(
                429,
                "Too many failed sign-ins for this account or address; see `Retry-After`",
            ),
        AuthLogout => Described::new("authLogout", "access", "Sign out")
            .describe("Ends the session the cookie names and clears the cookie.")
            .answer(
                204,
                ResponseBuilder::new().description("Signed out").build(),
            ),
        AuthAccept => Described::new(
            "authAccept",
            "access",
            "Accept an invite: set a password and sign in",
        )
        .body(json_body(s.of::<AcceptRequest>()))
        .answer(
            200,
            json_response("Signed in", s.of::<crate::access::endpoints::Me>()),
        )
        .refuse(
            400,
            "A password that is too short or long, or an invite that is unknown, used or expired",
        )
        .refuse(403, "The invited account is disabled"),
        AuthLink => Described::new("authLink", "access", "Use a one-time sign-in link")
            .body(json_body(s.of::<LinkRequest>()))
            .answer(
                200,
                json_response("Signed in as admin", s.of::<crate::access::endpoints::Me>()),
            )
            .refuse(400, "A link that is unknown, used or expired"),
        SignInLinks => Described::new(
            "signInLinks",
            "access",
            "Make a one-time admin sign-in link",
        )
        .answer(201, json_response("The link", s.of::<SignInLink>())),
        Me => Described::new("me", "access", "Who is asking").answer(
            200,
            json_response("The caller", s.of::<crate::access::endpoints::Me>()),
        ),
        UsersList => Described::new("usersList", "access", "Every user")
            .answer(200, json_response("The users", s.of::<UserList>())),
        UsersCreate => Described::new("usersCreate", "access", "Invite a user")
            .describe("The invite URL is shown once and works once.")
            .body(json_body(s.of::<NewUser>()))
            .answer(201, json_response("Invited", s.of::<Invited>()))
            .refuse(400, "Not an email address, or an unknown role")
            .refuse(409, "A user with this address exists"),
        UserPatch => Described::new("userPatch", "access", "Change a user's role or status")
            .describe("Takes effect on the user's sessions and tokens at once.")
            .body(json_body(s.of::<UserChange>()))
            .answer(200, json_response("The user", s.of::<UserOne>()))
            .refuse(400, "Neither role nor disabled given")
            .refuse(404, "No user with this id"),
        TokensList => Described::new("tokensList", "access", "Your API tokens (an admin: all)")
            .answer(200, json_response("Newest first", s.of::<TokenList>())),
        TokensCreate => Described::new("tokensCreate", "access", "Make an API token")
            .describe("Its role is at most yours; the token is shown once.")
            .body(json_body(s.of::<NewToken>()))
            .answer(201, json_response("The token", s.of::<TokenCreated>()))
            .refuse(400, "A name that is empty or too long")
            .refuse(403, "A role above yours"),
        TokenDelete => Described::new("tokenDelete", "access", "Revoke a token")
            .describe("API or runner token; refused from the next request on.")
            .answer(200, json_response("The token, revoked", s.of::<TokenOne>()))
            .refuse(404, "No token with this id that you may revoke"),
        RunnerTokensList => {
            Described::new("runnerTokensList", "access", "Runner tokens, newest first")
                .answer(200, json_response("The tokens", s.of::<TokenList>()))
        }
        RunnerTokensCreate => Described::new(
            "runnerTokensCreate",
            "access",
            "Make a token bound to one runner name",
        )
        .body(json_body(s.of::<NewRunnerToken>()))
        .answer(201, json_response("The token", s.of::<TokenCreated>()))
        .refuse(400, "A runner name that breaks the rule"),
        RunnersList => Described::new("runnersList", "access", "Runners seen, with when")
            .answer(200, json_response("The runners", s.of::<RunnerList>())),
        DocVersions | DocVersionGet | DocVersionRestore | TrashList | TrashRestore => {
            history::describe(endpoint, s)
        }
        GenerateBatch | BatchGet | BatchCancel => batches::describe(endpoint, s),
        Revise | ProposalGet | ProposalApprove | ProposalReject => revise::describe(endpoint, s),
        WebhookDeliveries | WebhookTest => webhooks::describe(endpoint, s),
        DocQuality | JobPrompt => quality::describe(endpoint, s),
        Search | SearchRebuild | Usage => search::describe(endpoint, s),
        AuditList => Described::new("auditList", "access", "The audit log, newest first")
            .parameter(limit(50, 200))
            .parameter(cursor())
            .answer(200, json_response("One page", s.of::<AuditPage>()))
            .refuse(400, "A bad limit or cursor"),
    }
}

/// The operation for one route: the endpoint's description, its path parameters, and every
/// refusal the request guards add (recorded in `refusals` as shared responses).
fn operation(
    method: &str,
    path: &str,
    endpoint: Endpoint,
    s: &mut Schemas,
    shared: &mut BTreeMap<u16, &'static str>,
) -> utoipa::openapi::path::Operation {
    let described = describe(endpoint, s);
    let names: Vec<&str> = path
        .split('/')
        .filter_map(|p| p.strip_prefix('{')?.strip_suffix('}'))
        .collect();
    let mut op = OperationBuilder::new()
        .operation_id(Some(described.operation_id))
        .tag(described.tag)
        .summary(Some(described.summary))
        .description(described.description)
        .parameters(Some(names.iter().map(|n| path_parameter(n))))
        .parameters(Some(described.parameters))
        .request_body(described.body.clone());

    // What the request guards, authorization and routing refuse before the handler runs.
    let mut refusals: BTreeMap<u16, Option<&'static str>> = BTreeMap::new();
    refusals.insert(421, None);
    if crate::guard::is_write(method) {
        refusals.insert(403, None);
    }
    let none = Vec::<String>::new;
    match need(endpoint) {
        Need::Public => {}
        Need::Role(_) => {
            refusals.insert(401, None);
            refusals.insert(403, None);
            op = op
                .security(SecurityRequirement::new(BEARER, none()))
                .security(SecurityRequirement::new(SESSION, none()));
        }
        Need::Runner => {
            refusals.insert(401, None);
            refusals.insert(403, None);
            op = op.security(SecurityRequirement::new(RUNNER_TOKEN, none()));
        }
    }
    if names.contains(&"collection") {
        refusals.insert(404, None);
    }
    if names.iter().any(|n| *n != "collection") {
        refusals.insert(400, None);
    }
    if endpoint.takes_json() {
        refusals.insert(415, None);
        refusals.insert(400, None);
        refusals.insert(413, None);
    }
    if described.body.is_some() {
        refusals.insert(413, None);
    }
    if described.stored {
        refusals.insert(500, None);
    }
    for (status, meaning) in described.refusals {
        refusals.insert(status, Some(meaning));
    }

    let error = s.of::<ErrorBody>();
    let mut responses: BTreeMap<u16, RefOr<Response>> = described
        .answers
        .into_iter()
        .map(|(status, r)| (status, r.into()))
        .collect();
    for (status, meaning) in refusals {
        let response = match meaning {
            Some(meaning) => error_response(meaning, &error).into(),
            None => {
                let name = refusal_name(status);
                shared.insert(status, name);
                Ref::from_response_name(name).into()
            }
        };
        responses.insert(status, response);
    }
    for (status, response) in responses {
        op = op.response(status.to_string(), response);
    }
    op.build()
}

/// What a refusal means when the endpoint says nothing more.
fn generic_refusal(status: u16) -> &'static str {
    match status {
        400 => {
            "A path parameter is not valid percent-encoded UTF-8, or the body is not this \
                endpoint's JSON"
        }
        401 => {
            "No credential, or one that is unknown, revoked or expired, or whose account is \
                disabled"
        }
        403 => {
            "The credential's role may not do this (or it is a runner token on the content \
                API, a person's on the runner protocol, or a runner token bound to another \
                runner), or the request was sent from another site's page: \
                `Sec-Fetch-Site: cross-site`, or an `Origin` that is not the request's `Host`"
        }
        404 => "No collection by this name",
        413 => "The body is over the server's limit (64 KiB for JSON bodies)",
        415 => "The body is not labelled `Content-Type: application/json`",
        421 => {
            "The `Host` is not one this server answers for (the `allowed_hosts` setting; \
                without it, clients on loopback must use a loopback name)"
        }
        500 => "Storage is unavailable",
        _ => unreachable!("no shared response for {status}"),
    }
}

fn refusal_name(status: u16) -> &'static str {
    match status {
        400 => "BadRequest",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "NoCollection",
        413 => "TooLarge",
        415 => "NotJson",
        421 => "MisdirectedRequest",
        500 => "StoreUnavailable",
        _ => unreachable!("no shared response for {status}"),
    }
}

fn http_method(method: &str) -> HttpMethod {
    match method {
        "GET" => HttpMethod::Get,
        "POST" => HttpMethod::Post,
        "PUT" => HttpMethod::Put,
        "DELETE" => HttpMethod::Delete,
        "PATCH" => HttpMethod::Patch,
        other => unreachable!("the route table has no {other} routes"),
    }
}

/// A `{name}` of a route pattern. The values arrive percent-decoded.
fn path_parameter(name: &str) -> utoipa::openapi::path::Parameter {
    let (description, schema): (&str, Schema) = match name {
        "collection" => (
            "brand-data holds JSON objects (`.json`), briefs and drafts Markdown (`.md`)",
            ObjectBuilder::new()
                .schema_type(Type::String)
                .enum_values(Some(Collection::ALL.map(Collection::segment)))
                .into(),
        ),
        "name" => (
            "1 to 120 characters of `[A-Za-z0-9._-]`, starting with a letter or digit, ending in \
             the collection's extension (`.json` for brand-data, else `.md`), without `..`",
            ObjectBuilder::new()
                .schema_type(Type::String)
                .pattern(Some(format!(
                    "^[A-Za-z0-9][A-Za-z0-9._-]{{0,{}}}$",
                    MAX_NAME_LEN - 1
                )))
                .into(),
        ),
        "id" => (
            "The job's, user's or token's id (as the path says)",
            string_schema(),
        ),
        "attempt" => (
            "The attempt's number, from 1",
            integer(Some(1), None).into(),
        ),
        "chunk" => (
            "The chunk's number, from 0",
            integer(Some(0), Some(MAX_CHUNKS as i64)).into(),
        ),
        "index" => (
            "The output's place in the claimed job's `outputs`, from 0",
            integer(Some(0), None).into(),
        ),
        "version" => (
            "The version's number, from 1 (see `.../versions`)",
            integer(Some(1), None).into(),
        ),
        other => unreachable!("no description of the path parameter {other}"),
    };
    ParameterBuilder::new()
        .name(name)
        .parameter_in(ParameterIn::Path)
        .required(Required::True)
        .description(Some(description))
        .schema(Some(schema))
        .build()
}

fn query(name: &str, description: &str, schema: RefOr<Schema>) -> utoipa::openapi::path::Parameter {
    ParameterBuilder::new()
        .name(name)
        .parameter_in(ParameterIn::Query)
        .required(Required::False)
        .description(Some(description))
        .schema(Some(schema))
        .build()
}

fn header(name: &str, description: &str) -> utoipa::openapi::path::Parameter {
    ParameterBuilder::new()
        .name(name)
        .parameter_in(ParameterIn::Header)
        .required(Required::False)
        .description(Some(description))
        .schema(Some(string()))
        .build()
}

fn limit(default: usize, max: usize) -> utoipa::openapi::path::Parameter {
    let schema = integer(Some(1), Some(max as i64)).default(Some(json!(default)));
    query("limit", "How many to return at most", schema.into())
}

fn cursor() -> utoipa::openapi::path::Parameter {
    query(
        "cursor",
        "The previous page's `next_cursor`: where this page starts",
        string(),
    )
}

fn after(description: &str) -> utoipa::openapi::path::Parameter {
    query("after", description, integer(Some(0), None).into())
}

fn integer(minimum: Option<i64>, maximum: Option<i64>) -> ObjectBuilder {
    ObjectBuilder::new()
        .schema_type(Type::Integer)
        .format(Some(SchemaFormat::KnownFormat(KnownFormat::Int64)))
        .minimum(minimum.map(|m| m as isize))
        .maximum(maximum.map(|m| m as isize))
}

fn string_schema() -> Schema {
    ObjectBuilder::new().schema_type(Type::String).into()
}

fn string() -> RefOr<Schema> {
    string_schema().into()
}

fn binary() -> RefOr<Schema> {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .format(Some(SchemaFormat::KnownFormat(KnownFormat::Binary)))
        .into()
}

fn object() -> RefOr<Schema> {
    ObjectBuilder::new().schema_type(Type::Object).into()
}

fn json_body(schema: RefOr<Schema>) -> RequestBody {
    RequestBodyBuilder::new()
        .required(Some(Required::True))
        .content("application/json", Content::new(Some(schema)))
        .build()
}

fn text_body(types: &[&str], what: &str) -> RequestBody {
    let mut body = RequestBodyBuilder::new()
        .required(Some(Required::True))
        .description(Some(what));
    for t in types {
        body = body.content(*t, Content::new(Some(string())));
    }
    body.build()
}

fn multipart_files() -> RequestBody {
    let files = ObjectBuilder::new()
        .schema_type(Type::Object)
        .property(
            "file",
            ArrayBuilder::new().items(binary()).min_items(Some(1)),
        )
        .required("file")
        .description(Some(
            "One `file` part per document, its filename the document's name; other parts are \
             ignored",
        ));
    RequestBodyBuilder::new()
        .required(Some(Required::True))
        .content("multipart/form-data", Content::new(Some(files)))
        .build()
}

fn json_response(description: &str, schema: RefOr<Schema>) -> Response {
    ResponseBuilder::new()
        .description(description)
        .content("application/json", Content::new(Some(schema)))
        .build()
}

fn html_response(description: &str) -> Response {
    ResponseBuilder::new()
        .description(description)
        .content("text/html", Content::new(Some(string())))
        .build()
}

fn error_response(description: &str, error: &RefOr<Schema>) -> Response {
    json_response(description, error.clone())
}

fn etag_header() -> utoipa::openapi::header::Header {
    HeaderBuilder::new()
        .schema(string())
        .description(Some(
            "The document's version, for `If-Match` and `If-None-Match`",
        ))
        .build()
}

/// A write's answer: the stored document's listing entry, its ETag and where it lives.
fn stored_item(description: &str, s: &mut Schemas) -> Response {
    json_response(description, s.of::<DocItem>())
        .with_header("ETag", "The new version")
        .with_header("Location", "The document: `/api/{collection}/{name}`")
}

/// Adds a string-valued response header.
trait WithHeader {
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
