//! The description of job notifications: the deliveries of the webhook, a test delivery, and
//! sending a failed delivery again.

use super::*;
use crate::webhooks::outbox::{DeliveryView, MAX_SLOTS_PER_PAGE, State};
use crate::webhooks::{DEFAULT_LIMIT, DeliveryPage, MAX_LIMIT};

pub(super) fn describe(endpoint: Endpoint, s: &mut Schemas) -> Described {
    use Endpoint::*;
    match endpoint {
        WebhookDeliveries => Described::new(
            "webhookDeliveries",
            "webhooks",
            "Webhook deliveries, newest first",
        )
        .describe(format!(
            "Every finished job (completed, failed or cancelled) is POSTed to `webhook_url` as \
             `{{\"event\": \"job.finished\", \"job\": <the job>}}` with `X-CWM-Delivery`, \
             `X-CWM-Timestamp` and `X-CWM-Signature: sha256=<hex HMAC-SHA256 of \
             \"{{timestamp}}.{{body}}\" keyed with webhook_secret>`. A delivery the receiver does \
             not answer with 2xx is tried again 30 s later, then after twice as long each time \
             (at most an hour apart) until 24 hours after its first attempt. Each delivery lists \
             its attempts with their status code or error; `enabled`, `target` and `problem` \
             say whether and where they are being sent (`target` and `problem` show a URL as \
             its `scheme://host:port` only). With `state`, a page reads at most {MAX_SLOTS_PER_PAGE} \
             deliveries beyond its own: it may come back short, even empty, with a \
             `next_cursor` to go on from.",
        ))
        .parameter(query(
            "state",
            "Only deliveries in this state",
            s.of::<State>(),
        ))
        .parameter(limit(DEFAULT_LIMIT, MAX_LIMIT))
        .parameter(cursor())
        .answer(200, json_response("One page", s.of::<DeliveryPage>()))
        .refuse(400, "An unknown state, or a bad limit or cursor"),
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
        WebhookRetry => Described::new(
            "webhookRetry",
            "webhooks",
            "Send a failed delivery again",
        )
        .describe(
            "A `failed` delivery becomes `pending`, due at once, with 24 more hours of attempts; \
             it keeps its id (`X-CWM-Delivery`, so a receiver can still drop repeats) and its \
             attempts so far, and `X-CWM-Attempt` goes on counting. It moves to the top of the \
             listing. Audit-logged.",
        )
        .answer(202, json_response("Queued again", s.of::<DeliveryView>()))
        .refuse(404, "No delivery with this id")
        .refuse(
            409,
            "The delivery is not failed (it is pending or delivered), it was just sent again, \
             or webhooks are off or misconfigured (the error says which)",
        ),
        other => unreachable!("{other:?} is described elsewhere"),
    }
}
