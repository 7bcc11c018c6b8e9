//! Settings the component reads from `wasi:config` (Spin variables), with their defaults.
//! A value that does not parse falls back to its default, with a warning on stderr.

/// Default cap on one stored document: 1 MiB.
pub const DEFAULT_MAX_DOCUMENT_BYTES: u64 = 1 << 20;
/// Default cap on one multipart upload request (all files together): 8 MiB.
pub const DEFAULT_MAX_UPLOAD_BYTES: u64 = 8 << 20;
/// Default number of jobs that may run at once across all runners.
pub const DEFAULT_MAX_CONCURRENT_JOBS: u64 = 3;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Settings {
    /// `max_document_bytes`: largest document body accepted (413 above).
    pub max_document_bytes: u64,
    /// `max_upload_bytes`: largest multipart upload body accepted (413 above).
    pub max_upload_bytes: u64,
    /// `max_concurrent_jobs`: reported by `/health`; enforced by the job queue.
    pub max_concurrent_jobs: u64,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            max_document_bytes: DEFAULT_MAX_DOCUMENT_BYTES,
            max_upload_bytes: DEFAULT_MAX_UPLOAD_BYTES,
            max_concurrent_jobs: DEFAULT_MAX_CONCURRENT_JOBS,
        }
    }
}

impl Settings {
    /// Builds settings from a lookup function (the host's config store in production).
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Self {
        let d = Settings::default();
        let positive = |key: &str, default: u64| match lookup(key) {
            None => default,
            Some(raw) => match raw.trim().parse::<u64>() {
                Ok(v) if v > 0 => v,
                _ => {
                    eprintln!("warning: setting {key}={raw:?} is not a positive integer; using {default}");
                    default
                }
            },
        };
        Settings {
            max_document_bytes: positive("max_document_bytes", d.max_document_bytes),
            max_upload_bytes: positive("max_upload_bytes", d.max_upload_bytes),
            max_concurrent_jobs: positive("max_concurrent_jobs", d.max_concurrent_jobs),
        }
    }

    /// The largest request body any route accepts; hosts stop reading beyond it.
    pub fn max_body_bytes(&self) -> u64 {
        self.max_document_bytes.max(self.max_upload_bytes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lookup_overrides_and_bad_values_fall_back() {
        let s = Settings::from_lookup(|k| match k {
            "max_document_bytes" => Some("2048".into()),
            "max_concurrent_jobs" => Some("zero".into()),
            _ => None,
        });
        assert_eq!(s.max_document_bytes, 2048);
        assert_eq!(s.max_concurrent_jobs, DEFAULT_MAX_CONCURRENT_JOBS);
        assert_eq!(s.max_upload_bytes, DEFAULT_MAX_UPLOAD_BYTES);
    }
}
