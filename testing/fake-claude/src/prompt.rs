//! Where the prompt comes from: positional arguments and/or stdin, as in the real CLI.
//!
//! If stdin is not a terminal the CLI waits up to 3 s for data. Data (or EOF) within that time
//! means "read stdin to the end". No data and a positional prompt means "warn and go on without
//! stdin". The full prompt is `arg + "\n" + stdin` when both are present.

use std::io::Read;
use std::time::Duration;

pub const NO_STDIN_WARNING: &str = "Warning: no stdin data received in 3s, proceeding without it. If piping from a slow command, redirect stdin explicitly: < /dev/null to skip, or wait longer.";
pub const NO_INPUT_ERROR: &str =
    "Error: Input must be provided either through stdin or as a prompt argument when using --print";

/// Reads the prompt. `Err` carries the stderr line of the "no input" usage error.
pub fn read(operands: &[String], wait: Duration) -> Result<String, &'static str> {
    let arg = operands.join(" ");
    let stdin = read_stdin(!arg.is_empty(), wait);
    let prompt = match (arg.is_empty(), stdin.is_empty()) {
        (false, false) => format!("{arg}\n{stdin}"),
        (false, true) => arg,
        (true, _) => stdin,
    };
    if prompt.trim().is_empty() {
        Err(NO_INPUT_ERROR)
    } else {
        Ok(prompt)
    }
}

fn read_stdin(have_arg: bool, wait: Duration) -> String {
    // SAFETY: isatty only inspects the descriptor.
    if unsafe { libc::isatty(0) } == 1 {
        return String::new();
    }
    if !wait_readable(wait) && have_arg {
        eprintln!("{NO_STDIN_WARNING}");
        return String::new();
    }
    let mut bytes = Vec::new();
    let _ = std::io::stdin().lock().read_to_end(&mut bytes);
    String::from_utf8_lossy(&bytes).into_owned()
}

/// True if fd 0 has data or reached EOF (or is unusable) within `wait`.
fn wait_readable(wait: Duration) -> bool {
    let mut fds = libc::pollfd {
        fd: 0,
        events: libc::POLLIN,
        revents: 0,
    };
    let timeout = i32::try_from(wait.as_millis()).unwrap_or(i32::MAX);
    loop {
        // SAFETY: one valid pollfd, count 1.
        let n = unsafe { libc::poll(&mut fds, 1, timeout) };
        if n >= 0 {
            return n > 0;
        }
        if std::io::Error::last_os_error().kind() != std::io::ErrorKind::Interrupted {
            return true;
        }
    }
}
