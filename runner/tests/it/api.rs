//! A small HTTP client for the documents API, a runtime to drive it from plain tests, and the
//! JSON answer of any request.

use reqwest::StatusCode;
use serde_json::Value;

/// Runs `future` on a fresh multi-threaded runtime.
pub fn block_on<F: Future>(future: F) -> F::Output {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(future)
}

/// Sends `request` and reads its answer as JSON.
pub async fn json_of(request: reqwest::RequestBuilder) -> Value {
    let response = request.send().await.expect("an answer");
    response.json().await.expect("a JSON answer")
}

/// Client for one host.
#[derive(Clone)]
pub struct Api {
    client: reqwest::Client,
    base: String,
}

impl Api {
    pub fn new(host: &crate::harness::Host) -> Api {
        Api {
            client: crate::harness::client(),
            base: host.url(""),
        }
    }

    pub async fn put(&self, collection: &str, name: &str, body: &str) -> StatusCode {
        let url = format!("{}/api/{collection}/{name}", self.base);
        let response = self
            .client
            .put(url)
            .body(body.to_owned())
            .send()
            .await
            .expect("PUT");
        response.status()
    }

    /// Status and body of `GET /api/{collection}/{name}`.
    pub async fn get(&self, collection: &str, name: &str) -> (StatusCode, String) {
        let url = format!("{}/api/{collection}/{name}", self.base);
        let response = self.client.get(url).send().await.expect("GET");
        (response.status(), response.text().await.expect("body"))
    }

    /// Every name in a collection, following `next_cursor` with the largest page (500).
    pub async fn list_all(&self, collection: &str) -> Vec<String> {
        let mut names = Vec::new();
        let mut cursor: Option<String> = None;
        loop {
            let mut url = format!("{}/api/{collection}?limit=500", self.base);
            if let Some(cursor) = &cursor {
                url.push_str(&format!("&cursor={cursor}"));
            }
            let response = self.client.get(url).send().await.expect("list");
            assert_eq!(response.status(), StatusCode::OK);
            let page: Value = response.json().await.expect("JSON page");
            for item in page["items"].as_array().expect("items") {
                names.push(item["name"].as_str().expect("name").to_owned());
            }
            match page["next_cursor"].as_str() {
                Some(next) => cursor = Some(next.to_owned()),
                None => return names,
            }
        }
    }

    /// Status and body of `POST path` with a JSON body; `Err` when no answer came (a host that
    /// is stopping may close the connection).
    pub async fn post_json(
        &self,
        path: &str,
        body: &Value,
    ) -> reqwest::Result<(StatusCode, String)> {
        let response = self
            .client
            .post(format!("{}{path}", self.base))
            .json(body)
            .send()
            .await?;
        let status = response.status();
        Ok((status, response.text().await?))
    }

    /// Status and body of any GET.
    pub async fn get_path(&self, path: &str) -> (StatusCode, String) {
        let response = self
            .client
            .get(format!("{}{path}", self.base))
            .send()
            .await
            .expect("GET");
        (response.status(), response.text().await.expect("body"))
    }
}
