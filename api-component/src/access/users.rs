//! User accounts: who they are, their role, whether they are disabled, their password's hash.
//! A user is created by an admin (with an invite) and sets a password by accepting it.
//!
//! Keys: `auth/user/{id}` the record; `auth/email/{email}` the id (its latch
//! `auth/email-latch/{email}` makes two concurrent creations of one address yield one user);
//! [`USERS`] the ids in creation order. Users are never deleted, only disabled, so addresses
//! and ids are never reused.

use serde::{Deserialize, Serialize};

use super::{Actor, Role, secrets};
use crate::Ctx;
use crate::documents::rfc3339;
use crate::error::{ApiError, ApiResult};
use crate::store::{Slots, StoreResult};

const USERS: Slots = Slots::new("auth/users");
/// Most users `GET /api/users` lists.
pub const MAX_USERS: i64 = 10_000;

fn user_key(id: &str) -> String {
    format!("auth/user/{id}")
}
fn email_key(email: &str) -> String {
    format!("auth/email/{email}")
}
fn email_latch(email: &str) -> String {
    format!("auth/email-latch/{email}")
}

/// A stored user.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct UserRecord {
    pub id: String,
    pub email: String,
    pub role: Role,
    #[serde(default)]
    pub disabled: bool,
    /// The argon2id PHC string; `None` until the invite is accepted.
    #[serde(default)]
    pub password: Option<String>,
    pub created_at: String,
    pub created_by: String,
}

/// A user as the API shows one (never the hash).
#[derive(Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UserView {
    pub id: String,
    pub email: String,
    pub role: Role,
    pub disabled: bool,
    /// Whether the user has accepted the invite (has a password).
    pub active: bool,
    #[cfg_attr(feature = "openapi", schema(format = DateTime))]
    pub created_at: String,
    pub created_by: String,
}

impl UserRecord {
    pub fn view(&self) -> UserView {
        UserView {
            id: self.id.clone(),
            email: self.email.clone(),
            role: self.role,
            disabled: self.disabled,
            active: self.password.is_some(),
            created_at: self.created_at.clone(),
            created_by: self.created_by.clone(),
        }
    }

    pub fn actor(&self) -> Actor {
        Actor::User {
            id: self.id.clone(),
            email: self.email.clone(),
        }
    }
}

/// An address as stored and compared: trimmed and lower-cased; 400 unless it looks like one.
pub fn normalize_email(raw: &str) -> ApiResult<String> {
    let email = raw.trim().to_lowercase();
    let plausible = email.len() <= 254
        && !email
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || c == '/')
        && email
            .split_once('@')
            .is_some_and(|(local, domain)| !local.is_empty() && !domain.is_empty());
    if plausible {
        Ok(email)
    } else {
        Err(ApiError::BadRequest(format!(
            "{raw:?} is not an email address"
        )))
    }
}

/// Creates a user without a password; 409 if the address is taken.
pub fn create(ctx: &Ctx, email: &str, role: Role, by: &Actor) -> ApiResult<UserRecord> {
    if ctx.store.increment(&email_latch(email), 1)? != 1 {
        return Err(ApiError::Conflict(format!(
            "a user with the address {email} exists already"
        )));
    }
    let record = UserRecord {
        id: secrets::new_id(ctx, "u"),
        email: email.to_owned(),
        role,
        disabled: false,
        password: None,
        created_at: rfc3339(ctx.now_ms),
        created_by: by.label(),
    };
    save(ctx, &record)?;
    ctx.store.set(&email_key(email), record.id.as_bytes())?;
    USERS.push(ctx.store, record.id.as_bytes())?;
    Ok(record)
}

pub fn save(ctx: &Ctx, record: &UserRecord) -> StoreResult<()> {
    // Serializing a plain struct cannot fail.
    let bytes = serde_json::to_vec(record).unwrap_or_default();
    ctx.store.set(&user_key(&record.id), &bytes)
}

pub fn get(ctx: &Ctx, id: &str) -> StoreResult<Option<UserRecord>> {
    if id.is_empty() || id.len() > 64 || id.contains('/') {
        return Ok(None);
    }
    Ok(ctx
        .store
        .get(&user_key(id))?
        .and_then(|b| serde_json::from_slice(&b).ok()))
}

pub fn by_email(ctx: &Ctx, email: &str) -> StoreResult<Option<UserRecord>> {
    match ctx.store.get(&email_key(email))? {
        Some(id) => get(ctx, &String::from_utf8_lossy(&id)),
        None => Ok(None),
    }
}

/// Every user, in creation order.
pub fn list(ctx: &Ctx) -> StoreResult<Vec<UserRecord>> {
    let n = USERS.len(ctx.store)?.min(MAX_USERS);
    USERS.records(ctx.store, (1, n), false, user_key)
}
