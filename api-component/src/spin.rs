use spin_sdk::experimental::wasi::keyvalue::{atomics, store};
use spin_sdk::experimental::wasi::config::store as config;
use spin_sdk::http::{IntoResponse, Request};
use spin_sdk::http_service;

#[http_service]
async fn handle(_req: Request) -> impl IntoResponse {
    let bucket = store::open("default").unwrap();
    let n = atomics::increment(&bucket, "hits", 1).unwrap();
    let max = config::get("max_document_bytes").ok().flatten();
    format!("hits {n} max {max:?}")
}
