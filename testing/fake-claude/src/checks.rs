//! The usage checks the real CLI makes after parsing, in its order, with its exact messages.

use crate::cli::{Options, OutputFormat, is_uuid};

/// A usage error: what goes to stderr and the exit code.
#[derive(Debug, PartialEq, Eq)]
pub struct UsageError {
    pub message: String,
    pub code: i32,
}

fn fail(message: &str) -> Result<(), UsageError> {
    Err(UsageError {
        message: message.to_string(),
        code: 1,
    })
}

/// Checks 2–5 of the spec plus the partial-message and input-format checks; check 1 (format
/// choice) happens while parsing, check 6 (prompt) when the prompt is read.
pub fn validate(o: &Options, euid: u32, sandbox: bool) -> Result<(), UsageError> {
    if !o.print {
        return Err(UsageError {
            message: "fake-claude: interactive mode is not supported".into(),
            code: 64,
        });
    }
    let stream = o.output_format == OutputFormat::StreamJson;
    if stream && !o.verbose {
        return fail("Error: When using --print, --output-format=stream-json requires --verbose");
    }
    if bypass(o) && euid == 0 && !sandbox {
        return fail(
            "--dangerously-skip-permissions cannot be used with root/sudo privileges for security reasons",
        );
    }
    if o.session_id.as_deref().is_some_and(|id| !is_uuid(id)) {
        return fail("Error: Invalid session ID. Must be a valid UUID.");
    }
    if o.include_partial_messages && !stream {
        return fail(
            "Error: --include-partial-messages requires --print and --output-format=stream-json.",
        );
    }
    if o.input_format.as_deref() == Some("stream-json") {
        if !stream {
            return fail("Error: --input-format=stream-json requires output-format=stream-json.");
        }
        return Err(UsageError {
            message: "fake-claude: --input-format stream-json is not supported".into(),
            code: 64,
        });
    }
    Ok(())
}

/// True if permissions are bypassed (flag or mode).
pub fn bypass(o: &Options) -> bool {
    o.dangerously_skip_permissions || o.permission_mode.as_deref() == Some("bypassPermissions")
}

/// `IS_SANDBOX=1` or `CLAUDE_CODE_BUBBLEWRAP` lift the root guard.
pub fn sandbox_from_env() -> bool {
    std::env::var("IS_SANDBOX").is_ok_and(|v| v == "1")
        || std::env::var_os("CLAUDE_CODE_BUBBLEWRAP").is_some()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::parse;

    fn check(args: &[&str], euid: u32) -> Result<(), UsageError> {
        let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
        validate(&parse(&args).unwrap(), euid, false)
    }

    #[test]
    fn checks_run_in_order() {
        assert_eq!(
            check(&["--output-format=stream-json"], 0).unwrap_err().code,
            64
        );
        let e = check(
            &[
                "-p",
                "--output-format=stream-json",
                "--dangerously-skip-permissions",
            ],
            0,
        )
        .unwrap_err();
        assert!(e.message.contains("requires --verbose"));
        let e = check(
            &[
                "-p",
                "--permission-mode",
                "bypassPermissions",
                "--session-id",
                "x",
            ],
            0,
        )
        .unwrap_err();
        assert!(e.message.contains("root/sudo"));
        assert!(check(&["-p", "--permission-mode", "bypassPermissions"], 1000).is_ok());
        let e = check(&["-p", "--session-id", "x"], 0).unwrap_err();
        assert_eq!(
            e.message,
            "Error: Invalid session ID. Must be a valid UUID."
        );
        let e = check(&["-p", "--include-partial-messages"], 0).unwrap_err();
        assert!(
            e.message
                .starts_with("Error: --include-partial-messages requires")
        );
    }
}
