//! Secrets this API hands out (tokens, session cookies, invites, sign-in links) and how they are
//! kept: a secret is shown once and only its SHA-256 is stored, so a copy of the store lets no
//! one in. Secrets carry 256 random bits, so a fast hash is enough (passwords are another matter,
//! see [`super::passwords`]).

use sha2::{Digest, Sha256};

use crate::Ctx;

pub use protocol::auth::TOKEN_PREFIX;

/// A new secret: `prefix` then 256 random bits in hex.
pub fn new_secret(ctx: &Ctx, prefix: &str) -> String {
    let mut s = String::with_capacity(prefix.len() + 64);
    s.push_str(prefix);
    for _ in 0..4 {
        s.push_str(&format!("{:016x}", (ctx.random)()));
    }
    s
}

/// The hex SHA-256 of a secret: the key it is stored under.
pub fn digest(secret: &str) -> String {
    Sha256::digest(secret.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Compares two secrets in time independent of where they first differ.
pub fn same(given: &[u8], expected: &[u8]) -> bool {
    given.len() == expected.len()
        && given
            .iter()
            .zip(expected)
            .fold(0u8, |acc, (a, b)| acc | (a ^ b))
            == 0
}

/// A short random id for records (users, tokens).
pub fn new_id(ctx: &Ctx, prefix: &str) -> String {
    format!("{prefix}{:016x}", (ctx.random)())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digests_are_sha256_hex() {
        assert_eq!(
            digest("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn same_compares_whole_values() {
        assert!(same(b"secret", b"secret"));
        assert!(!same(b"secret", b"secreT"));
        assert!(!same(b"secret", b"secret2"));
        assert!(!same(b"", b"x"));
    }
}
