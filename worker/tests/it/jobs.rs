//! A job's life on one worker: from submit to document, and a user's cancel.

use std::time::{Duration, Instant};

use serde_json::Value;

use crate::harness::{
    Client, InProcess, Server, alive, argv_records, poll_until, serial, worker_config,
};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_submitted_brief_becomes_a_document_with_logs_and_usage() {
    let _serial = serial().await;
    let tmp = tempfile::tempdir().unwrap();
    let server = Server::start(tmp.path(), &[]);
    let client = Client::new(&server);
    client.put_brand("acme.json").await;
    let argv_log = tmp.path().join("argv.jsonl");
    let knobs = [
        // The claim names the output `output/topic-1.md` (the title's slug); the fake writes it.
        ("FAKE_CLAUDE_OUTPUT_FILE", "output/topic-1.md"),
        ("FAKE_CLAUDE_OUTPUT_CONTENT", "# Topic 1\n\nThe brief.\n"),
        ("FAKE_CLAUDE_LINES", "3"),
        ("FAKE_CLAUDE_ARGV_LOG", argv_log.to_str().unwrap()),
    ];
    let worker = InProcess::start(worker_config(
        &server,
        "box-1",
        &tmp.path().join("w"),
        &knobs,
    ));

    let id = client.submit_brief("Topic 1", "acme.json").await;
    let job = client
        .wait_status(&id, "completed", Duration::from_secs(60))
        .await;

    assert_eq!(job["runner"], "box-1");
    assert_eq!(job["attempt"], 1);
    assert_eq!(job["output_documents"][0]["name"], "topic-1.md");
    let usage = &job["usage"];
    assert_eq!(
        (usage["cost_usd"].as_f64(), usage["input_tokens"].as_u64()),
        (Some(0.00846), Some(2400))
    );
    assert_eq!(
        (usage["output_tokens"].as_u64(), usage["num_turns"].as_u64()),
        (Some(84), Some(2))
    );

    let briefs = client.get("/api/briefs").await;
    let names: Vec<&str> = briefs["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|d| d["name"].as_str())
        .collect();
    assert!(names.contains(&"topic-1.md"), "{briefs}");

    let lines = client.logs(&id).await;
    let texts: Vec<&str> = lines.iter().map(|l| l["text"].as_str().unwrap()).collect();
    let expected = [
        "I'll write output/topic-1.md now.",
        "Progress line 1 of 3.",
        "Progress line 2 of 3.",
        "Progress line 3 of 3.",
        "Created output/topic-1.md.",
    ];
    assert_in_order(&texts, &expected);
    let kinds: Vec<&str> = lines.iter().map(|l| l["kind"].as_str().unwrap()).collect();
    for kind in ["text", "tool_call", "tool_ok", "result", "info"] {
        assert!(kinds.contains(&kind), "no {kind} line: {kinds:?}");
    }
    assert!(
        lines
            .iter()
            .all(|l| l["ts"].as_str().is_some_and(|t| t.ends_with('Z')))
    );
    let seqs: Vec<i64> = lines.iter().map(|l| l["seq"].as_i64().unwrap()).collect();
    assert!(seqs.windows(2).all(|w| w[0] < w[1]));

    // The workspace and the slot's private config dir, as the CLI saw them.
    let record = &argv_records(&argv_log)[0];
    let cwd = record["cwd"].as_str().unwrap();
    assert!(cwd.ends_with(&format!("/w/jobs/{id}-a1")), "{cwd}");
    assert!(
        record["env"]["CLAUDE_CONFIG_DIR"]
            .as_str()
            .unwrap()
            .ends_with("/w/slots/0/claude-config")
    );
    assert!(
        record["prompt"]
            .as_str()
            .unwrap()
            .contains("output/topic-1.md")
    );

    worker.stop().await.unwrap();
}

fn assert_in_order(texts: &[&str], expected: &[&str]) {
    let mut rest = texts.iter();
    for want in expected {
        assert!(
            rest.any(|t| t == want),
            "{want:?} missing or out of order in {texts:?}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cancelled_job_loses_its_process_tree_within_seconds() {
    let _serial = serial().await;
    let tmp = tempfile::tempdir().unwrap();
    let server = Server::native(&[]);
    let client = Client::new(&server);
    client.put_brand("acme.json").await;
    let argv_log = tmp.path().join("argv.jsonl");
    let child_pid_file = tmp.path().join("child.pid");
    let knobs = [
        ("FAKE_CLAUDE_SCENARIO", "hang"),
        ("FAKE_CLAUDE_SPAWN_CHILD", "1"),
        (
            "FAKE_CLAUDE_CHILD_PID_FILE",
            child_pid_file.to_str().unwrap(),
        ),
        ("FAKE_CLAUDE_ARGV_LOG", argv_log.to_str().unwrap()),
    ];
    let worker = InProcess::start(worker_config(
        &server,
        "box-1",
        &tmp.path().join("w"),
        &knobs,
    ));
    let id = client.submit_brief("Hangs", "acme.json").await;
    client
        .wait_log(&id, "I'll write", Duration::from_secs(30))
        .await;

    let cli_pid = argv_records(&argv_log)[0]["pid"].as_u64().unwrap() as u32;
    let orphan_pid: u32 = std::fs::read_to_string(&child_pid_file)
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    assert!(alive(cli_pid) && alive(orphan_pid));

    let asked = Instant::now();
    client.cancel(&id).await;
    let gone = poll_until(Duration::from_secs(30), || {
        (!alive(cli_pid) && !alive(orphan_pid)).then_some(())
    });
    assert!(
        gone.is_some(),
        "processes still there 30 s after the cancel"
    );
    let job = client
        .wait_status(&id, "cancelled", Duration::from_secs(30))
        .await;
    println!(
        "cancel → processes gone and job cancelled in {:?}",
        asked.elapsed()
    );
    assert!(job["cancel_requested"] == Value::Bool(true));
    assert!(
        client
            .log_texts(&id)
            .await
            .iter()
            .any(|t| t.contains("cancelled"))
    );

    worker.stop().await.unwrap();
}
