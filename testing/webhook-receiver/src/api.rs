//! What the webhook tests ask of the API under test, over HTTP, whichever host serves it (the
//! `.wasm` in `runner serve`, or `native-api`): a finished job to be notified of, and the
//! deliveries, listed until the newest one reaches the state a test waits for.

use std::time::{Duration, Instant};

use serde_json::{Value, json};

/// The API at one address, called with one bearer token.
pub struct WebhookApi {
    http: reqwest::Client,
    base: String,
}

impl WebhookApi {
    /// The API at `base` (`http://HOST:PORT`), called as the holder of `token`.
    ///
    /// # Panics
    /// If `token` cannot be sent in a header.
    pub fn new(base: &str, token: &str) -> WebhookApi {
        let mut headers = reqwest::header::HeaderMap::new();
        let bearer = format!("Bearer {token}")
            .parse()
            .expect("a token fit for a header");
        headers.insert(reqwest::header::AUTHORIZATION, bearer);
        let http = reqwest::Client::builder()
            .default_headers(headers)
            .build()
            .expect("an HTTP client");
        WebhookApi {
            http,
            base: base.trim_end_matches('/').to_owned(),
        }
    }

    /// `GET path`: the answer's JSON.
    ///
    /// # Panics
    /// If no answer comes or it is not JSON.
    pub async fn get(&self, path: &str) -> Value {
        let sent = self.http.get(format!("{}{path}", self.base)).send().await;
        sent.expect("an answer")
            .json()
            .await
            .expect("a JSON answer")
    }

    /// Queues a brand-data job and cancels it while it is queued: one finished job, whose
    /// delivery follows. Returns its id.
    ///
    /// # Panics
    /// If the job is not queued, or the cancel is not accepted.
    pub async fn cancelled_job(&self) -> String {
        let queued: Value = self
            .http
            .post(format!("{}/api/brand-data/generate", self.base))
            .json(&json!({"brand_name": "Acme", "urls": ["https://acme.example"]}))
            .send()
            .await
            .expect("an answer")
            .json()
            .await
            .expect("a JSON answer");
        let id = queued["job_id"].as_str().expect("a job id").to_owned();
        let cancel = self
            .http
            .post(format!("{}/api/jobs/{id}/cancel", self.base))
            .send()
            .await
            .expect("an answer");
        assert_eq!(cancel.status(), 202);
        id
    }

    /// Lists the deliveries every `every` (a listing also runs a pass of the outbox when one is
    /// due) until the newest one satisfies `done`, and returns it; once `timeout` has passed
    /// without, the last page listed as the error.
    pub async fn wait_for_delivery(
        &self,
        timeout: Duration,
        every: Duration,
        done: impl Fn(&Value) -> bool,
    ) -> Result<Value, Value> {
        let deadline = Instant::now() + timeout;
        loop {
            let page = self.get("/api/webhooks/deliveries").await;
            if let Some(d) = page["items"].get(0).filter(|d| done(d)) {
                return Ok(d.clone());
            }
            if Instant::now() >= deadline {
                return Err(page);
            }
            tokio::time::sleep(every).await;
        }
    }
}
