//! Job notifications by webhook: each finished job (completed, failed or cancelled, however it
//! ended) is POSTed to `webhook_url` as `{"event": "job.finished", "job": <the job as
//! GET /api/jobs/{id} showed it when it finished>}`, signed with `webhook_secret`, retried with
//! backoff for up to 24 hours, every attempt kept for admins to see.
//!
//! - [`target`]: what the settings amount to (off, on, or broken and why).
//! - [`outbox`]: the deliveries in the store: records, listing, pruning.
//! - [`sender`]: the bounded rounds that send due deliveries, and the host's [`sender::Outbound`].
//! - [`drain`]: when a pass goes on with another round (a backlog drains in one pass).
//! - [`rounds`]: the latches of each turn of a delivery, giving up, and an admin's resend.
//! - [`signing`]: the `X-CWM-Signature` HMAC and how a receiver checks it.
//! - [`backoff`]: when a delivery is tried again.
//!
//! Here: the hook the job queue calls when a job ends, and the admin endpoints.

pub mod backoff;
pub mod drain;
pub mod outbox;
pub mod rounds;
pub mod sender;
pub mod signing;
pub mod target;

use serde::Serialize;

use crate::Ctx;
use crate::error::{ApiError, ApiResult};
use crate::http::{ApiRequest, ApiResponse};
use crate::settings::Settings;
use outbox::{DeliveryView, State, events};
use rounds::NotResent;
use target::Config;

/// Whether finished jobs are recorded as deliveries (`webhook_url` is set).
pub fn records(settings: &Settings) -> bool {
    Config::from_settings(settings).records()
}

/// Records the `job.finished` delivery of a job that just ended, `job` being its public view.
/// Called once per job, by whoever won the latch that ended it, when [`records`] says so. A
/// store failure here loses the notification, never the job's end: it is logged and the caller
/// carries on.
pub fn job_finished(ctx: &Ctx, job_id: &str, job: &impl Serialize) {
    if let Err(e) = outbox::append(ctx, events::JOB_FINISHED, Some(job_id), job) {
        eprintln!("error: the job.finished webhook of job {job_id} was not recorded: {e}");
    }
}

/// Deliveries listed per page by default, and at most.
pub const DEFAULT_LIMIT: usize = 50;
pub const MAX_LIMIT: usize = 200;

/// One page of deliveries, newest first, and whether they are being sent.
#[derive(Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DeliveryPage {
    pub items: Vec<DeliveryView>,
    /// Pass back as `cursor` for the next page; `null` at the end.
    #[cfg_attr(feature = "openapi", schema(required = true))]
    pub next_cursor: Option<String>,
    /// Whether deliveries are being sent: `webhook_url`, `webhook_secret` and
    /// `webhook_outbound_host` are set and agree.
    pub enabled: bool,
    /// Where they go, as `scheme://host:port` (the URL's path is not shown: it may hold a
    /// secret); `null` while off.
    #[cfg_attr(feature = "openapi", schema(required = true))]
    pub target: Option<String>,
    /// Why the settings cannot be used (deliveries wait until they are fixed); `null` otherwise.
    #[cfg_attr(feature = "openapi", schema(required = true))]
    pub problem: Option<String>,
}

/// `GET /api/webhooks/deliveries?state=&limit=&cursor=` (admins).
pub fn deliveries_list(ctx: &Ctx, req: &ApiRequest) -> ApiResult<ApiResponse> {
    let state = state_param(req)?;
    let limit = req.limit_param("limit", DEFAULT_LIMIT, MAX_LIMIT)?;
    let top = req.cursor_at_most(|| outbox::OUTBOX.len(ctx.store))?;
    let (items, next_cursor) = outbox::page(ctx, limit, top, state)?;
    let config = Config::from_settings(ctx.settings);
    let (enabled, target, problem) = match config {
        Config::Off => (false, None, None),
        Config::On(t) => (true, Some(t.origin), None),
        Config::Broken(why) => (false, target::origin(&ctx.settings.webhook_url), Some(why)),
    };
    Ok(ApiResponse::json(
        200,
        &DeliveryPage {
            items: items.iter().map(outbox::Delivery::view).collect(),
            next_cursor,
            enabled,
            target,
            problem,
        },
    ))
}

/// The `state` filter of the listing: `pending`, `delivered` or `failed`; none when absent or
/// empty.
fn state_param(req: &ApiRequest) -> ApiResult<Option<State>> {
    let Some(raw) = req.query_param("state").filter(|s| !s.trim().is_empty()) else {
        return Ok(None);
    };
    State::ALL
        .into_iter()
        .find(|s| s.as_str() == raw.trim())
        .map(Some)
        .ok_or_else(|| {
            let known: Vec<&str> = State::ALL.iter().map(|s| s.as_str()).collect();
            ApiError::BadRequest(format!("state {raw:?} is not one of {}", known.join(", ")))
        })
}

/// `POST /api/webhooks/deliveries/{id}/retry` (admins): a failed delivery is tried again, with
/// 24 more hours; 404 for an unknown id, 409 unless it failed, and while webhooks are off or
/// misconfigured (it could only wait).
pub fn retry(ctx: &Ctx, id: &str) -> ApiResult<ApiResponse> {
    if !outbox::is_delivery_id(id) {
        return Err(ApiError::NotFound(format!("no delivery {id:?}")));
    }
    ensure_sending(ctx)?;
    match rounds::resend(ctx, id)? {
        Ok(delivery) => Ok(ApiResponse::json(202, &delivery.view())),
        Err(NotResent::Unknown) => Err(ApiError::NotFound(format!("no delivery {id}"))),
        Err(NotResent::NotFailed(state)) => Err(ApiError::Conflict(format!(
            "delivery {id} is {}: only a failed delivery can be sent again",
            state.as_str()
        ))),
        Err(NotResent::Raced) => Err(ApiError::Conflict(format!(
            "delivery {id} was just sent again, or removed"
        ))),
    }
}

/// 409 unless deliveries are being sent, saying why not.
fn ensure_sending(ctx: &Ctx) -> ApiResult<()> {
    match Config::from_settings(ctx.settings) {
        Config::On(_) => Ok(()),
        Config::Off => Err(ApiError::Conflict(
            "webhooks are off: set webhook_url, webhook_secret and webhook_outbound_host".into(),
        )),
        Config::Broken(why) => Err(ApiError::Conflict(why)),
    }
}

/// `POST /api/webhooks/test` (admins): queues a `webhook.test` delivery (`"job": null`), sent
/// like any other; 409 while webhooks are off or misconfigured.
pub fn test(ctx: &Ctx) -> ApiResult<ApiResponse> {
    ensure_sending(ctx)?;
    let delivery = outbox::append(ctx, events::TEST, None, &serde_json::Value::Null)?;
    Ok(ApiResponse::json(202, &delivery.view()))
}
