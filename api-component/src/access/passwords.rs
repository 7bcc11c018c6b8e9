//! Password hashing: argon2id in its PHC string form (the parameters travel with each hash, so
//! raising the cost later needs no migration). `bench/login.sh` measures what one sign-in
//! costs inside the component (about 110 ms on 2 loaded cores; `bench/RESULTS.md`).

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};

use crate::Ctx;
use crate::error::ApiError;

/// Memory per hash in KiB, passes and lanes: OWASP's first argon2id configuration.
const MEMORY_KIB: u32 = 19 * 1024;
const PASSES: u32 = 2;
const LANES: u32 = 1;

/// Shortest password accepted.
pub const MIN_PASSWORD_CHARS: usize = 10;
/// Longest password accepted, in bytes (hashing cost does not depend on it, but bodies should
/// stay small).
pub const MAX_PASSWORD_BYTES: usize = 1024;

fn hasher() -> Argon2<'static> {
    // The constants above are valid parameters; `Params::new` only rejects out-of-range ones.
    let params = Params::new(MEMORY_KIB, PASSES, LANES, None).unwrap_or_default();
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// 400 unless `password` is acceptable.
pub fn check_rules(password: &str) -> Result<(), ApiError> {
    if password.chars().count() < MIN_PASSWORD_CHARS {
        return Err(ApiError::BadRequest(format!(
            "the password must have at least {MIN_PASSWORD_CHARS} characters"
        )));
    }
    if password.len() > MAX_PASSWORD_BYTES {
        return Err(ApiError::BadRequest(format!(
            "the password must be at most {MAX_PASSWORD_BYTES} bytes"
        )));
    }
    Ok(())
}

/// The PHC string of `password` with a fresh 128-bit salt.
pub fn hash(ctx: &Ctx, password: &str) -> Result<String, ApiError> {
    let mut salt = [0u8; 16];
    salt[..8].copy_from_slice(&(ctx.random)().to_le_bytes());
    salt[8..].copy_from_slice(&(ctx.random)().to_le_bytes());
    let salt = SaltString::encode_b64(&salt)
        .map_err(|e| ApiError::BadRequest(format!("cannot salt the password: {e}")))?;
    hasher()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| ApiError::BadRequest(format!("cannot hash the password: {e}")))
}

/// Whether `password` matches the stored PHC string (a malformed one matches nothing).
pub fn verify(phc: &str, password: &str) -> bool {
    PasswordHash::new(phc)
        .map(|parsed| {
            hasher()
                .verify_password(password.as_bytes(), &parsed)
                .is_ok()
        })
        .unwrap_or(false)
}

/// Spends the time of one verification, so that a sign-in for an unknown account takes as long
/// as one with a wrong password.
pub fn verify_nothing(ctx: &Ctx, password: &str) {
    let _ = hash(ctx, password);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::settings::Settings;
    use crate::store::MemoryStore;

    #[test]
    fn hashes_verify_only_their_password() {
        let store = MemoryStore::new();
        let settings = Settings::default();
        let n = std::cell::Cell::new(7u64);
        let random = || {
            n.set(n.get().wrapping_mul(6364136223846793005).wrapping_add(1));
            n.get()
        };
        let ctx = Ctx {
            store: &store,
            settings: &settings,
            now_ms: 0,
            random: &random,
        };
        let phc = hash(&ctx, "correct horse battery").unwrap();
        assert!(phc.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{phc}");
        assert!(verify(&phc, "correct horse battery"));
        assert!(!verify(&phc, "correct horse batterY"));
        assert!(!verify("not a hash", "correct horse battery"));
        assert_ne!(phc, hash(&ctx, "correct horse battery").unwrap(), "salted");
        assert!(check_rules("short").is_err());
        assert!(check_rules(&"x".repeat(2000)).is_err());
        assert!(check_rules("long enough pass").is_ok());
    }
}
