//! A `runner serve` for the benchmark: free port, fresh data dir, shared compiled-code cache.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

pub const TOKEN: &str = "bench-token";
/// The server's `admin_token`, which the benchmark's own API calls send.
pub const ADMIN_TOKEN: &str = "bench-admin-token";

pub struct Server {
    child: Child,
    addr: String,
    log: PathBuf,
}

impl Server {
    /// Starts `$RUNNER serve`; with `debug_log` every request is logged (for counting).
    pub fn start(dir: &Path, debug_log: bool) -> Server {
        let runner = workspace_bins::bin("runner");
        let log = dir.join("server.log");
        let cache = std::env::temp_dir().join("cwm-worker-bench-cache");
        let mut child = Command::new(&runner)
            .args(["serve", "--listen", "127.0.0.1:0", "--data-dir"])
            .arg(dir)
            .arg("--cache-dir")
            .arg(cache)
            .current_dir(dir)
            .env("SPIN_VARIABLE_RUNNER_TOKEN", TOKEN)
            .env("SPIN_VARIABLE_ADMIN_TOKEN", ADMIN_TOKEN)
            .env(
                "RUST_LOG",
                if debug_log {
                    "info,runner=debug"
                } else {
                    "warn"
                },
            )
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(&log).unwrap())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", runner.display()));
        let stdout = BufReader::new(child.stdout.take().unwrap());
        let addr = stdout
            .lines()
            .map_while(Result::ok)
            .find_map(|l| l.strip_prefix("listening on http://").map(str::to_owned))
            .expect("runner serve prints its address");
        Server { child, addr, log }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    pub fn api(&self) -> worker::Url {
        worker::Url::parse(&self.url("/")).unwrap()
    }

    /// Requests to `/api/runner/*` in the request log so far.
    pub fn runner_requests(&self) -> usize {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        text.lines().filter(|l| l.contains("/api/runner/")).count()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
