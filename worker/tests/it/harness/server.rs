//! The API under test: either `runner serve` on its own data dir (the real `.wasm`, SQLite, a
//! process that can be killed), or the same request handler natively over a memory store
//! ([`native_api`]), which starts at once. Scenarios about the worker use the native one; those
//! about surviving the API's crash, and one end-to-end job, use the process.

use native_api::NativeApi;

use super::*;

/// A running API.
pub struct Server {
    addr: SocketAddr,
    kind: Kind,
}

enum Kind {
    /// `runner serve`: the real API component on its own SQLite data dir.
    Process {
        child: Child,
        data_dir: PathBuf,
        settings: Vec<(String, String)>,
        /// Kept so the pipe stays drained.
        _stderr: Arc<Mutex<String>>,
    },
    /// The native API; it stops when dropped.
    Native { _api: NativeApi },
}

impl Server {
    /// Starts `runner serve` on a free port with the runner token set and `settings` as
    /// `SPIN_VARIABLE_*` (e.g. `("LEASE_SECONDS", "3")`).
    pub fn start(data_dir: &Path, settings: &[(&str, &str)]) -> Server {
        Self::start_with_env(data_dir, spin_variables(settings))
    }

    /// [`Server::start`] with the store named by the runtime-config file `config` (Redis, for
    /// several servers sharing one state).
    pub fn start_shared(data_dir: &Path, config: &Path, settings: &[(&str, &str)]) -> Server {
        let mut env = spin_variables(settings);
        env.push((
            "CWM_RUNTIME_CONFIG_FILE".into(),
            config.display().to_string(),
        ));
        Self::start_with_env(data_dir, env)
    }

    fn start_with_env(data_dir: &Path, settings: Vec<(String, String)>) -> Server {
        let (child, addr, stderr) = spawn_server("127.0.0.1:0", data_dir, &settings);
        Server {
            addr,
            kind: Kind::Process {
                child,
                data_dir: data_dir.to_path_buf(),
                settings,
                _stderr: stderr,
            },
        }
    }

    /// Starts the native API with the same tokens and `settings` named as for [`Server::start`].
    pub fn native(settings: &[(&str, &str)]) -> Server {
        let lookup = |key: &str| {
            match key {
                "runner_token" => Some(TOKEN),
                "admin_token" => Some(ADMIN_TOKEN),
                _ => settings
                    .iter()
                    .find(|(k, _)| k.eq_ignore_ascii_case(key))
                    .map(|(_, v)| *v),
            }
            .map(str::to_owned)
        };
        let api = NativeApi::start(api_component::settings::Settings::from_lookup(lookup));
        Server {
            addr: api.addr(),
            kind: Kind::Native { _api: api },
        }
    }

    /// `http://ADDR` + `path`.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// The API base for workers.
    pub fn api(&self) -> worker::Url {
        worker::Url::parse(&self.url("/")).unwrap()
    }

    /// SIGKILL: the API disappears mid-request, as in a crash.
    pub fn kill(&mut self) {
        match &mut self.kind {
            Kind::Process { child, .. } => {
                let _ = child.kill();
                let _ = child.wait();
            }
            Kind::Native { .. } => panic!("only a `runner serve` process can be killed"),
        }
    }

    /// Starts the server again on the same address and data dir.
    pub fn restart(&mut self) {
        let listen = self.addr.to_string();
        let Kind::Process {
            child,
            data_dir,
            settings,
            _stderr,
        } = &mut self.kind
        else {
            panic!("only a `runner serve` process can be restarted");
        };
        let (new_child, addr, stderr) = spawn_server(&listen, data_dir, settings);
        assert_eq!(addr, self.addr);
        (*child, *_stderr) = (new_child, stderr);
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Kind::Process { child, .. } = &mut self.kind {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

fn spin_variables(settings: &[(&str, &str)]) -> Vec<(String, String)> {
    settings
        .iter()
        .map(|(k, v)| (format!("SPIN_VARIABLE_{k}"), v.to_string()))
        .collect()
}

fn spawn_server(
    listen: &str,
    data_dir: &Path,
    env: &[(String, String)],
) -> (Child, SocketAddr, Arc<Mutex<String>>) {
    let cache = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("worker-it-cache");
    let mut cmd = Command::new(&bins().runner);
    cmd.args(["serve", "--listen", listen, "--data-dir"])
        .arg(data_dir)
        .arg("--cache-dir")
        .arg(&cache);
    if let Some(wasm) = std::env::var_os("CWM_TEST_COMPONENT") {
        cmd.arg("--component").arg(wasm);
    }
    let mut child = cmd
        .current_dir(data_dir)
        .env("SPIN_VARIABLE_RUNNER_TOKEN", TOKEN)
        .env("SPIN_VARIABLE_ADMIN_TOKEN", ADMIN_TOKEN)
        .envs(env.iter().map(|(k, v)| (k, v)))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn runner serve");
    let stderr = collect(child.stderr.take().unwrap());
    let (tx, rx) = std::sync::mpsc::channel();
    let stdout = child.stdout.take().unwrap();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if let Some(addr) = line.strip_prefix("listening on http://") {
                let _ = tx.send(addr.parse::<SocketAddr>().expect("address"));
            }
        }
    });
    match rx.recv_timeout(STARTUP_TIMEOUT) {
        Ok(addr) => (child, addr, stderr),
        Err(_) => {
            let _ = child.kill();
            panic!(
                "runner serve did not start; stderr:\n{}",
                stderr.lock().unwrap()
            );
        }
    }
}
