//! A scripted runner API on a loopback port, for workers facing answers no real server of
//! this version gives: claims naming escaping ids or paths, refusals an older API would make.
//! It records every request.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;

/// One request the scripted API received.
#[derive(Clone, Debug)]
pub struct Seen {
    pub method: String,
    pub path: String,
    pub body: Vec<u8>,
}

/// A status and a body the API answers a request with, instead of its usual answer.
type Refusal = Arc<dyn Fn(&Seen) -> Option<(u16, Value)> + Send + Sync>;

/// A scripted runner API: the first claim gets `jobs`, later claims nothing; every other call
/// is accepted.
pub struct ScriptedApi {
    url: String,
    seen: Arc<Mutex<Vec<Seen>>>,
}

impl ScriptedApi {
    pub async fn start(jobs: Value) -> ScriptedApi {
        ScriptedApi::refusing(jobs, |_| None).await
    }

    /// [`ScriptedApi::start`], answering a request with `refuse`'s status and body where it
    /// gives one: an API of another version, say.
    pub async fn refusing(
        jobs: Value,
        refuse: impl Fn(&Seen) -> Option<(u16, Value)> + Send + Sync + 'static,
    ) -> ScriptedApi {
        let refuse: Refusal = Arc::new(refuse);
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let seen: Arc<Mutex<Vec<Seen>>> = Arc::default();
        let jobs = Arc::new(Mutex::new(Some(jobs)));
        let record = seen.clone();
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let (record, jobs, refuse) = (record.clone(), jobs.clone(), refuse.clone());
                tokio::spawn(async move {
                    let (read, mut write) = stream.into_split();
                    let mut reader = BufReader::new(read);
                    while let Some(req) = read_request(&mut reader).await {
                        let (status, answer) = match refuse(&req) {
                            Some(refusal) => refusal,
                            None => (200, answer(&req, &jobs).await),
                        };
                        record.lock().unwrap().push(req);
                        let body = answer.to_string();
                        let head = format!(
                            "HTTP/1.1 {status} {}\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n",
                            if status == 200 { "OK" } else { "Refused" },
                            body.len()
                        );
                        if write.write_all(head.as_bytes()).await.is_err()
                            || write.write_all(body.as_bytes()).await.is_err()
                        {
                            return;
                        }
                    }
                });
            }
        });
        ScriptedApi { url, seen }
    }

    pub fn base(&self) -> worker::Url {
        worker::Url::parse(&self.url).unwrap()
    }

    pub fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }

    pub fn finishes(&self) -> Vec<(String, Value)> {
        self.seen()
            .into_iter()
            .filter(|r| r.path.ends_with("/finish"))
            .map(|r| {
                (
                    r.path,
                    serde_json::from_slice(&r.body).unwrap_or(Value::Null),
                )
            })
            .collect()
    }
}

async fn read_request(reader: &mut (impl AsyncBufReadExt + Unpin)) -> Option<Seen> {
    let mut line = String::new();
    reader.read_line(&mut line).await.ok().filter(|n| *n > 0)?;
    let mut parts = line.split_whitespace();
    let (method, path) = (parts.next()?.to_owned(), parts.next()?.to_owned());
    let mut length = 0usize;
    loop {
        let mut header = String::new();
        reader.read_line(&mut header).await.ok()?;
        let header = header.trim_end();
        if header.is_empty() {
            break;
        }
        if let Some((name, value)) = header.split_once(':')
            && name.eq_ignore_ascii_case("content-length")
        {
            length = value.trim().parse().ok()?;
        }
    }
    let mut body = vec![0; length];
    reader.read_exact(&mut body).await.ok()?;
    Some(Seen { method, path, body })
}

async fn answer(req: &Seen, jobs: &Mutex<Option<Value>>) -> Value {
    if req.path.ends_with("/claim") {
        let first = jobs.lock().unwrap().take();
        if first.is_none() {
            // Nothing more to hand out: wait a little, as a long poll does.
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        return json!({ "jobs": first.unwrap_or(json!([])), "heartbeat_ms": 200, "lease_ms": 60000, "max_output_bytes": 1000 });
    }
    if req.path.ends_with("/heartbeat") {
        return json!({ "jobs": [] });
    }
    if req.method == "PUT" {
        return json!({ "action": "continue" });
    }
    json!({})
}

/// A claimed job as the API hands it out, with its `inputs` and `outputs` files.
pub fn claimed(id: &str, mut inputs: Value, mut outputs: Value) -> Value {
    // Every file in a claim names its document; only the paths matter here.
    for file in inputs
        .as_array_mut()
        .into_iter()
        .chain(outputs.as_array_mut())
        .flatten()
    {
        file["collection"] = json!("briefs");
        file["name"] = json!("b.md");
    }
    json!({ "id": id, "attempt": 1, "type": "brief", "prompt": "Write the brief.", "inputs": inputs, "outputs": outputs })
}
