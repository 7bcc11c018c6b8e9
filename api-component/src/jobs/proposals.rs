//! What a revision job leaves behind: a proposal, never a document write. The text the job was
//! asked to revise (its base) is kept with the job when it is queued, so the job revises that
//! text whatever happens to the document meanwhile, and the review compares against it. When the
//! job completes, its output becomes the proposal; approving writes it (or the chosen hunks of
//! it) as a new version only if the document is still at the base version.
//!
//! Keys: `revision/{random}/{i}` the base text in chunks ([`crate::blob`]; the job's
//! `base_key` and `base_chunks` parameters name them, written before the job is queued); `proposal/{id}` the JSON [`Proposal`]; `proposal/{id}/p/{i}` the
//! proposed text; `proposal/{id}/decided` the latch the one approve or reject wins.

use serde::{Deserialize, Serialize};

use super::model::JobRecord;
use super::queue::staged_output;
use crate::Ctx;
use crate::blob;
use crate::store::StoreResult;

/// Where a proposal stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ProposalStatus {
    Pending,
    Approved,
    Rejected,
}

/// What is stored about a proposal.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Proposal {
    pub job_id: String,
    pub collection: String,
    pub name: String,
    /// The generation (ETag) of the version the job revised.
    pub base_generation: i64,
    pub status: ProposalStatus,
    pub chunks: u32,
    pub created_ms: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decided_by: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decided_ms: Option<i64>,
}

fn proposal_key(job_id: &str) -> String {
    format!("proposal/{job_id}")
}

fn proposed_prefix(job_id: &str) -> String {
    format!("proposal/{job_id}/p")
}

pub fn decided_latch(job_id: &str) -> String {
    format!("proposal/{job_id}/decided")
}

/// The entries that keep `base` under `key` for a job about to be queued, and their count.
pub fn base_entries(key: &str, base: &[u8]) -> (Vec<(String, Vec<u8>)>, u32) {
    blob::chunk_entries(key, base)
}

/// Where a revision job's base is, and in how many chunks.
fn base_of(record: &JobRecord) -> Option<(&str, u32)> {
    let key = record.params["base_key"].as_str()?;
    let count = record.params["base_chunks"].as_u64()? as u32;
    Some((key, count))
}

/// The text a revision job was asked to revise.
pub fn base(ctx: &Ctx, record: &JobRecord) -> StoreResult<Option<String>> {
    let Some((key, count)) = base_of(record) else {
        return Ok(None);
    };
    Ok(blob::read(ctx.store, key, count)?.map(|b| String::from_utf8_lossy(&b).into_owned()))
}

/// Turns a completed revision's output into its proposal; the reason if it cannot.
pub fn store(ctx: &Ctx, record: &JobRecord) -> Result<(), String> {
    let content = staged_output(ctx, record, 0)
        .map_err(|e| e.to_string())?
        .ok_or("the job did not write its revised text")?;
    let text = std::str::from_utf8(&content).map_err(|_| "the revised text is not UTF-8")?;
    if text.trim().is_empty() {
        return Err("the revised text is empty".into());
    }
    let limit = ctx.settings.max_document_bytes;
    if content.len() as u64 > limit {
        return Err(format!(
            "the revised text is {} bytes, over the limit of {limit} bytes",
            content.len()
        ));
    }
    let (mut entries, chunks) = blob::chunk_entries(&proposed_prefix(&record.id), &content);
    let proposal = Proposal {
        job_id: record.id.clone(),
        collection: record.params["collection"]
            .as_str()
            .unwrap_or_default()
            .to_owned(),
        name: record.params["name"]
            .as_str()
            .unwrap_or_default()
            .to_owned(),
        base_generation: record.params["base_generation"].as_i64().unwrap_or(0),
        status: ProposalStatus::Pending,
        chunks,
        created_ms: ctx.now_ms,
        decided_by: None,
        decided_ms: None,
    };
    entries.push((
        proposal_key(&record.id),
        serde_json::to_vec(&proposal).unwrap_or_default(),
    ));
    ctx.store.set_many(&entries).map_err(|e| e.to_string())
}

/// A job's proposal with its proposed text, if there is one.
pub fn load(ctx: &Ctx, job_id: &str) -> StoreResult<Option<(Proposal, String)>> {
    let Some(proposal) = ctx
        .store
        .get(&proposal_key(job_id))?
        .and_then(|raw| serde_json::from_slice::<Proposal>(&raw).ok())
    else {
        return Ok(None);
    };
    let Some(text) = blob::read(ctx.store, &proposed_prefix(job_id), proposal.chunks)? else {
        return Ok(None);
    };
    Ok(Some((
        proposal,
        String::from_utf8_lossy(&text).into_owned(),
    )))
}

/// Records the decision on a proposal.
pub fn decide(
    ctx: &Ctx,
    mut proposal: Proposal,
    status: ProposalStatus,
    by: &str,
) -> StoreResult<Proposal> {
    proposal.status = status;
    proposal.decided_by = Some(by.to_owned());
    proposal.decided_ms = Some(ctx.now_ms);
    ctx.store.set(
        &proposal_key(&proposal.job_id),
        &serde_json::to_vec(&proposal).unwrap_or_default(),
    )?;
    Ok(proposal)
}

/// Every key a revision job keeps besides its record (for retention).
pub fn keys_of(ctx: &Ctx, record: &JobRecord) -> StoreResult<Vec<String>> {
    let mut keys = base_of(record).map_or_else(Vec::new, |(key, n)| blob::chunk_keys(key, n));
    if let Some(raw) = ctx.store.get(&proposal_key(&record.id))?
        && let Ok(p) = serde_json::from_slice::<Proposal>(&raw)
    {
        keys.extend(blob::chunk_keys(&proposed_prefix(&record.id), p.chunks));
    }
    keys.push(proposal_key(&record.id));
    keys.push(decided_latch(&record.id));
    Ok(keys)
}
