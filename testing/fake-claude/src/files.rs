//! The fake's Write tool: who may write where, what gets written, and doing it.

use std::path::{Component, Path, PathBuf};

use crate::checks::bypass;
use crate::cli::Options;

/// Why a write was refused: the fields of the `system/permission_denied` line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Denial {
    /// `decision_reason_type`: `workingDir` (outside the cwd and `--add-dir` dirs), `mode`
    /// (`dontAsk`), or absent (nothing allows it, e.g. mode `default` inside the cwd).
    pub reason_type: Option<&'static str>,
    /// `decision_reason`, present with `workingDir`.
    pub reason: Option<&'static str>,
    /// `message`, also the text of the failed `tool_result`.
    pub message: String,
}

/// The CLI's text for a refusal in `dontAsk` mode.
pub const DONT_ASK_MESSAGE: &str = "Permission to use Write has been denied because Claude Code is running in don't ask mode. IMPORTANT: You *may* attempt to accomplish this action using other tools that might naturally be used to accomplish this goal, e.g. using head instead of cat. But you *should not* attempt to work around this denial in malicious ways, e.g. do not use your ability to run tests to execute non-test actions. You should only try to work around this restriction in reasonable ways that do not attempt to bypass the intent behind this denial. If you believe this capability is essential to complete the user's request, STOP and explain to the user what you were trying to do and why you need this permission. Let the user decide how to proceed.";

/// The refusal text outside `dontAsk`.
pub fn denial_message(abs_path: &str) -> String {
    format!("Claude requested permissions to write to {abs_path}, but you haven't granted it yet.")
}

/// Whether the Write tool may write `relative` (relative to the cwd; may be absolute or
/// climb out with `..`) under these options, as the real CLI 2.1.332 decides:
///
/// 1. A `Write` entry in `--disallowedTools` refuses.
/// 2. Bypass, or a bare `Write` in `--allowedTools`, allows **every path**.
/// 3. An `Edit(<path>)` rule allows what its path matches: the CLI matches Write against Edit
///    rules only, and ignores `Write(<path>)` (it says so in its debug log alone). Paths:
///    `./x` or `x` relative to the cwd, `//x` absolute, `~/x` under `home`, `/x` relative to the
///    cwd too (the project root, not the filesystem root); a trailing `/**` takes everything
///    below, `/*` one level, anything else must match exactly.
/// 4. Mode `acceptEdits`/`auto` allows inside the cwd and `--add-dir` directories.
/// 5. Anything else is refused: with reason `mode` in `dontAsk`, `workingDir` outside the
///    working directories, no reason otherwise.
pub fn write_permission(
    o: &Options,
    cwd: &Path,
    home: Option<&Path>,
    relative: &str,
) -> Result<(), Denial> {
    let is_write = |rule: &String| rule == "Write" || rule.starts_with("Write(");
    let target = normalize(&cwd.join(relative));
    let denied = |reason_type, reason| Denial {
        reason_type,
        reason,
        message: denial_message(&target.to_string_lossy()),
    };
    if o.disallowed_tools.iter().any(is_write) {
        return Err(denied(None, None));
    }
    if bypass(o) || o.allowed_tools.iter().any(|r| r == "Write") {
        return Ok(());
    }
    let mut edit_rules = o.allowed_tools.iter().filter_map(|r| {
        r.strip_prefix("Edit(")
            .and_then(|rest| rest.strip_suffix(')'))
    });
    if edit_rules.any(|rule| rule_matches(rule, &target, cwd, home)) {
        return Ok(());
    }
    let inside = inside_allowed_dirs(o, cwd, &target);
    let mode = o.permission_mode.as_deref();
    if matches!(mode, Some("acceptEdits" | "auto")) && inside {
        return Ok(());
    }
    if mode == Some("dontAsk") {
        return Err(Denial {
            reason_type: Some("mode"),
            reason: None,
            message: DONT_ASK_MESSAGE.to_owned(),
        });
    }
    if !inside {
        return Err(denied(
            Some("workingDir"),
            Some("Path is outside allowed working directories"),
        ));
    }
    Err(denied(None, None))
}

/// Whether the path of an `Edit(<rule>)` allow rule covers `target` (see [`write_permission`]).
fn rule_matches(rule: &str, target: &Path, cwd: &Path, home: Option<&Path>) -> bool {
    let base = if let Some(abs) = rule.strip_prefix("//") {
        PathBuf::from("/").join(abs)
    } else if let Some(under_home) = rule.strip_prefix("~/") {
        match home {
            Some(home) => home.join(under_home),
            None => return false,
        }
    } else {
        cwd.join(rule.trim_start_matches('/'))
    };
    let text = base.to_string_lossy();
    if let Some(dir) = text.strip_suffix("/**") {
        target.starts_with(normalize(Path::new(dir)))
    } else if let Some(dir) = text.strip_suffix("/*") {
        target.parent() == Some(normalize(Path::new(dir)).as_path())
    } else {
        target == normalize(&base)
    }
}

fn inside_allowed_dirs(o: &Options, cwd: &Path, target: &Path) -> bool {
    std::iter::once(normalize(cwd))
        .chain(o.add_dirs.iter().map(|d| normalize(&cwd.join(d))))
        .any(|dir| target.starts_with(dir))
}

/// Lexical normalization (`a/../b` → `b`) without touching the filesystem.
fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            Component::ParentDir => {
                out.pop();
            }
            Component::CurDir => {}
            other => out.push(other),
        }
    }
    out
}

/// The absolute path the tool reports for `relative`.
pub fn absolute(cwd: &Path, relative: &str) -> String {
    normalize(&cwd.join(relative))
        .to_string_lossy()
        .into_owned()
}

/// Default content: a small JSON object for `.json` files, Markdown otherwise.
pub fn default_content(relative: &str) -> String {
    if relative.ends_with(".json") {
        format!(
            "{{\"generated_by\":\"fake-claude\",\"file\":\"{}\"}}\n",
            relative.replace('"', "")
        )
    } else {
        format!("# {relative}\n\nGenerated by fake-claude.\n")
    }
}

/// `bytes` bytes of printable text in 64-byte lines, for the huge-line scenario.
pub fn huge_content(bytes: usize) -> String {
    const ROW: &str = "The quick brown fox jumps over the lazy dog; 0123456789 abcdefg\n";
    ROW.repeat(bytes / ROW.len() + 1)[..bytes].to_string()
}

/// Writes the file (creating parent directories). Returns the previous content, if any.
pub fn write(abs: &str, content: &str) -> std::io::Result<Option<String>> {
    let path = Path::new(abs);
    let original = std::fs::read_to_string(path).ok();
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)?;
    }
    std::fs::write(path, content)?;
    Ok(original)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::parse;

    fn opts(args: &[&str]) -> Options {
        parse(&args.iter().map(|s| s.to_string()).collect::<Vec<_>>()).unwrap()
    }

    fn allowed(args: &[&str], relative: &str) -> bool {
        let home = Path::new("/home/u");
        write_permission(&opts(args), Path::new("/srv/job"), Some(home), relative).is_ok()
    }

    #[test]
    fn permission_rules() {
        assert!(!allowed(&["-p"], "out.md"));
        assert!(!allowed(&["-p", "--permission-mode", "default"], "out.md"));
        assert!(allowed(
            &["-p", "--permission-mode", "acceptEdits"],
            "sub/out.md"
        ));
        assert!(!allowed(
            &["-p", "--permission-mode", "acceptEdits"],
            "../x.md"
        ));
        assert!(!allowed(
            &["-p", "--permission-mode", "acceptEdits"],
            "/etc/x"
        ));
        assert!(allowed(
            &["-p", "--permission-mode", "acceptEdits", "--add-dir=.."],
            "../x.md"
        ));
        assert!(allowed(&["-p", "--allowedTools=Read,Write"], "../x.md"));
        assert!(allowed(&["-p", "--dangerously-skip-permissions"], "out.md"));
        assert!(!allowed(
            &["-p", "--permission-mode", "auto", "--disallowedTools=Write"],
            "out.md"
        ));
    }

    #[test]
    fn path_scoped_rules_are_edit_rules() {
        let scoped = "--allowedTools=WebSearch,Read(./**),Write(./**),Edit(./**),Glob(./**)";
        let accept = ["-p", "--permission-mode", "acceptEdits", scoped];
        assert!(allowed(&accept, "output/x.md"));
        assert!(!allowed(&accept, "../x.md"));
        assert!(!allowed(&accept, "/etc/passwd"));
        // Write(path) grants nothing; Edit(path) grants Write inside its path.
        fn dont_ask(rule: &str) -> [&str; 4] {
            ["-p", "--permission-mode", "dontAsk", rule]
        }
        assert!(!allowed(&dont_ask("--allowedTools=Write(./**)"), "x.md"));
        assert!(!allowed(
            &dont_ask("--allowedTools=Write(//srv/**)"),
            "x.md"
        ));
        assert!(allowed(&dont_ask("--allowedTools=Edit(./**)"), "a/x.md"));
        assert!(!allowed(&dont_ask("--allowedTools=Edit(./**)"), "../x.md"));
        assert!(allowed(
            &dont_ask("--allowedTools=Edit(out/**)"),
            "out/a/x.md"
        ));
        assert!(!allowed(
            &dont_ask("--allowedTools=Edit(out/**)"),
            "other/x.md"
        ));
        assert!(allowed(&dont_ask("--allowedTools=Edit(out/*)"), "out/x.md"));
        assert!(!allowed(
            &dont_ask("--allowedTools=Edit(out/*)"),
            "out/a/x.md"
        ));
        assert!(allowed(
            &dont_ask("--allowedTools=Edit(//tmp/**)"),
            "/tmp/x.md"
        ));
        assert!(!allowed(
            &dont_ask("--allowedTools=Edit(/tmp/**)"),
            "/tmp/x.md"
        ));
        assert!(allowed(
            &dont_ask("--allowedTools=Edit(~/**)"),
            "/home/u/x.md"
        ));
        assert!(allowed(&dont_ask("--allowedTools=Edit(./x.md)"), "x.md"));
        // A bare Edit is the Edit tool only.
        assert!(!allowed(&dont_ask("--allowedTools=Edit"), "x.md"));
    }

    #[test]
    fn denials_carry_the_reason() {
        let cwd = Path::new("/srv/job");
        let deny = |args: &[&str], relative| {
            write_permission(&opts(args), cwd, None, relative).unwrap_err()
        };
        let outside = deny(&["-p", "--permission-mode", "acceptEdits"], "../x.md");
        assert_eq!(outside.reason_type, Some("workingDir"));
        assert_eq!(
            outside.reason,
            Some("Path is outside allowed working directories")
        );
        assert_eq!(
            outside.message,
            "Claude requested permissions to write to /srv/x.md, but you haven't granted it yet."
        );
        let inside = deny(&["-p", "--permission-mode", "default"], "x.md");
        assert_eq!((inside.reason_type, inside.reason), (None, None));
        let mode = deny(&["-p", "--permission-mode", "dontAsk"], "../x.md");
        assert_eq!(mode.reason_type, Some("mode"));
        assert!(
            mode.message
                .starts_with("Permission to use Write has been denied because")
        );
    }

    #[test]
    fn contents() {
        assert_eq!(huge_content(1000).len(), 1000);
        assert!(
            serde_json::from_str::<serde_json::Value>(&default_content("brand.json"))
                .unwrap()
                .is_object()
        );
        assert_eq!(
            absolute(Path::new("/srv/job"), "a/../b.md"),
            "/srv/job/b.md"
        );
    }
}
