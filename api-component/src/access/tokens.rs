//! Bearer tokens: API tokens (a role, at most their creator's) and runner tokens (bound to one
//! runner name). Shown once at creation; the store keeps only their SHA-256.
//!
//! Keys: `auth/token/{digest}` → the token's id; `auth/token-meta/{id}` the record (kept after
//! revocation, for the list and the audit); [`TOKENS`] the ids in creation order. Revoking deletes
//! the digest key, so the very next request with the token fails.

use serde::{Deserialize, Serialize};

use super::{Actor, Role, secrets};
use crate::Ctx;
use crate::documents::rfc3339;
use crate::error::{ApiError, ApiResult};
use crate::store::{Slots, StoreResult};

const TOKENS: Slots = Slots::new("auth/tokens");
/// Most tokens `GET /api/tokens` looks through.
const MAX_TOKENS: i64 = 10_000;
/// Longest token name.
pub const MAX_NAME_CHARS: usize = 100;

fn digest_key(digest: &str) -> String {
    format!("auth/token/{digest}")
}
fn meta_key(id: &str) -> String {
    format!("auth/token-meta/{id}")
}

/// What a token lets its holder be.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum Grant {
    /// The API with this role (capped by the owner's role when the owner is a user).
    Api { role: Role },
    /// The runner protocol as the runner of this name.
    Runner { runner: String },
}

/// A token as stored.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct TokenRecord {
    pub id: String,
    pub name: String,
    #[serde(flatten)]
    pub grant: Grant,
    pub owner: Actor,
    pub created_at: String,
    #[serde(default)]
    pub revoked_at: Option<String>,
    /// The digest key, kept so that revoking by id can delete it.
    digest: String,
}

/// A token as the API lists it.
#[derive(Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TokenView {
    pub id: String,
    pub name: String,
    #[serde(flatten)]
    pub grant: Grant,
    /// Who created it: an email, or `admin`.
    pub owner: String,
    #[cfg_attr(feature = "openapi", schema(format = DateTime))]
    pub created_at: String,
    #[cfg_attr(feature = "openapi", schema(format = DateTime))]
    pub revoked_at: Option<String>,
}

impl TokenRecord {
    pub fn view(&self) -> TokenView {
        TokenView {
            id: self.id.clone(),
            name: self.name.clone(),
            grant: self.grant.clone(),
            owner: self.owner.label(),
            created_at: self.created_at.clone(),
            revoked_at: self.revoked_at.clone(),
        }
    }
}

/// Creates a token; returns its record and the secret (shown once).
pub fn create(
    ctx: &Ctx,
    name: &str,
    grant: Grant,
    owner: &Actor,
) -> ApiResult<(TokenRecord, String)> {
    let name = name.trim();
    if name.is_empty()
        || name.chars().count() > MAX_NAME_CHARS
        || name.chars().any(char::is_control)
    {
        return Err(ApiError::BadRequest(format!(
            "a token needs a name of 1 to {MAX_NAME_CHARS} printable characters"
        )));
    }
    let secret = secrets::new_secret(ctx, secrets::TOKEN_PREFIX);
    let digest = secrets::digest(&secret);
    let record = TokenRecord {
        id: secrets::new_id(ctx, "t"),
        name: name.to_owned(),
        grant,
        owner: owner.clone(),
        created_at: rfc3339(ctx.now_ms),
        revoked_at: None,
        digest: digest.clone(),
    };
    save(ctx, &record)?;
    ctx.store.set(&digest_key(&digest), record.id.as_bytes())?;
    TOKENS.push(ctx.store, record.id.as_bytes())?;
    Ok((record, secret))
}

fn save(ctx: &Ctx, record: &TokenRecord) -> StoreResult<()> {
    // Serializing a plain struct cannot fail.
    let bytes = serde_json::to_vec(record).unwrap_or_default();
    ctx.store.set(&meta_key(&record.id), &bytes)
}

pub fn get(ctx: &Ctx, id: &str) -> StoreResult<Option<TokenRecord>> {
    if id.is_empty() || id.len() > 64 || id.contains('/') {
        return Ok(None);
    }
    Ok(ctx.store.get(&meta_key(id))?.and_then(|b| decode(&b)))
}

fn decode(bytes: &[u8]) -> Option<TokenRecord> {
    serde_json::from_slice(bytes).ok()
}

/// The live token whose secret is `secret`, if any.
pub fn lookup(ctx: &Ctx, secret: &str) -> StoreResult<Option<TokenRecord>> {
    let Some(id) = ctx.store.get(&digest_key(&secrets::digest(secret)))? else {
        return Ok(None);
    };
    Ok(get(ctx, &String::from_utf8_lossy(&id))?.filter(|t| t.revoked_at.is_none()))
}

/// Revokes a token: from now on it lets no one in.
pub fn revoke(ctx: &Ctx, mut record: TokenRecord) -> StoreResult<TokenRecord> {
    ctx.store.delete(&digest_key(&record.digest))?;
    record.revoked_at = Some(rfc3339(ctx.now_ms));
    save(ctx, &record)?;
    Ok(record)
}

/// Every token ever created, newest first.
pub fn list(ctx: &Ctx) -> StoreResult<Vec<TokenRecord>> {
    let n = TOKENS.len(ctx.store)?;
    TOKENS.records(ctx.store, ((n - MAX_TOKENS + 1).max(1), n), true, meta_key)
}
