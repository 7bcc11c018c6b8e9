//! The wasm entry point: converts between wasi:http and [`ApiRequest`]/[`ApiResponse`], and
//! adapts the host's `wasi:keyvalue` bucket and `wasi:config` store. Nothing else lives here.

use http_body_util::{BodyExt, Limited};
use spin_sdk::experimental::wasi::config::store as config;
use spin_sdk::experimental::wasi::keyvalue::{atomics, batch, store};
use spin_sdk::http::{IntoResponse, Request};
use spin_sdk::http_service;

use crate::error::ApiError;
use crate::http::{ApiRequest, ApiResponse};
use crate::settings::Settings;
use crate::store::{Store, StoreError, StoreResult};
use crate::{Ctx, handle};

/// Room for multipart framing on top of the largest document or upload.
const BODY_SLACK_BYTES: u64 = 64 * 1024;

#[http_service]
async fn serve(req: Request) -> impl IntoResponse {
    let settings = Settings::from_lookup(|key| config::get(key).ok().flatten());
    let resp = match read_request(req, settings.max_body_bytes() + BODY_SLACK_BYTES).await {
        Err(resp) => resp,
        Ok(api_req) => match store::open("default") {
            Err(e) => ApiError::Store(StoreError(format!("open default store: {e:?}"))).into_response(),
            Ok(bucket) => {
                let now_ms = std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map_or(0, |d| d.as_millis() as i64);
                let kv = KvStore(bucket);
                handle(&Ctx { store: &kv, settings: &settings, now_ms }, &api_req)
            }
        },
    };
    into_http(resp)
}

/// Reads the request, refusing bodies over `limit` bytes before buffering them.
async fn read_request(req: Request, limit: u64) -> Result<ApiRequest, ApiResponse> {
    let (parts, body) = req.into_parts();
    let mut api = ApiRequest::new(parts.method.as_str(), "");
    api.path = parts.uri.path().to_owned();
    api.query = parts.uri.query().unwrap_or_default().to_owned();
    api.headers = parts
        .headers
        .iter()
        .filter_map(|(k, v)| Some((k.as_str().to_owned(), v.to_str().ok()?.to_owned())))
        .collect();
    let too_large = |size| ApiError::TooLarge { size, limit }.into_response();
    if let Some(len) = api.header("content-length").and_then(|v| v.parse::<u64>().ok()) {
        if len > limit {
            return Err(too_large(len));
        }
    }
    match Limited::new(body, limit as usize).collect().await {
        Ok(collected) => api.body = collected.to_bytes().to_vec(),
        Err(e) if e.is::<http_body_util::LengthLimitError>() => return Err(too_large(limit + 1)),
        Err(e) => {
            return Err(ApiError::BadRequest(format!("could not read the request body: {e}")).into_response());
        }
    }
    Ok(api)
}

fn into_http(resp: ApiResponse) -> spin_sdk::http::Response<http_body_util::Full<bytes::Bytes>> {
    let mut builder = spin_sdk::http::Response::builder().status(resp.status);
    for (name, value) in &resp.headers {
        builder = builder.header(name.as_str(), value.as_str());
    }
    builder
        .body(http_body_util::Full::new(bytes::Bytes::from(resp.body)))
        .unwrap_or_else(|_| {
            let mut fallback = spin_sdk::http::Response::new(http_body_util::Full::new(bytes::Bytes::new()));
            *fallback.status_mut() = spin_sdk::http::StatusCode::INTERNAL_SERVER_ERROR;
            fallback
        })
}

/// The host's `wasi:keyvalue` bucket behind the crate's [`Store`] trait.
struct KvStore(store::Bucket);

fn kv_err(op: &str) -> impl Fn(store::Error) -> StoreError + '_ {
    move |e| StoreError(format!("{op}: {e:?}"))
}

impl Store for KvStore {
    fn get(&self, key: &str) -> StoreResult<Option<Vec<u8>>> {
        self.0.get(key).map_err(kv_err("get"))
    }

    fn set(&self, key: &str, value: &[u8]) -> StoreResult<()> {
        self.0.set(key, value).map_err(kv_err("set"))
    }

    fn delete(&self, key: &str) -> StoreResult<()> {
        self.0.delete(key).map_err(kv_err("delete"))
    }

    fn increment(&self, key: &str, delta: i64) -> StoreResult<i64> {
        atomics::increment(&self.0, key, delta).map_err(kv_err("increment"))
    }

    fn get_many(&self, keys: &[String]) -> StoreResult<Vec<Option<Vec<u8>>>> {
        if keys.is_empty() {
            return Ok(Vec::new());
        }
        let found = batch::get_many(&self.0, keys).map_err(kv_err("get-many"))?;
        // Hosts differ in whether they return absent keys and in what order: key by name.
        let mut by_key: std::collections::HashMap<String, Option<Vec<u8>>> = found.into_iter().collect();
        Ok(keys.iter().map(|k| by_key.remove(k).flatten()).collect())
    }

    fn set_many(&self, entries: &[(String, Vec<u8>)]) -> StoreResult<()> {
        if entries.is_empty() {
            return Ok(());
        }
        batch::set_many(&self.0, entries).map_err(kv_err("set-many"))
    }

    fn delete_many(&self, keys: &[String]) -> StoreResult<()> {
        if keys.is_empty() {
            return Ok(());
        }
        batch::delete_many(&self.0, keys).map_err(kv_err("delete-many"))
    }
}
