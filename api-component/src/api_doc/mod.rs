//! The OpenAPI 3.1 description of the API, generated from the code (only with
//! `feature = "openapi"`): one operation per route in [`crate::routes::ROUTES`], its schemas
//! derived from the wire types (`utoipa::ToSchema`), its refusals from what [`crate::handle`]
//! checks before any handler runs.
//!
//! The component serves a committed copy (`api-component/openapi.json`, see
//! [`crate::assets::OPENAPI_JSON`]) so that the `.wasm` carries no generator; the test
//! `openapi` in `tests/it` regenerates it and fails on any difference
//! (`UPDATE_OPENAPI=1 cargo test -p api-component --test it openapi` rewrites it).
//!
//! Here: the builder (`Described`, `Schemas`) and the assembly (each route's operation with
//! the refusals its guards add, the shared responses, the security schemes). Each area's
//! operations are described in a file of their own (`service`, `documents`, `history`, `jobs`,
//! `job_list`, `batches`, `revise`, `quality`, `search`, `runner`, `access`, `webhooks`), all
//! built from the pieces in `parts`.

use std::collections::BTreeMap;

use serde_json::json;
use utoipa::ToSchema;
use utoipa::openapi::header::HeaderBuilder;
use utoipa::openapi::path::{
    HttpMethod, OperationBuilder, ParameterBuilder, ParameterIn, PathItem,
};
use utoipa::openapi::request_body::{RequestBody, RequestBodyBuilder};
use utoipa::openapi::schema::{
    ComponentsBuilder, KnownFormat, ObjectBuilder, Ref, Schema, SchemaFormat, Type,
};
use utoipa::openapi::security::{
    ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityRequirement, SecurityScheme,
};
use utoipa::openapi::{
    Content, InfoBuilder, OpenApi, OpenApiBuilder, PathsBuilder, RefOr, Required, Response,
    ResponseBuilder,
};

mod access;
mod batches;
mod documents;
mod history;
mod job_list;
mod jobs;
mod parts;
mod quality;
mod revise;
mod runner;
mod search;
mod service;
mod webhooks;

use crate::VERSION;
use crate::access::{Need, need};
use crate::documents::DocItem;
use crate::handlers;
use crate::http::ErrorBody;
use crate::jobs::model::{JobView, Status};
use crate::jobs::submit::Queued;
use crate::jobs::views::{self, JobPage};
use crate::names::{Collection, MAX_NAME_LEN};
use crate::routes::{Endpoint, ROUTES};
use parts::*;
use protocol::limits::MAX_CHUNKS;

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
        Health | OpenApi => service::describe(endpoint, s),
        Render | DocsList | DocsUpload | DocGet | DocPut | DocDelete | DocPreview => {
            documents::describe(endpoint, s)
        }
        JobsList => job_list::describe(endpoint, s),
        JobGet | JobDelete | JobCancel | JobRetry | JobLogs | JobEvents | Generate => {
            jobs::describe(endpoint, s)
        }
        RunnerClaim | RunnerClaimStop | RunnerHeartbeat | RunnerLogChunk | RunnerOutput
        | RunnerFinish => runner::describe(endpoint, s),
        AuthLogin | AuthLogout | AuthAccept | AuthLink | SignInLinks | Me | UsersList
        | UsersCreate | UserPatch | TokensList | TokensCreate | TokenDelete | RunnerTokensList
        | RunnerTokensCreate | RunnersList | AuditList => access::describe(endpoint, s),
        DocVersions | DocVersionGet | DocVersionRestore | TrashList | TrashRestore => {
            history::describe(endpoint, s)
        }
        GenerateBatch | BatchGet | BatchCancel => batches::describe(endpoint, s),
        Revise | ProposalGet | ProposalApprove | ProposalReject => revise::describe(endpoint, s),
        WebhookDeliveries | WebhookTest | WebhookRetry => webhooks::describe(endpoint, s),
        DocQuality | JobPrompt => quality::describe(endpoint, s),
        Search | SearchRebuild | Usage => search::describe(endpoint, s),
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
            "The job's, user's, token's or webhook delivery's id (as the path says)",
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
