//! Settings the component reads from `wasi:config` (Spin variables), with their defaults.
//! A value that does not parse falls back to its default, with a warning on stderr.

/// Default cap on one stored document: 1 MiB.
pub const DEFAULT_MAX_DOCUMENT_BYTES: u64 = 1 << 20;
/// Default cap on one multipart upload request (all files together): 8 MiB.
pub const DEFAULT_MAX_UPLOAD_BYTES: u64 = 8 << 20;
/// Default number of jobs that may run at once across all runners.
pub const DEFAULT_MAX_CONCURRENT_JOBS: u64 = 3;
/// Default most jobs that may wait in the queue; submits beyond get 429.
pub const DEFAULT_MAX_QUEUED_JOBS: u64 = 10_000;
/// Default age at which finished jobs are removed.
pub const DEFAULT_JOB_RETENTION_DAYS: u64 = 30;
/// Default number of versions kept per document (the current one included).
pub const DEFAULT_VERSION_RETENTION: u64 = 20;
/// Default days a deleted document stays in the trash.
pub const DEFAULT_TRASH_DAYS: u64 = 7;
/// Default lease of a running attempt: a runner silent this long loses its job.
pub const DEFAULT_LEASE_SECONDS: u64 = 60;
/// Default number of attempts a job gets when its runners are lost.
pub const DEFAULT_MAX_ATTEMPTS: u32 = 3;
/// Default longest time a claim request waits for a job before answering empty.
pub const DEFAULT_CLAIM_WAIT_MS: u64 = 20_000;
/// Default lifetime of a browser session.
pub const DEFAULT_SESSION_HOURS: u64 = 168;

/// `auth`: whether the content team's endpoints need a credential.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AuthMode {
    /// `required` (the default): every `/api/*` request needs one (see [`crate::access`]).
    Required,
    /// `off`: anyone who can reach the server is admin (a trusted single-user machine only).
    Off,
}

/// Every setting. Its `Debug` hides the tokens and the webhook secret, and shows URLs cut after
/// their host (a webhook URL's path may hold a secret), so settings can be logged.
#[derive(Clone, PartialEq, Eq)]
pub struct Settings {
    /// `max_document_bytes`: largest document body accepted (413 above).
    pub max_document_bytes: u64,
    /// `max_upload_bytes`: largest multipart upload body accepted (413 above).
    pub max_upload_bytes: u64,
    /// `max_concurrent_jobs`: reported by `/health`; enforced by the job queue.
    pub max_concurrent_jobs: u64,
    /// `max_queued_jobs`: jobs that may wait at once; a submit beyond gets 429 with
    /// `Retry-After`.
    pub max_queued_jobs: u64,
    /// `job_retention_days`: finished jobs this old are removed with their logs and outputs.
    pub job_retention_days: u64,
    /// `version_retention`: versions kept per document, the current one included.
    pub version_retention: u64,
    /// `trash_days`: how long a deleted document can be restored.
    pub trash_days: u64,
    /// `kv_batch_reads`: whether the store's `get-many` may be called (`off` on Spin's Redis
    /// backend, whose `get-many` traps the instance; reads are then one `get` per key).
    pub kv_batch_reads: bool,
    /// `runner_token`: the bearer token runners present; empty refuses every runner.
    pub runner_token: String,
    /// `lease_seconds`: how long a running attempt survives without a heartbeat.
    pub lease_seconds: u64,
    /// `max_attempts`: attempts per job before "runner lost" becomes final.
    pub max_attempts: u32,
    /// `claim_wait_ms`: upper bound on a claim's long poll (hosted platforms stop requests at 30 s).
    pub claim_wait_ms: u64,
    /// `allowed_hosts`: comma-separated host names this server answers for (421 for others; a
    /// leading `.` admits subdomains). Empty: any, except that loopback clients must use a
    /// loopback name (see [`crate::guard`]).
    pub allowed_hosts: Vec<String>,
    /// `auth`: `required` (default) or `off`.
    pub auth: AuthMode,
    /// `admin_token`: a bearer token with the admin role; empty: none.
    pub admin_token: String,
    /// `trusted_identity_header`: a header an identity proxy in front sets to the signed-in
    /// user's email (only safe when every request passes through that proxy).
    pub trusted_identity_header: Option<String>,
    /// `session_hours`: how long a browser session lasts.
    pub session_hours: u64,
    /// `webhook_url`: where finished jobs are POSTed (see [`crate::webhooks`]); empty: off.
    pub webhook_url: String,
    /// `webhook_secret`: the key of each delivery's HMAC-SHA256 signature.
    pub webhook_secret: String,
    /// `webhook_outbound_host`: `scheme://host[:port]`, the one destination the host lets the
    /// component call (spin.toml's `allowed_outbound_hosts`); `webhook_url` must lie on it.
    pub webhook_outbound_host: String,
    /// `resume_on_usage_limit`: a job whose CLI stops at a usage limit with a reset time waits
    /// for the reset and runs again (`on`, the default), or fails (`off`).
    pub resume_on_usage_limit: bool,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            max_document_bytes: DEFAULT_MAX_DOCUMENT_BYTES,
            max_upload_bytes: DEFAULT_MAX_UPLOAD_BYTES,
            max_concurrent_jobs: DEFAULT_MAX_CONCURRENT_JOBS,
            max_queued_jobs: DEFAULT_MAX_QUEUED_JOBS,
            job_retention_days: DEFAULT_JOB_RETENTION_DAYS,
            version_retention: DEFAULT_VERSION_RETENTION,
            trash_days: DEFAULT_TRASH_DAYS,
            kv_batch_reads: true,
            runner_token: String::new(),
            lease_seconds: DEFAULT_LEASE_SECONDS,
            max_attempts: DEFAULT_MAX_ATTEMPTS,
            claim_wait_ms: DEFAULT_CLAIM_WAIT_MS,
            allowed_hosts: Vec::new(),
            auth: AuthMode::Required,
            admin_token: String::new(),
            trusted_identity_header: None,
            session_hours: DEFAULT_SESSION_HOURS,
            webhook_url: String::new(),
            webhook_secret: String::new(),
            webhook_outbound_host: String::new(),
            resume_on_usage_limit: true,
        }
    }
}

impl Settings {
    /// Builds settings from a lookup function (the host's config store in production).
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Self {
        let d = Settings::default();
        let text = |key: &str| lookup(key).map(|v| v.trim().to_owned()).unwrap_or_default();
        let positive = |key: &str, default: u64| match lookup(key) {
            None => default,
            Some(raw) => match raw.trim().parse::<u64>() {
                Ok(v) if v > 0 => v,
                _ => {
                    eprintln!(
                        "warning: setting {key}={raw:?} is not a positive integer; using {default}"
                    );
                    default
                }
            },
        };
        let switch = |key: &str, default: bool| match lookup(key).as_deref().map(str::trim) {
            None | Some("") => default,
            Some("on" | "true") => true,
            Some("off" | "false") => false,
            Some(other) => {
                let word = if default { "on" } else { "off" };
                eprintln!("warning: setting {key}={other:?} is neither on nor off; using {word}");
                default
            }
        };
        Settings {
            max_document_bytes: positive("max_document_bytes", d.max_document_bytes),
            max_upload_bytes: positive("max_upload_bytes", d.max_upload_bytes),
            max_concurrent_jobs: positive("max_concurrent_jobs", d.max_concurrent_jobs),
            max_queued_jobs: positive("max_queued_jobs", d.max_queued_jobs),
            job_retention_days: positive("job_retention_days", d.job_retention_days).min(100 * 366),
            version_retention: positive("version_retention", d.version_retention).min(1_000),
            trash_days: positive("trash_days", d.trash_days).min(100 * 366),
            kv_batch_reads: switch("kv_batch_reads", true),
            runner_token: lookup("runner_token")
                .map(|t| t.trim().to_owned())
                .unwrap_or_default(),
            lease_seconds: positive("lease_seconds", d.lease_seconds),
            max_attempts: positive("max_attempts", d.max_attempts as u64).min(100) as u32,
            claim_wait_ms: positive("claim_wait_ms", d.claim_wait_ms).min(25_000),
            allowed_hosts: lookup("allowed_hosts")
                .map(|v| host_list(&v))
                .unwrap_or_default(),
            auth: match lookup("auth").as_deref().map(str::trim) {
                None | Some("" | "required") => AuthMode::Required,
                Some("off") => AuthMode::Off,
                Some(other) => {
                    // Failing closed: a typo must not open the server.
                    eprintln!(
                        "warning: setting auth={other:?} is neither required nor off; using required"
                    );
                    AuthMode::Required
                }
            },
            admin_token: lookup("admin_token")
                .map(|t| t.trim().to_owned())
                .unwrap_or_default(),
            trusted_identity_header: lookup("trusted_identity_header")
                .map(|h| h.trim().to_ascii_lowercase())
                .filter(|h| !h.is_empty()),
            session_hours: positive("session_hours", d.session_hours).min(24 * 366),
            webhook_url: text("webhook_url"),
            webhook_secret: text("webhook_secret"),
            webhook_outbound_host: text("webhook_outbound_host"),
            resume_on_usage_limit: switch("resume_on_usage_limit", d.resume_on_usage_limit),
        }
    }

    pub fn auth_off(&self) -> bool {
        self.auth == AuthMode::Off
    }

    pub fn session_ms(&self) -> i64 {
        (self.session_hours as i64).saturating_mul(3_600_000)
    }

    pub fn job_retention_ms(&self) -> i64 {
        (self.job_retention_days as i64).saturating_mul(86_400_000)
    }

    pub fn trash_ms(&self) -> i64 {
        (self.trash_days as i64).saturating_mul(86_400_000)
    }

    pub fn lease_ms(&self) -> i64 {
        (self.lease_seconds as i64).saturating_mul(1000)
    }

    /// The largest request body any route accepts; hosts stop reading beyond it.
    pub fn max_body_bytes(&self) -> u64 {
        self.max_document_bytes.max(self.max_upload_bytes)
    }
}

impl std::fmt::Debug for Settings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Taken apart whole, so that a new field cannot be added without deciding how it shows.
        let Settings {
            max_document_bytes,
            max_upload_bytes,
            max_concurrent_jobs,
            max_queued_jobs,
            job_retention_days,
            version_retention,
            trash_days,
            kv_batch_reads,
            runner_token,
            lease_seconds,
            max_attempts,
            claim_wait_ms,
            allowed_hosts,
            auth,
            admin_token,
            trusted_identity_header,
            session_hours,
            webhook_url,
            webhook_secret,
            webhook_outbound_host,
            resume_on_usage_limit,
        } = self;
        let secret = |value: &str| if value.is_empty() { "" } else { "<redacted>" };
        let url = protocol::outbound::redact;
        f.debug_struct("Settings")
            .field("max_document_bytes", max_document_bytes)
            .field("max_upload_bytes", max_upload_bytes)
            .field("max_concurrent_jobs", max_concurrent_jobs)
            .field("max_queued_jobs", max_queued_jobs)
            .field("job_retention_days", job_retention_days)
            .field("version_retention", version_retention)
            .field("trash_days", trash_days)
            .field("kv_batch_reads", kv_batch_reads)
            .field("runner_token", &secret(runner_token))
            .field("lease_seconds", lease_seconds)
            .field("max_attempts", max_attempts)
            .field("claim_wait_ms", claim_wait_ms)
            .field("allowed_hosts", allowed_hosts)
            .field("auth", auth)
            .field("admin_token", &secret(admin_token))
            .field("trusted_identity_header", trusted_identity_header)
            .field("session_hours", session_hours)
            .field("webhook_url", &url(webhook_url))
            .field("webhook_secret", &secret(webhook_secret))
            .field("webhook_outbound_host", &url(webhook_outbound_host))
            .field("resume_on_usage_limit", resume_on_usage_limit)
            .finish()
    }
}

/// `a.example, .team.example:443` → `["a.example", ".team.example"]`: names compared as
/// [`crate::http::host_name`] reads them from a request.
fn host_list(raw: &str) -> Vec<String> {
    raw.split(',')
        .map(str::trim)
        .filter(|h| !h.is_empty())
        .map(|h| match h.strip_prefix('.') {
            Some(domain) => format!(".{}", crate::http::host_name(domain)),
            None => crate::http::host_name(h),
        })
        .collect()
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

    #[test]
    fn switches_read_on_and_off_and_keep_their_default_otherwise() {
        let s = Settings::from_lookup(|k| match k {
            "kv_batch_reads" => Some(" off ".into()),
            "resume_on_usage_limit" => Some("maybe".into()),
            _ => None,
        });
        assert!(!s.kv_batch_reads);
        assert!(s.resume_on_usage_limit);
        let s = Settings::from_lookup(|k| (k == "resume_on_usage_limit").then(|| "off".into()));
        assert!(!s.resume_on_usage_limit && s.kv_batch_reads);
    }

    #[test]
    fn debug_output_redacts_the_secrets() {
        let s = Settings {
            runner_token: "rt-4f1c9a".into(),
            admin_token: "at-77e0b2".into(),
            webhook_secret: "whsec-93d1".into(),
            webhook_url: "https://hooks.example.com/services/T0/B0/xoxo-path-secret".into(),
            webhook_outbound_host: "https://hooks.example.com".into(),
            ..Settings::default()
        };
        let shown = format!("{s:?} {s:#?}");
        for secret in ["rt-4f1c9a", "at-77e0b2", "whsec-93d1", "xoxo-path-secret"] {
            assert!(!shown.contains(secret), "{secret} shown in {shown}");
        }
        // What is not secret stays readable, and an unset secret says so.
        assert!(shown.contains("max_document_bytes: 1048576"), "{shown}");
        assert!(
            shown.contains("webhook_url: \"https://hooks.example.com/…\""),
            "{shown}"
        );
        assert!(shown.contains("webhook_secret: \"<redacted>\""), "{shown}");
        let unset = format!("{:?}", Settings::default());
        assert!(unset.contains("admin_token: \"\""), "{unset}");
    }

    #[test]
    fn allowed_hosts_are_names_without_ports() {
        let s = Settings::from_lookup(|k| {
            (k == "allowed_hosts").then(|| " CWM.example.com:443, .team.example ,, [::1]".into())
        });
        assert_eq!(
            s.allowed_hosts,
            ["cwm.example.com", ".team.example", "[::1]"]
        );
    }
}
