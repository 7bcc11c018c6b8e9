//! The description of job notifications: the deliveries of the webhook and a test delivery.

use super::*;
use crate::webhooks::outbox::DeliveryView;
use crate::webhooks::{DEFAULT_LIMIT, DeliveryPage, MAX_LIMIT};

pub(super) fn describe(endpoint: Endpoint, s: &mut Schemas) -> Described {
    use Endpoint::*;
    match endpoint {
        WebhookDeliveries => Described::new(
            "webhookDeliveries",
            "webhooks",
            "Webhook deliveries, newest first",
        )
        .describe(
            "Every finished job (completed, failed or cancelled) is POSTed to `webhook_url` as \
             `{\"event\": \"job.finished\", \"job\": <the job>}` with `X-CWM-Delivery`, \
             `X-CWM-Timestamp` and `X-CWM-Signature: sha256=<hex HMAC-SHA256 of \
             \"{timestamp}.{body}\" keyed with webhook_secret>`. A delivery the receiver does \
             not answer with 2xx is tried again 30 s later, then after twice as long each time \
             (at most an hour apart) until 24 hours after its first attempt. Each delivery lists \
             its attempts with their status code or error; `enabled`, `target` and `problem` \
             say whether and where they are being sent.",
        )
        .parameter(limit(DEFAULT_LIMIT, MAX_LIMIT))
        .parameter(cursor())
        .answer(200, json_response("One page", s.of::<DeliveryPage>()))
        .refuse(400, "A bad limit or cursor"),
        WebhookTest => Described::new(
            "webhookTest",
            "webhooks",
            "Queue a test delivery",
        )
        .describe(
            "Queues `{\"event\": \"webhook.test\", \"job\": null}`, signed and retried like any \
             delivery; follow it in the deliveries.",
        )
        .answer(202, json_response("Queued", s.of::<DeliveryView>()))
        .refuse(
            409,
            "Webhooks are off, or their settings cannot be used (the error says which)",
        ),
        other => unreachable!("{other:?} is described elsewhere"),
    }
}
