//! Secrets planted where a confined job must not reach, and the check that none leaked.

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};

/// A random-looking string no file or log would hold by chance.
fn secret(label: &str) -> String {
    let mut hasher = RandomState::new().build_hasher();
    hasher.write_u32(std::process::id());
    format!("cwm-{label}-secret-{:016x}", hasher.finish())
}

/// The secrets a job must never get at, by name.
pub struct Secrets(Vec<(&'static str, String)>);

impl Secrets {
    pub fn new() -> Secrets {
        Secrets(vec![
            ("the file outside the workspace", secret("file")),
            ("the login's .credentials.json", secret("login")),
            ("CWM_TEST_SECRET of the runner", secret("cwm-env")),
            ("AWS_SECRET_ACCESS_KEY of the runner", secret("aws-env")),
            ("the runner token", secret("token")),
        ])
    }

    pub fn get(&self, name: &str) -> &str {
        self.0
            .iter()
            .find(|(n, _)| n.starts_with(name))
            .map(|(_, s)| s.as_str())
            .unwrap_or_else(|| panic!("no secret {name}"))
    }

    /// Panics naming the first secret found in `text` (`what` says where it was).
    pub fn assert_absent(&self, what: &str, text: &str) {
        for (name, value) in &self.0 {
            assert!(
                !text.contains(value.as_str()),
                "{name} leaked into {what}:\n{text}"
            );
        }
    }
}
