//! Many runners, one cap: never more jobs running than `max_concurrent_jobs`, and every job
//! run exactly once.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use crate::harness::{
    Client, InProcess, Server, cli_runs, sample_running, serial, wait_for, worker_config,
};

const JOBS: usize = 60;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn four_runners_with_three_slots_each_respect_a_cap_of_three() {
    let _serial = serial().await;
    let tmp = tempfile::tempdir().unwrap();
    let server = Server::native(&[("MAX_CONCURRENT_JOBS", "3")]);
    let client = Client::new(&server);
    client.put_brand("acme.json").await;
    // Queued before any runner starts, all 60 are named output/load.md (no brief exists yet).
    let mut ids = Vec::new();
    for _ in 0..JOBS {
        ids.push(client.submit_brief("Load", "acme.json").await);
    }

    let argv = tmp.path().join("argv.jsonl");
    let knobs = [
        ("FAKE_CLAUDE_OUTPUT_FILE", "output/load.md"),
        ("FAKE_CLAUDE_DELAY_MS", "20"),
        ("FAKE_CLAUDE_ARGV_LOG", argv.to_str().unwrap()),
    ];
    let done = Arc::new(AtomicBool::new(false));
    let max_running = Arc::new(AtomicUsize::new(0));
    let sampler = tokio::spawn(sample_running(
        client.clone(),
        done.clone(),
        max_running.clone(),
    ));
    let workers: Vec<InProcess> = (0..4)
        .map(|i| {
            let mut config = worker_config(
                &server,
                &format!("box-{i}"),
                &tmp.path().join(format!("w{i}")),
                &knobs,
            );
            config.slots = 3;
            InProcess::start(config)
        })
        .collect();

    let all_done = wait_for(Duration::from_secs(180), || async {
        let page = client.get("/api/jobs?status=completed&limit=200").await;
        (page["items"].as_array().unwrap().len() == JOBS).then_some(())
    })
    .await;
    done.store(true, Ordering::Relaxed);
    let samples = sampler.await.unwrap();
    assert!(
        all_done.is_some(),
        "not all jobs completed: {}",
        client.get("/health").await
    );

    let max = max_running.load(Ordering::Relaxed);
    println!("{samples} samples of running jobs, at most {max} at once");
    assert!(max <= 3, "{max} jobs ran at once");
    assert_eq!(
        max, 3,
        "the cap was never reached: the runners did not work in parallel"
    );

    // Each job's CLI ran once, in the workspace of attempt 1.
    let dirs = cli_runs(&argv);
    let distinct: HashSet<&String> = dirs.iter().collect();
    assert_eq!(
        (dirs.len(), distinct.len()),
        (JOBS, JOBS),
        "CLI runs: {dirs:?}"
    );
    let expected: HashSet<String> = ids.iter().map(|id| format!("{id}-a1")).collect();
    assert_eq!(
        distinct.into_iter().cloned().collect::<HashSet<_>>(),
        expected
    );
    let page = client.get("/api/jobs?status=completed&limit=200").await;
    let mut per_runner: HashMap<String, usize> = HashMap::new();
    for job in page["items"].as_array().unwrap() {
        *per_runner
            .entry(job["runner"].as_str().unwrap().to_owned())
            .or_default() += 1;
    }
    println!("jobs per runner: {per_runner:?}");

    for w in workers {
        w.stop().await.unwrap();
    }
}
