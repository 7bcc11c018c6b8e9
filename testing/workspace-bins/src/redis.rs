//! A real `redis-server` (Debian's) for the tests that need one: started on a free port,
//! without persistence, killed when dropped.
//!
//! Without `redis-server` on `PATH` those tests fail when `CWM_REDIS_REQUIRED` is set (as CI
//! sets it) and otherwise say that they did not run.

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub struct RedisServer {
    child: Child,
    pub url: String,
}

impl RedisServer {
    /// `None` (after saying so) when no `redis-server` is installed and none is required.
    pub fn start() -> Option<RedisServer> {
        let installed = Command::new("redis-server")
            .arg("--version")
            .stdout(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        if !installed {
            assert!(
                std::env::var_os("CWM_REDIS_REQUIRED").is_none(),
                "redis-server is not installed (apt-get install redis-server)"
            );
            eprintln!("redis-server is not installed: this test did not run");
            return None;
        }
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let child = Command::new("redis-server")
            .args(["--bind", "127.0.0.1", "--port", &port.to_string()])
            .args(["--save", "", "--appendonly", "no"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn redis-server");
        let server = RedisServer {
            child,
            url: format!("redis://127.0.0.1:{port}"),
        };
        let deadline = Instant::now() + Duration::from_secs(20);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                Instant::now() < deadline,
                "redis-server did not start on port {port}"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        Some(server)
    }
}

impl RedisServer {
    /// Writes a Spin runtime-config file naming this server as the `default` store into `dir`
    /// and returns its path.
    pub fn runtime_config(&self, dir: &std::path::Path) -> std::path::PathBuf {
        let path = dir.join("runtime-config.toml");
        let text = format!(
            "[key_value_store.default]\ntype = \"redis\"\nurl = \"{}\"\n",
            self.url
        );
        std::fs::write(&path, text).expect("write the runtime config");
        path
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
