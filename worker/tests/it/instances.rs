//! Several API instances on one Redis: two `runner serve` share one state, clients and four
//! runners with three slots each are spread over both, and one instance is killed with SIGKILL
//! mid-run and started again. Every job runs exactly once, never more than
//! `max_concurrent_jobs` at once across both, and no log line is lost or repeated.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use workspace_bins::redis::RedisServer;

use crate::harness::{
    Client, InProcess, Server, argv_records, sample_running, serial, wait_for, worker_config,
};

const JOBS: usize = 60;
const LINES: usize = 8;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_on_one_redis_run_every_job_once_through_a_crash() {
    let _serial = serial().await;
    let Some(redis) = RedisServer::start() else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let config = redis.runtime_config(tmp.path());
    // A lease far longer than the outage: the runners on the killed instance keep their jobs.
    let settings = [("MAX_CONCURRENT_JOBS", "3"), ("LEASE_SECONDS", "30")];
    let (dir_a, dir_b) = (tmp.path().join("a"), tmp.path().join("b"));
    std::fs::create_dir_all(&dir_a).unwrap();
    std::fs::create_dir_all(&dir_b).unwrap();
    let mut a = Server::start_shared(&dir_a, &config, &settings);
    let b = Server::start_shared(&dir_b, &config, &settings);
    let (ca, cb) = (Client::new(&a), Client::new(&b));
    ca.put_brand("acme.json").await;
    let mut ids = Vec::new();
    for i in 0..JOBS {
        let client = if i % 2 == 0 { &ca } else { &cb };
        ids.push(client.submit_brief("Load", "acme.json").await);
    }

    let argv = tmp.path().join("argv.jsonl");
    let lines = LINES.to_string();
    let knobs = [
        ("FAKE_CLAUDE_OUTPUT_FILE", "output/load.md"),
        ("FAKE_CLAUDE_LINES", lines.as_str()),
        ("FAKE_CLAUDE_DELAY_MS", "40"),
        ("FAKE_CLAUDE_ARGV_LOG", argv.to_str().unwrap()),
    ];
    let done = Arc::new(AtomicBool::new(false));
    let max_running = Arc::new(AtomicUsize::new(0));
    let sampler = tokio::spawn(sample_running(
        cb.clone(),
        done.clone(),
        max_running.clone(),
    ));
    let workers: Vec<InProcess> = (0..4)
        .map(|i| {
            let server = if i < 2 { &a } else { &b };
            let mut config = worker_config(
                server,
                &format!("box-{i}"),
                &tmp.path().join(format!("w{i}")),
                &knobs,
            );
            config.slots = 3;
            InProcess::start(config)
        })
        .collect();

    let completed = |client: Client| async move {
        let page = client.get("/api/jobs?status=completed&limit=200").await;
        page["items"].as_array().unwrap().len()
    };
    let some_done = wait_for(Duration::from_secs(120), || async {
        (completed(cb.clone()).await >= JOBS / 4).then_some(())
    })
    .await;
    assert!(
        some_done.is_some(),
        "no progress: {}",
        cb.get("/health").await
    );
    a.kill();
    tokio::time::sleep(Duration::from_secs(2)).await;
    a.restart();

    let all_done = wait_for(Duration::from_secs(240), || async {
        (completed(cb.clone()).await == JOBS).then_some(())
    })
    .await;
    done.store(true, Ordering::Relaxed);
    let samples = sampler.await.unwrap();
    assert!(
        all_done.is_some(),
        "not all jobs completed: {}",
        cb.get("/health").await
    );

    let max = max_running.load(Ordering::Relaxed);
    println!("{samples} samples of running jobs, at most {max} at once");
    assert!(max <= 3, "{max} jobs ran at once across the two instances");

    // Each job's CLI ran once (a claim answer lost with the instance is retried as the job's
    // next attempt, but the CLI of the lost one never started).
    let mut runs: HashMap<String, usize> = HashMap::new();
    for record in argv_records(&argv) {
        let dir = record["cwd"]
            .as_str()
            .unwrap()
            .rsplit('/')
            .next()
            .unwrap()
            .to_owned();
        let job = dir
            .rsplit_once("-a")
            .map_or(dir.clone(), |(job, _)| job.to_owned());
        *runs.entry(job).or_default() += 1;
    }
    let twice: Vec<_> = runs.iter().filter(|(_, n)| **n != 1).collect();
    assert!(
        twice.is_empty(),
        "jobs whose CLI did not run exactly once: {twice:?}"
    );
    assert_eq!(
        runs.keys().cloned().collect::<HashSet<_>>(),
        ids.iter().cloned().collect::<HashSet<_>>()
    );

    // Every job's log, read through either instance, has each line once, in order.
    let expected: Vec<String> = (1..=LINES)
        .map(|i| format!("Progress line {i} of {LINES}."))
        .collect();
    for (n, id) in ids.iter().enumerate() {
        let client = if n % 2 == 0 { &ca } else { &cb };
        let texts = client.log_texts(id).await;
        let progress: Vec<String> = texts
            .iter()
            .filter(|t| t.starts_with("Progress line"))
            .cloned()
            .collect();
        assert_eq!(progress, expected, "job {id}");
        let unique: HashSet<&String> = texts.iter().collect();
        assert_eq!(
            unique.len(),
            texts.len(),
            "job {id}: a line twice: {texts:?}"
        );
    }

    for w in workers {
        w.stop().await.unwrap();
    }
}
