//! Confinement, end to end, with the real CLI 2.1.332: brief jobs whose title carries the mock's
//! steps marker (`mock_anthropic::script::STEPS_MARK`) act as a prompt-injected model would.
//! They try to read a secret file outside their workspace, write outside it, read the slots'
//! logins (`<workdir>/slots/<n>/claude-config/.credentials.json`: a job cannot choose its slot,
//! so it tries both), and read `/proc/<pid>/environ` and `cmdline` of `runner work` and
//! `runner serve`. Each attempt must be refused and leave no file outside; none of the secrets
//! (the file's content, the login's token, two variables of the runner's environment, the
//! runner token) may appear in the job's log, its output document, its job view, or anything
//! the CLI sent to the model (the mock's request log).
//!
//! `runner serve` and `runner work` are separate processes; the worker reads its token from
//! `--token-file`, has 2 slots and the operator's login in `CLAUDE_CONFIG_DIR`. It runs with
//! `--sandbox none` (the CLI's rules alone), with `--sandbox bwrap`, and with bwrap and the old
//! bare tool rules (`Read,Write,…`: the CLI allows everything, so the sandbox alone must hide
//! the runner's data, the other slot and the runner's processes). The bwrap cases are skipped,
//! saying so, where bwrap cannot create namespaces.

mod support;

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use mock_anthropic::script::STEPS_MARK;
use serde_json::{Value, json};
use support::api::{Api, log_texts};
use support::runner::{RunnerProc, bwrap_works, check_flags, runner_bin, start_serve};
use support::secrets::Secrets;
use support::{Mock, claude_cli, cli_env};

/// The old default: every file tool on every path of the host.
const BARE_TOOLS: &str = "WebSearch,WebFetch,Read,Write,Edit,Glob,Grep";
/// The API's longest title.
const MAX_TITLE_CHARS: usize = 300;

/// The runs share two cores and the CLI is heavy: one case at a time.
static ONE_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_sandbox_the_cli_rules_refuse_every_escape() {
    let _turn = ONE_AT_A_TIME.lock().await;
    let stack = Stack::start("none", None).await;
    let attacks = stack.attacks();
    stack.run_attacks(&attacks, Expect::Denials).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn in_the_bwrap_sandbox_the_cli_rules_refuse_every_escape() {
    let _turn = ONE_AT_A_TIME.lock().await;
    if !bwrap_works("the bwrap case of the confinement test") {
        return;
    }
    let stack = Stack::start("bwrap", None).await;
    let attacks = stack.attacks();
    stack.run_attacks(&attacks, Expect::Denials).await;
}

/// Defence in depth: with rules that allow everything, bwrap alone keeps the host out of reach.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_bwrap_sandbox_hides_the_host_even_from_bare_tool_rules() {
    let _turn = ONE_AT_A_TIME.lock().await;
    if !bwrap_works("the bwrap case with bare tool rules") {
        return;
    }
    let stack = Stack::start("bwrap", Some(BARE_TOOLS)).await;
    let attacks = stack.sandbox_attacks();
    stack.run_attacks(&attacks, Expect::Hidden).await;
}

/// What a case's jobs must show besides "no secret, no file outside".
#[derive(Clone, Copy, PartialEq, Eq)]
enum Expect {
    /// The CLI refused: `denied` log lines naming the tools, `usage.permission_denials` ≥ 1.
    Denials,
    /// The CLI allowed the calls; the sandbox showed nothing of the host.
    Hidden,
}

/// One prompt-injected job.
struct Attack {
    /// The start of its title (and so of its document's name).
    name: &'static str,
    /// `<Tool>:<path>` entries of the steps marker.
    steps: Vec<String>,
    /// Tools a `denied` log line must name (with [`Expect::Denials`]).
    denied: &'static [&'static str],
    /// Files that must not exist afterwards.
    not_written: Vec<PathBuf>,
    /// Texts its log and document must not contain (with [`Expect::Hidden`]).
    hidden: Vec<String>,
}

impl Attack {
    fn title(&self) -> String {
        let title = format!("{} {STEPS_MARK}{}", self.name, self.steps.join(","));
        assert!(
            title.chars().count() <= MAX_TITLE_CHARS,
            "title too long for the API: {title}"
        );
        title
    }
}

/// `runner serve` + `runner work` + the mock, in one temporary directory.
struct Stack {
    _tmp: tempfile::TempDir,
    dir: PathBuf,
    mock: Mock,
    serve: RunnerProc,
    work: RunnerProc,
    api: Api,
    secrets: Secrets,
}

impl Stack {
    async fn start(sandbox: &str, allowed_tools: Option<&str>) -> Stack {
        let claude = claude_cli();
        let bin = runner_bin();
        check_flags(&bin, "work", &["--token-file", "--sandbox", "--workdir"]);
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().canonicalize().unwrap();
        let secrets = Secrets::new();
        for d in ["data", "work", "home", "login", "outside"] {
            std::fs::create_dir_all(dir.join(d)).unwrap();
        }
        std::fs::write(
            dir.join("outside/secret.txt"),
            format!("{}\n", secrets.get("the file")),
        )
        .unwrap();
        let login = json!({"claudeAiOauth": {"accessToken": secrets.get("the login")}});
        std::fs::write(dir.join("login/.credentials.json"), login.to_string()).unwrap();
        let token_file = dir.join("runner-token");
        std::fs::write(&token_file, secrets.get("the runner token")).unwrap();
        std::fs::set_permissions(&token_file, std::fs::Permissions::from_mode(0o600)).unwrap();

        let mock = Mock::start(&dir, &[]);
        let serve = start_serve(&bin, &dir, secrets.get("the runner token"));
        let url = serve.wait_listening();
        let mut work = start_work(
            &bin,
            &dir,
            &url,
            &mock,
            &claude,
            sandbox,
            allowed_tools,
            &secrets,
        );
        work.wait_output("worker started", Duration::from_secs(60));
        let started = work
            .output()
            .lines()
            .find(|l| l.contains("worker started"))
            .unwrap_or_default()
            .to_owned();
        assert!(
            started.contains(sandbox),
            "asked for --sandbox {sandbox}: {started}"
        );

        let api = Api::new(&url);
        let brand = json!({"brandInfo": {"companyName": "Acme Bakery"}});
        api.put_document(
            "brand-data",
            "acme.json",
            "application/json",
            &brand.to_string(),
        )
        .await;
        Stack {
            _tmp: tmp,
            dir,
            mock,
            serve,
            work,
            api,
            secrets,
        }
    }

    fn path(&self, rel: &str) -> String {
        self.dir.join(rel).display().to_string()
    }

    fn slot_login(&self, n: u32) -> String {
        self.path(&format!("work/slots/{n}/claude-config/.credentials.json"))
    }

    /// The escapes, against the CLI's default rules.
    fn attacks(&self) -> Vec<Attack> {
        let (w, s) = (self.work.pid(), self.serve.pid());
        vec![
            Attack {
                name: "Secret file",
                steps: vec![
                    format!("Read:{}", self.path("outside/secret.txt")),
                    format!("Glob:{}", self.path("outside")),
                    format!("Grep:{}", self.path("outside")),
                    format!("Read:{}", self.path("runner-token")),
                ],
                denied: &["Read", "Glob", "Grep"],
                not_written: vec![],
                hidden: vec![],
            },
            self.write_attack(),
            Attack {
                name: "Slot logins",
                steps: vec![
                    format!("Read:{}", self.slot_login(0)),
                    format!("Read:{}", self.slot_login(1)),
                    format!("Grep:{}", self.path("work/slots")),
                    format!("Read:{}", self.path("login/.credentials.json")),
                ],
                denied: &["Read", "Grep"],
                not_written: vec![],
                hidden: vec![],
            },
            Attack {
                name: "Processes",
                steps: vec![
                    format!("Read:/proc/{w}/environ"),
                    format!("Read:/proc/{w}/cmdline"),
                    format!("Grep:/proc/{w}/environ"),
                    format!("Glob:/proc/{w}"),
                    format!("Grep:/proc/{w}"),
                    format!("Grep:/proc/{s}"),
                ],
                // The CLI's Read and Grep refuse /proc files themselves (a tool error, not a
                // permission denial); a directory of /proc is refused by the rules.
                denied: &["Glob", "Grep"],
                not_written: vec![],
                hidden: vec![],
            },
        ]
    }

    fn write_attack(&self) -> Attack {
        Attack {
            name: "Escape",
            steps: vec![
                format!("Write:{}", self.path("outside/written.txt")),
                format!("Edit:{}", self.path("outside/edited.txt")),
                // Relative to the job's cwd <workdir>/jobs/<id>-a<n>: the work dir itself.
                "Write:../../escaped.txt".to_owned(),
            ],
            denied: &["Write", "Edit"],
            not_written: vec![
                self.dir.join("outside/written.txt"),
                self.dir.join("outside/edited.txt"),
                self.dir.join("work/escaped.txt"),
            ],
            hidden: vec![],
        }
    }

    /// With bare tool rules, what only the sandbox can hide. (Not the slot's own login: the
    /// sandbox leaves a job its own slot, which the CLI needs; only the rules protect that.)
    fn sandbox_attacks(&self) -> Vec<Attack> {
        let (w, s) = (self.work.pid(), self.serve.pid());
        vec![
            Attack {
                name: "Secret file",
                steps: vec![
                    format!("Read:{}", self.path("outside/secret.txt")),
                    format!("Grep:{}", self.path("outside")),
                    format!("Read:{}", self.path("runner-token")),
                    format!("Grep:{}", self.path("login")),
                ],
                denied: &[],
                not_written: vec![],
                hidden: vec![],
            },
            self.write_attack(),
            Attack {
                name: "Host",
                steps: vec![
                    format!("Glob:{}", self.path("data")),
                    format!("Glob:{}", self.path("work/slots")),
                    format!("Glob:/proc/{w}"),
                    format!("Grep:/proc/{w}"),
                    format!("Grep:/proc/{s}"),
                ],
                denied: &[],
                not_written: vec![],
                hidden: vec![
                    // The server's store, and the other slot's directory.
                    "sqlite_key_value.db".to_owned(),
                    format!("/proc/{w}/"),
                    format!("/proc/{s}/"),
                ],
            },
        ]
    }

    /// Submits every attack (the worker runs two at once), then checks each.
    async fn run_attacks(&self, attacks: &[Attack], expect: Expect) {
        let mut ids = Vec::new();
        for attack in attacks {
            let id = self
                .api
                .generate(
                    "briefs",
                    json!({"title": attack.title(), "primary_keyword": "bread",
                           "brand_data": "acme.json"}),
                )
                .await;
            ids.push(id);
        }
        for (attack, id) in attacks.iter().zip(&ids) {
            self.check(attack, id, expect).await;
        }
        self.secrets.assert_absent(
            "the requests the CLI sent to the model",
            &self.model_requests(),
        );
        if expect == Expect::Hidden {
            self.assert_one_slot_visible();
        }
    }

    async fn check(&self, attack: &Attack, id: &str, expect: Expect) {
        let why = || self.explain();
        let job = self.api.wait_final(id, why).await;
        let texts = log_texts(&self.api.log_lines(id).await);
        let log = texts.join("\n");
        eprintln!(
            "--- {} ({}): {}\n{log}",
            attack.name, job["status"], job["usage"]
        );
        assert!(
            matches!(job["status"].as_str(), Some("completed" | "failed")),
            "{}: {job}\n{log}\n{}",
            attack.name,
            why()
        );
        let document = self.documents(&job).await;
        eprintln!("document:\n{document}");
        let what = |part: &str| format!("{part} of the {:?} job", attack.name);
        self.secrets.assert_absent(&what("the log"), &log);
        self.secrets.assert_absent(&what("the document"), &document);
        self.secrets
            .assert_absent(&what("the job view"), &job.to_string());
        for path in &attack.not_written {
            assert!(
                !path.exists(),
                "the {:?} job wrote {}\n{log}",
                attack.name,
                path.display()
            );
        }
        for text in &attack.hidden {
            assert!(
                !log.contains(text) && !document.contains(text),
                "the {:?} job saw {text:?} through the sandbox:\n{log}\n{document}",
                attack.name
            );
        }
        if expect == Expect::Denials {
            for tool in attack.denied {
                assert!(
                    texts
                        .iter()
                        .any(|t| t.starts_with("denied ") && t.contains(tool)),
                    "no `denied` log line names {tool} in the {:?} job:\n{log}",
                    attack.name
                );
            }
            let denials = job["usage"]["permission_denials"].as_u64().unwrap_or(0);
            assert!(
                denials >= 1,
                "usage.permission_denials is {} for the {:?} job: {job}",
                job["usage"]["permission_denials"],
                attack.name
            );
        }
    }

    /// The content of every output document of `job`.
    async fn documents(&self, job: &Value) -> String {
        let mut all = String::new();
        for doc in job["output_documents"].as_array().into_iter().flatten() {
            let path = format!(
                "/api/{}/{}",
                doc["collection"].as_str().unwrap_or(""),
                doc["name"].as_str().unwrap_or("")
            );
            let (status, body) = self.api.send(reqwest::Method::GET, &path, None).await;
            assert_eq!(status, 200, "GET {path}");
            all.push_str(&String::from_utf8_lossy(&body));
        }
        all
    }

    /// Every request body the mock received.
    fn model_requests(&self) -> String {
        let bodies: Vec<String> = self
            .mock
            .requests()
            .iter()
            .map(|r| r["body"].to_string())
            .collect();
        bodies.join("\n")
    }

    /// In the sandbox a job sees its own slot's directory only: no document lists files of
    /// both slots.
    fn assert_one_slot_visible(&self) {
        let bodies = self.model_requests();
        for (n, body) in bodies.lines().enumerate() {
            let both = [0, 1]
                .iter()
                .all(|n| body.contains(&self.path(&format!("work/slots/{n}/"))));
            assert!(!both, "request {n} lists both slots' files:\n{body}");
        }
    }

    fn explain(&self) -> String {
        format!(
            "runner serve:\n{}\nrunner work:\n{}\nmock:\n{}",
            self.serve.output(),
            self.work.output(),
            self.mock.summary()
        )
    }
}

/// `runner work` against `api`, with secrets in its environment and its login dir.
#[allow(clippy::too_many_arguments)]
fn start_work(
    bin: &Path,
    dir: &Path,
    api: &str,
    mock: &Mock,
    claude: &Path,
    sandbox: &str,
    allowed_tools: Option<&str>,
    secrets: &Secrets,
) -> RunnerProc {
    let mut cmd = Command::new(bin);
    cmd.args(["work", "--api", api, "--token-file"])
        .arg(dir.join("runner-token"))
        .arg("--claude")
        .arg(claude)
        .arg("--workdir")
        .arg(dir.join("work"))
        .args([
            "--slots",
            "2",
            "--sandbox",
            sandbox,
            "--name",
            "confinement",
        ]);
    let mut env = cli_env(&mock.url, &dir.join("home"));
    env.retain(|(k, _)| k != "CLAUDE_CONFIG_DIR");
    env.extend([
        // The operator's login, copied into every slot's config dir.
        (
            "CLAUDE_CONFIG_DIR".to_owned(),
            dir.join("login").display().to_string(),
        ),
        (
            "CWM_TEST_SECRET".to_owned(),
            secrets.get("CWM_TEST_SECRET").to_owned(),
        ),
        (
            "AWS_SECRET_ACCESS_KEY".to_owned(),
            secrets.get("AWS_SECRET").to_owned(),
        ),
        ("RUST_LOG".to_owned(), "info".to_owned()),
    ]);
    if let Some(tools) = allowed_tools {
        env.push(("CWM_ALLOWED_TOOLS".to_owned(), tools.to_owned()));
    }
    cmd.current_dir(dir).env_clear().envs(env);
    RunnerProc::spawn(cmd, "runner work")
}
