//! `runner index rebuild`: recreates a running API's search index from its documents (for data
//! written before the index existed), by calling `POST /api/search/rebuild` with an admin
//! credential until the API says it is done. Each call is one bounded step, so this works the
//! same against a server that other people are using.

use std::path::PathBuf;

use anyhow::{Context as _, bail};
use clap::Args;
use protocol::admin::{RebuildStep, SEARCH_REBUILD};

/// `runner index rebuild`: where the API is and the admin credential to call it with.
#[derive(Debug, Args)]
pub struct RebuildArgs {
    /// Base URL of the API.
    #[arg(long, env = "CWM_API", default_value = "http://127.0.0.1:3000")]
    pub api: String,
    /// A file holding an admin credential: the admin token (`runner serve` keeps one in
    /// DATA_DIR/admin-token) or an admin's API token.
    #[arg(
        long,
        env = "CWM_ADMIN_TOKEN_FILE",
        default_value = ".spin/admin-token"
    )]
    pub token_file: PathBuf,
}

/// What a whole rebuild did.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Rebuilt {
    pub steps: u64,
    pub indexed: u64,
    pub current: u64,
}

/// Calls the rebuild step until done, printing a line per step.
pub async fn rebuild(args: &RebuildArgs) -> anyhow::Result<Rebuilt> {
    let token = std::fs::read_to_string(&args.token_file)
        .with_context(|| format!("reading the admin token from {}", args.token_file.display()))?;
    let token = token.trim();
    let base = args.api.trim_end_matches('/');
    let client = reqwest::Client::new();
    let mut total = Rebuilt::default();
    let mut cursor: Option<String> = None;
    loop {
        let mut request = client
            .post(format!("{base}{SEARCH_REBUILD}"))
            .bearer_auth(token);
        if let Some(c) = &cursor {
            request = request.query(&[("cursor", c)]);
        }
        let response = request
            .send()
            .await
            .with_context(|| format!("calling {base}{SEARCH_REBUILD}"))?;
        let status = response.status();
        let body = response.text().await.context("reading the API's answer")?;
        if !status.is_success() {
            bail!("{SEARCH_REBUILD} answered {status}: {}", error_text(&body));
        }
        let step: RebuildStep = serde_json::from_str(&body)
            .with_context(|| format!("{SEARCH_REBUILD} answered something else: {body:.200}"))?;
        total.steps += 1;
        total.indexed += step.indexed;
        total.current += step.current;
        println!(
            "step {}: {} indexed, {} already current",
            total.steps, step.indexed, step.current
        );
        match (step.done, step.next_cursor) {
            (true, _) => break,
            (false, Some(next)) => cursor = Some(next),
            (false, None) => bail!("{SEARCH_REBUILD} is not done but gave no cursor"),
        }
    }
    println!(
        "search index rebuilt: {} documents indexed, {} were current",
        total.indexed, total.current
    );
    Ok(total)
}

/// The `error` of an API error body, or the body.
fn error_text(body: &str) -> String {
    serde_json::from_str::<serde_json::Value>(body)
        .ok()
        .and_then(|v| v["error"].as_str().map(str::to_owned))
        .unwrap_or_else(|| body.chars().take(200).collect())
}
