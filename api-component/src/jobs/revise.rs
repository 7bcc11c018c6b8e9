//! Revise with AI: `POST /api/{briefs|drafts}/{name}/revise` queues a `revision` job, and the
//! proposal it leaves ([`super::proposals`]) is reviewed with `GET /api/proposals/{job_id}` (the
//! base, the proposed text and the word-level hunks between them), then approved (all hunks, or
//! only those named) or rejected. Nothing is written to the document but by an approval, and
//! only while the document is still at the version the job revised (409 with the current text
//! otherwise).

use serde::{Deserialize, Serialize};
use serde_json::json;

use super::enqueue::enqueue;
use super::load;
use super::model::{DocRef, JobType, Status};
use super::proposals::{self, Proposal, ProposalStatus};
use super::submit::{Queued, Submission};
use super::templates;
use crate::Ctx;
use crate::diff::{self, Segment};
use crate::documents::{DocError, Documents, Precondition, Source, Write, rfc3339};
use crate::error::{ApiError, ApiResult};
use crate::http::{ApiResponse, json_body};
use crate::names::{Collection, DocName};

/// Longest instructions a revision takes.
pub const MAX_INSTRUCTIONS_CHARS: usize = 4_000;

/// `POST /api/{briefs|drafts}/{name}/revise`.
#[derive(Debug, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ReviseRequest {
    /// What to change, in plain words (1 to 4,000 characters).
    #[cfg_attr(
        feature = "openapi",
        schema(required = true, value_type = String, min_length = 1, max_length = 4000)
    )]
    instructions: Option<String>,
    /// The ETag of the version the instructions were written for; 412 if the document has
    /// moved on. Absent: the current version.
    #[serde(default)]
    base_etag: Option<String>,
}

/// `POST /api/proposals/{job_id}/approve`.
#[derive(Debug, Default, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ApproveRequest {
    /// The hunks to take (their `index`); absent: all of them.
    #[serde(default)]
    hunks: Option<Vec<usize>>,
}

/// `GET /api/proposals/{job_id}`.
#[derive(Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ProposalView {
    pub job_id: String,
    pub collection: String,
    pub name: String,
    /// The ETag of the version the job revised.
    pub base_etag: String,
    pub status: ProposalStatus,
    /// The text the job revised.
    pub base: String,
    /// The text it proposes.
    pub proposed: String,
    /// `base` → `proposed`, word by word: the same runs and the numbered hunks.
    pub segments: Vec<Segment>,
    pub hunk_count: usize,
    #[cfg_attr(feature = "openapi", schema(format = DateTime))]
    pub created_at: String,
    /// Who approved or rejected it, or `null`.
    #[cfg_attr(feature = "openapi", schema(required = true))]
    pub decided_by: Option<String>,
}

/// The refusal of an approval because the document changed since the revised version.
#[derive(Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct StaleProposal {
    pub error: String,
    /// The document's text now (`null` if it was deleted), to merge by hand; absent when the
    /// proposal was decided already.
    pub current: Option<String>,
    /// Its ETag now, or `null`.
    pub current_etag: Option<String>,
}

fn revisable(collection: Collection) -> ApiResult<()> {
    if collection == Collection::BrandData {
        return Err(ApiError::NotFound(
            "revisions are for briefs and drafts; edit brand data directly".into(),
        ));
    }
    Ok(())
}

/// `POST /api/{briefs|drafts}/{name}/revise`: 202 with the revision job.
pub fn submit(
    ctx: &Ctx,
    collection: Collection,
    name: &str,
    body: &[u8],
    by: &str,
) -> ApiResult<ApiResponse> {
    revisable(collection)?;
    let name = DocName::parse(collection, name).map_err(ApiError::BadRequest)?;
    let req: ReviseRequest = json_body(body)?;
    let instructions = req.instructions.unwrap_or_default();
    let instructions = instructions.trim();
    if instructions.is_empty() {
        return Err(ApiError::BadRequest("instructions is required".into()));
    }
    if instructions.chars().count() > MAX_INSTRUCTIONS_CHARS {
        return Err(ApiError::BadRequest(format!(
            "instructions is longer than {MAX_INSTRUCTIONS_CHARS} characters"
        )));
    }
    let (meta, content) = Documents::new(ctx.store, collection).get(&name)?;
    if let Some(tag) = &req.base_etag
        && tag.trim().trim_start_matches("W/").trim_matches('"') != meta.generation.to_string()
    {
        return Err(ApiError::PreconditionFailed(format!(
            "{name} was changed since you loaded it (ETag mismatch); reload it and ask again"
        )));
    }
    let doc = DocRef::new(collection, name.as_str());
    let kind = if collection == Collection::Briefs {
        "content brief"
    } else {
        "article draft"
    };
    let prompt = templates::REVISION.render(&[
        ("kind", kind),
        ("document_path", &doc.input_path()),
        ("instructions", instructions),
        ("output_path", &doc.output_path()),
    ]);
    // The base is stored before the job is queued, so that any claim of the job finds it.
    let base_key = format!("revision/{:016x}{:016x}", (ctx.random)(), (ctx.random)());
    let (entries, chunks) = proposals::base_entries(&base_key, &content);
    ctx.store.set_many(&entries)?;
    let submission = Submission {
        kind: JobType::Revision,
        params: json!({
            "collection": collection.segment(), "name": name.as_str(),
            "instructions": instructions, "base_generation": meta.generation,
            "base_version": meta.version, "base_key": base_key, "base_chunks": chunks,
        }),
        inputs: vec![doc.clone()],
        outputs: vec![doc],
        prompt,
        template: templates::REVISION.version(),
        batch_id: None,
        parent_job_id: None,
        retry_of: None,
    };
    let id = match enqueue(ctx, submission, by) {
        Ok(id) => id,
        Err(e) => {
            let keys: Vec<String> = entries.into_iter().map(|(k, _)| k).collect();
            ctx.store.delete_many(&keys)?;
            return Err(e);
        }
    };
    Ok(ApiResponse::json(
        202,
        &Queued {
            job_id: id.clone(),
            status: Status::Queued,
            retry_of: None,
        },
    )
    .with_header("location", format!("/api/proposals/{id}")))
}

fn proposal_of(ctx: &Ctx, job_id: &str) -> ApiResult<(Proposal, String)> {
    let valid = !job_id.is_empty()
        && job_id.len() <= 64
        && job_id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-');
    let found = if valid {
        proposals::load(ctx, job_id)?
    } else {
        None
    };
    found.ok_or_else(|| {
        ApiError::NotFound(format!(
            "no proposal from job {job_id:?}: it is not a revision, has not finished, or failed"
        ))
    })
}

fn view(ctx: &Ctx, proposal: Proposal, proposed: String) -> ApiResult<ProposalView> {
    let record = load(ctx.store, &proposal.job_id)?;
    let base = proposals::base(ctx, &record)?.unwrap_or_default();
    let segments = diff::segments(&base, &proposed);
    Ok(ProposalView {
        job_id: proposal.job_id,
        collection: proposal.collection,
        name: proposal.name,
        base_etag: format!("\"{}\"", proposal.base_generation),
        status: proposal.status,
        hunk_count: diff::hunk_count(&segments),
        segments,
        base,
        proposed,
        created_at: rfc3339(proposal.created_ms),
        decided_by: proposal.decided_by,
    })
}

/// `GET /api/proposals/{job_id}`.
pub fn get(ctx: &Ctx, job_id: &str) -> ApiResult<ApiResponse> {
    let (proposal, proposed) = proposal_of(ctx, job_id)?;
    Ok(ApiResponse::json(200, &view(ctx, proposal, proposed)?))
}

/// Wins the right to decide a pending proposal, or says why not.
fn claim_decision(ctx: &Ctx, proposal: &Proposal) -> ApiResult<()> {
    if proposal.status != ProposalStatus::Pending {
        return Err(ApiError::Conflict(format!(
            "the proposal of job {} was {} already",
            proposal.job_id,
            if proposal.status == ProposalStatus::Approved {
                "approved"
            } else {
                "rejected"
            }
        )));
    }
    if ctx
        .store
        .increment(&proposals::decided_latch(&proposal.job_id), 1)?
        != 1
    {
        return Err(ApiError::Conflict(format!(
            "the proposal of job {} is being decided by someone else",
            proposal.job_id
        )));
    }
    Ok(())
}

/// `POST /api/proposals/{job_id}/approve`: the proposal (or its chosen hunks) as the
/// document's new version; 409 with the current text if the document moved on.
pub fn approve(ctx: &Ctx, job_id: &str, body: &[u8], by: &str) -> ApiResult<ApiResponse> {
    let (proposal, proposed) = proposal_of(ctx, job_id)?;
    let req: ApproveRequest = if body.iter().all(u8::is_ascii_whitespace) {
        ApproveRequest::default()
    } else {
        json_body(body)?
    };
    let shown = view(ctx, proposal.clone(), proposed)?;
    if let Some(bad) = req.hunks.iter().flatten().find(|i| **i >= shown.hunk_count) {
        return Err(ApiError::BadRequest(format!(
            "hunk {bad} does not exist; this proposal has {} (0 to {})",
            shown.hunk_count,
            shown.hunk_count.saturating_sub(1)
        )));
    }
    let collection = Collection::from_segment(&proposal.collection)
        .ok_or_else(|| ApiError::NotFound("the proposal names no collection".into()))?;
    let name = DocName::parse(collection, &proposal.name).map_err(ApiError::BadRequest)?;
    let text = match &req.hunks {
        None => shown.proposed.clone(),
        Some(chosen) => diff::apply(&shown.segments, |i| chosen.contains(&i)),
    };
    let docs = Documents::new(ctx.store, collection);
    let stale = |why: &str| -> ApiResult<ApiResponse> {
        let current = docs.get(&name).ok();
        Ok(ApiResponse::json(
            409,
            &StaleProposal {
                error: format!("{name} {why}; nothing was written"),
                current_etag: current.as_ref().map(|(m, _)| m.etag()),
                current: current.map(|(_, c)| String::from_utf8_lossy(&c).into_owned()),
            },
        ))
    };
    if shown.status == ProposalStatus::Pending
        && docs.meta(&name)?.map(|m| m.generation) != Some(proposal.base_generation)
    {
        return stale("changed since the revision was asked for");
    }
    claim_decision(ctx, &proposal)?;
    let write = Write::new(ctx, by, Source::Revision(job_id.to_owned()));
    let precondition = Precondition::OneOf(vec![proposal.base_generation]);
    let max = ctx.settings.max_document_bytes;
    let meta = match docs.put(&name, text.as_bytes(), max, &precondition, &write) {
        Ok((_, meta)) => meta,
        Err(DocError::PreconditionFailed { .. }) => {
            // The decision is not made after all: let a later approve or reject try again.
            ctx.store.delete(&proposals::decided_latch(job_id))?;
            return stale("changed since the revision was asked for");
        }
        Err(e) => {
            ctx.store.delete(&proposals::decided_latch(job_id))?;
            return Err(e.into());
        }
    };
    proposals::decide(ctx, proposal, ProposalStatus::Approved, by)?;
    Ok(ApiResponse::json(200, &meta.item())
        .with_header("etag", meta.etag())
        .with_header("location", format!("/api/{collection}/{}", meta.name)))
}

/// `POST /api/proposals/{job_id}/reject`: the proposal is set aside; the document is untouched.
pub fn reject(ctx: &Ctx, job_id: &str, by: &str) -> ApiResult<ApiResponse> {
    let (proposal, proposed) = proposal_of(ctx, job_id)?;
    claim_decision(ctx, &proposal)?;
    let proposal = proposals::decide(ctx, proposal, ProposalStatus::Rejected, by)?;
    Ok(ApiResponse::json(200, &view(ctx, proposal, proposed)?))
}
