//! The public API, as the web UI uses it.

use super::*;

/// The public API, as the web UI uses it.
#[derive(Clone)]
pub struct Client {
    http: reqwest::Client,
    base: String,
}

impl Client {
    pub fn new(server: &Server) -> Client {
        Client {
            http: reqwest::Client::builder()
                .default_headers(
                    [(
                        reqwest::header::AUTHORIZATION,
                        format!("Bearer {ADMIN_TOKEN}").parse().unwrap(),
                    )]
                    .into_iter()
                    .collect(),
                )
                .build()
                .unwrap(),
            base: server.url(""),
        }
    }

    async fn json(&self, req: reqwest::RequestBuilder) -> Value {
        let resp = req.send().await.expect("request");
        let status = resp.status();
        let body: Value = resp.json().await.unwrap_or(Value::Null);
        assert!(status.is_success(), "{status}: {body}");
        body
    }

    pub async fn get(&self, path: &str) -> Value {
        self.json(self.http.get(format!("{}{path}", self.base)))
            .await
    }

    /// `POST path` with a JSON body; the JSON answer (which must be a success).
    pub async fn post(&self, path: &str, body: &Value) -> Value {
        self.json(self.http.post(format!("{}{path}", self.base)).json(body))
            .await
    }

    /// Stores brand data `name` (e.g. `acme.json`).
    pub async fn put_brand(&self, name: &str) {
        let body = json!({ "brand": name, "tone": "plain" });
        self.json(
            self.http
                .put(format!("{}/api/brand-data/{name}", self.base))
                .json(&body),
        )
        .await;
    }

    /// Queues a brief for `title` using brand data `brand`; the job id.
    pub async fn submit_brief(&self, title: &str, brand: &str) -> String {
        let body = json!({ "title": title, "primary_keyword": "keyword", "brand_data": brand });
        let answer = self
            .json(
                self.http
                    .post(format!("{}/api/briefs/generate", self.base))
                    .json(&body),
            )
            .await;
        answer["job_id"].as_str().expect("job_id").to_owned()
    }

    /// The body of `GET path` as text (a document).
    pub async fn text(&self, path: &str) -> String {
        let resp = self
            .http
            .get(format!("{}{path}", self.base))
            .send()
            .await
            .expect("request");
        assert!(resp.status().is_success(), "GET {path}: {}", resp.status());
        resp.text().await.expect("body")
    }

    pub async fn job(&self, id: &str) -> Value {
        self.get(&format!("/api/jobs/{id}")).await
    }

    pub async fn cancel(&self, id: &str) {
        self.json(
            self.http
                .post(format!("{}/api/jobs/{id}/cancel", self.base)),
        )
        .await;
    }

    /// Every log line of the job (all attempts), oldest first.
    pub async fn logs(&self, id: &str) -> Vec<Value> {
        let mut lines = Vec::new();
        let mut after = 0i64;
        loop {
            let page = self
                .get(&format!("/api/jobs/{id}/logs?after={after}&limit=5000"))
                .await;
            let got = page["lines"].as_array().cloned().unwrap_or_default();
            if got.is_empty() {
                return lines;
            }
            after = page["next"].as_i64().unwrap();
            lines.extend(got);
        }
    }

    /// The texts of the job's log lines.
    pub async fn log_texts(&self, id: &str) -> Vec<String> {
        self.logs(id)
            .await
            .iter()
            .map(|l| l["text"].as_str().unwrap_or_default().to_owned())
            .collect()
    }

    /// Waits until the job has `status`; its view.
    pub async fn wait_status(&self, id: &str, status: &str, timeout: Duration) -> Value {
        let found = wait_for(timeout, || async {
            let job = self.job(id).await;
            (job["status"] == status).then_some(job)
        })
        .await;
        match found {
            Some(job) => job,
            None => panic!("job {id} never became {status}: {}", self.job(id).await),
        }
    }

    /// Waits until the job's log has a line containing `needle`.
    pub async fn wait_log(&self, id: &str, needle: &str, timeout: Duration) {
        let found = wait_for(timeout, || async {
            self.log_texts(id)
                .await
                .iter()
                .any(|t| t.contains(needle))
                .then_some(())
        })
        .await;
        assert!(
            found.is_some(),
            "log of {id} never showed {needle:?}: {:?}",
            self.log_texts(id).await
        );
    }

    /// A runner call made directly with the token: the status code.
    pub async fn runner_put(&self, path: &str, body: Vec<u8>) -> u16 {
        let resp = self
            .http
            .put(format!("{}/api/runner{path}", self.base))
            .bearer_auth(TOKEN)
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .expect("request");
        resp.status().as_u16()
    }
}
