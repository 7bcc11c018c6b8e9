//! The description of the service itself: its health and this document.

use super::*;

pub(super) fn describe(endpoint: Endpoint, s: &mut Schemas) -> Described {
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
        other => unreachable!("{other:?} is described elsewhere"),
    }
}
