//! A test app: the real request handler over a `MemoryStore`, with a settable clock.

use std::sync::atomic::{AtomicI64, Ordering};

use api_component::http::{ApiRequest, ApiResponse};
use api_component::settings::Settings;
use api_component::store::MemoryStore;
use api_component::{Ctx, handle};
use serde_json::Value;

pub struct App {
    pub store: MemoryStore,
    pub settings: Settings,
    clock: AtomicI64,
}

impl App {
    pub fn new() -> Self {
        Self::with_settings(Settings::default())
    }

    pub fn with_settings(settings: Settings) -> Self {
        App { store: MemoryStore::new(), settings, clock: AtomicI64::new(1_767_225_600_000) }
    }

    /// Each request happens one second after the previous one.
    pub fn send(&self, req: ApiRequest) -> ApiResponse {
        let now_ms = self.clock.fetch_add(1000, Ordering::SeqCst);
        handle(&Ctx { store: &self.store, settings: &self.settings, now_ms }, &req)
    }

    pub fn get(&self, target: &str) -> ApiResponse {
        self.send(ApiRequest::new("GET", target))
    }

    pub fn put(&self, target: &str, body: impl Into<Vec<u8>>) -> ApiResponse {
        self.send(ApiRequest::new("PUT", target).with_body(body))
    }

    pub fn delete(&self, target: &str) -> ApiResponse {
        self.send(ApiRequest::new("DELETE", target))
    }

    /// Every item of a listing, following `next_cursor` to the end.
    pub fn list_all(&self, collection: &str, limit: usize) -> Vec<Value> {
        let mut items = Vec::new();
        let mut cursor: Option<String> = None;
        for _ in 0..10_000 {
            let target = match &cursor {
                None => format!("/api/{collection}?limit={limit}"),
                Some(c) => format!("/api/{collection}?limit={limit}&cursor={c}"),
            };
            let resp = self.get(&target);
            assert_eq!(resp.status, 200, "{}", String::from_utf8_lossy(&resp.body));
            let page = resp.json_body();
            let batch = page["items"].as_array().unwrap();
            assert!(batch.len() <= limit);
            items.extend(batch.iter().cloned());
            match page["next_cursor"].as_str() {
                Some(c) => cursor = Some(c.to_owned()),
                None => return items,
            }
        }
        panic!("listing never ended");
    }
}

/// Asserts status and a JSON `{"error": ...}` body mentioning `needle`.
#[track_caller]
pub fn assert_error(resp: &ApiResponse, status: u16, needle: &str) {
    let body = resp.json_body();
    assert_eq!(resp.status, status, "body: {body}");
    assert_eq!(resp.header("content-type"), Some("application/json"));
    let msg = body["error"].as_str().unwrap_or_else(|| panic!("no error field in {body}"));
    assert!(msg.contains(needle), "error {msg:?} does not mention {needle:?}");
}

/// A multipart/form-data body with one `file` part per `(filename, content)`.
pub fn multipart(files: &[(&str, &[u8])]) -> (String, Vec<u8>) {
    let boundary = "----cwm-test-boundary-7MA4YWxkTrZu0gW";
    let mut body = Vec::new();
    for (name, content) in files {
        body.extend_from_slice(format!("--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\nContent-Type: application/octet-stream\r\n\r\n").as_bytes());
        body.extend_from_slice(content);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}
