//! Job notifications by webhook: each finished job (completed, failed or cancelled, however it
//! ended) is POSTed to `webhook_url` as `{"event": "job.finished", "job": <the job as
//! GET /api/jobs/{id} showed it when it finished>}`, signed with `webhook_secret`, retried with
//! backoff for up to 24 hours, every attempt kept for admins to see.
//!
//! - [`target`]: what the settings amount to (off, on, or broken and why).
//! - [`outbox`]: the deliveries in the store: records, listing, pruning.
//! - [`sender`]: the bounded pass that sends due deliveries, and the host's [`sender::Outbound`].
//! - [`signing`]: the `X-CWM-Signature` HMAC and how a receiver checks it.
//! - [`backoff`]: when a delivery is tried again.
//!
//! Here: the hook the job queue calls when a job ends, and the admin endpoints.

pub mod backoff;
pub mod outbox;
pub mod sender;
pub mod signing;
pub mod target;

use serde::Serialize;

use crate::Ctx;
use crate::error::{ApiError, ApiResult};
use crate::http::{ApiRequest, ApiResponse};
use crate::settings::Settings;
use outbox::{DeliveryView, events};
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

/// `GET /api/webhooks/deliveries?limit=&cursor=` (admins).
pub fn deliveries_list(ctx: &Ctx, req: &ApiRequest) -> ApiResult<ApiResponse> {
    let limit = req.limit_param("limit", DEFAULT_LIMIT, MAX_LIMIT)?;
    let top = req.cursor_at_most(|| outbox::OUTBOX.len(ctx.store))?;
    let (items, next_cursor) = outbox::page(ctx, limit, top)?;
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

/// `POST /api/webhooks/test` (admins): queues a `webhook.test` delivery (`"job": null`), sent
/// like any other; 409 while webhooks are off or misconfigured.
pub fn test(ctx: &Ctx) -> ApiResult<ApiResponse> {
    match Config::from_settings(ctx.settings) {
        Config::Off => Err(ApiError::Conflict(
            "webhooks are off: set webhook_url, webhook_secret and webhook_outbound_host".into(),
        )),
        Config::Broken(why) => Err(ApiError::Conflict(why)),
        Config::On(_) => {
            let delivery = outbox::append(ctx, events::TEST, None, &serde_json::Value::Null)?;
            Ok(ApiResponse::json(202, &delivery.view()))
        }
    }
}
