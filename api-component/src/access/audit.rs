//! The audit log: who signed in (or failed to), created or revoked tokens, changed roles,
//! deleted documents and cancelled jobs, and when. Append-only, in numbered slots; listed newest
//! first, paged by slot number.

use serde::{Deserialize, Serialize};

use crate::Ctx;
use crate::documents::rfc3339;
use crate::store::{Slots, StoreResult};

const AUDIT: Slots = Slots::new("auth/audit");

/// One entry.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Entry {
    #[cfg_attr(feature = "openapi", schema(format = DateTime))]
    pub at: String,
    /// Who did it: an email, `admin`, or (for failed sign-ins) the address tried.
    pub actor: String,
    /// What was done, e.g. `sign_in`, `token_revoked`.
    pub action: String,
    /// What it was done to, e.g. a token id, `briefs/a.md`.
    pub target: String,
    /// The client's address as the host reported it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client: Option<String>,
}

/// Appends an entry. An audit write that fails fails the request: better no action than an
/// unrecorded one.
pub fn record(
    ctx: &Ctx,
    actor: &str,
    action: &str,
    target: &str,
    client: Option<&str>,
) -> StoreResult<()> {
    let entry = Entry {
        at: rfc3339(ctx.now_ms),
        actor: actor.to_owned(),
        action: action.to_owned(),
        target: target.to_owned(),
        client: client.map(str::to_owned),
    };
    AUDIT.push(ctx.store, &serde_json::to_vec(&entry).unwrap_or_default())?;
    Ok(())
}

/// Up to `limit` entries older than `cursor` (all if none), newest first, and the cursor of the
/// next page.
pub fn page(
    ctx: &Ctx,
    limit: usize,
    cursor: Option<i64>,
) -> StoreResult<(Vec<Entry>, Option<i64>)> {
    let newest = match cursor {
        Some(c) => c - 1,
        None => AUDIT.len(ctx.store)?,
    };
    let oldest = (newest - limit as i64 + 1).max(1);
    let entries: Vec<Entry> = AUDIT
        .read(ctx.store, oldest, newest)?
        .into_iter()
        .rev()
        .filter_map(|(_, b)| serde_json::from_slice(&b).ok())
        .collect();
    let next = (oldest > 1).then_some(oldest);
    Ok((entries, next))
}
