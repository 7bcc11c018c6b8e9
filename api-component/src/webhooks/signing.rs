//! How a delivery is signed, and how a receiver checks it.
//!
//! The signature is the hex HMAC-SHA256, keyed with `webhook_secret`, of the delivery's Unix
//! timestamp in seconds, a `.`, and the raw body: `HMAC(secret, "{timestamp}.{body}")`. It is
//! sent as `X-CWM-Signature: sha256=<hex>` beside `X-CWM-Timestamp: <timestamp>`. Signing the
//! timestamp with the body means a captured request cannot be replayed later with a fresh
//! timestamp: a receiver recomputes the HMAC over the timestamp header and the body it got,
//! compares in constant time, and refuses a timestamp too far from its own clock (five minutes
//! is usual). [`verify`] is that check, used by the tests the way a receiver would use it.

use hmac::{Hmac, Mac};
use sha2::Sha256;

/// The header carrying the signature, `sha256=<hex>`.
pub const SIGNATURE_HEADER: &str = "X-CWM-Signature";
/// The header carrying the signed Unix time in seconds.
pub const TIMESTAMP_HEADER: &str = "X-CWM-Timestamp";

fn mac(secret: &str, timestamp: i64, body: &[u8]) -> Hmac<Sha256> {
    // HMAC takes a key of any length; `new_from_slice` cannot fail for it.
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes())
        .unwrap_or_else(|_| unreachable!("HMAC accepts keys of every length"));
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    mac
}

/// The `X-CWM-Signature` value for `body` sent at `timestamp` (Unix seconds).
pub fn signature(secret: &str, timestamp: i64, body: &[u8]) -> String {
    let digest = mac(secret, timestamp, body).finalize().into_bytes();
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    format!("sha256={hex}")
}

/// Whether `header` (an `X-CWM-Signature` value) signs `body` at `timestamp` with `secret`,
/// compared in constant time.
pub fn verify(secret: &str, timestamp: i64, body: &[u8], header: &str) -> bool {
    let Some(hex) = header.trim().strip_prefix("sha256=") else {
        return false;
    };
    let Some(bytes) = decode_hex(hex) else {
        return false;
    };
    mac(secret, timestamp, body).verify_slice(&bytes).is_ok()
}

fn decode_hex(hex: &str) -> Option<Vec<u8>> {
    if !hex.len().is_multiple_of(2) {
        return None;
    }
    (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(hex.get(i..i + 2)?, 16).ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signature_is_hmac_sha256_of_timestamp_dot_body() {
        // As computed independently by
        // `printf '1767225600.{"a":1}' | openssl dgst -sha256 -hmac s3cret`.
        assert_eq!(
            signature("s3cret", 1_767_225_600, br#"{"a":1}"#),
            "sha256=7d4120fcebf444efab10ba7cd6c651bf463cefb039db5fad37ff9f7231ac8a4a"
        );
    }

    #[test]
    fn verify_accepts_only_the_same_secret_timestamp_and_body() {
        let body = br#"{"event":"job.finished"}"#;
        let header = signature("key", 100, body);
        assert!(verify("key", 100, body, &header));
        assert!(!verify("other", 100, body, &header), "another secret");
        assert!(
            !verify("key", 101, body, &header),
            "a replay with a new timestamp"
        );
        assert!(
            !verify("key", 100, br#"{"event":"job.finishes"}"#, &header),
            "a changed body"
        );
        assert!(
            !verify("key", 100, body, header.trim_start_matches("sha256=")),
            "no scheme"
        );
        assert!(!verify("key", 100, body, "sha256=zz"), "not hex");
        assert!(!verify("key", 100, body, "sha256=abc"), "odd length");
    }
}
