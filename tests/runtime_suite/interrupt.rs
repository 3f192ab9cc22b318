//! Stopping a run: Ctrl-C/SIGTERM and budgets stop cleanly, say how to resume,
//! and a resumed run repeats no finished call.

use crate::common::*;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn regenesis_args(extra: &[&str]) -> Vec<String> {
    let wf = root().join("workflows/regenesis.regen");
    let mut a: Vec<String> = [
        "run",
        wf.to_str().unwrap(),
        "--run-dir",
        "out",
        "--limit",
        "6",
        "--set",
        "selections=3",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    a.extend(extra.iter().map(|s| s.to_string()));
    a
}

fn sorted(p: &std::path::Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_to_string(p)
        .unwrap_or_default()
        .lines()
        .map(str::to_string)
        .collect();
    v.sort();
    v
}

/// A clean run's training file and request count, for comparison.
fn clean_reference() -> (Vec<String>, u64) {
    let server = Server::start(&["--correct", "0.3"]);
    let dir = tempfile::tempdir().unwrap();
    let args = regenesis_args(&[]);
    let argv: Vec<&str> = args.iter().map(String::as_str).collect();
    assert_eq!(
        regen_in(dir.path(), &argv, &[("OPENAI_BASE_URL", &server.url)]).code,
        0
    );
    (
        sorted(&dir.path().join("out/train.jsonl")),
        server.requests(),
    )
}

#[test]
fn a_budget_stops_cleanly_and_the_resumed_run_repeats_nothing() {
    let (clean_train, clean_requests) = clean_reference();
    let server = Server::start(&["--correct", "0.3"]);
    let dir = tempfile::tempdir().unwrap();
    let args = regenesis_args(&["--max-calls", "100"]);
    let argv: Vec<&str> = args.iter().map(String::as_str).collect();
    let r = regen_in(dir.path(), &argv, &[("OPENAI_BASE_URL", &server.url)]);
    assert_eq!(r.code, 3, "{}{}", r.stdout, r.stderr);
    assert!(
        r.stdout
            .contains("stopped early (budget: --max-calls 100 reached)"),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout.contains("Resume with:")
            && !r.stdout.lines().last().unwrap().contains("--max-calls"),
        "{}",
        r.stdout
    );
    assert_eq!(server.requests(), 100, "not one request past the budget");
    // Resume without the budget: finishes, and no finished call is asked again.
    let resume = regenesis_args(&[]);
    let argv: Vec<&str> = resume.iter().map(String::as_str).collect();
    let r = regen_in(dir.path(), &argv, &[("OPENAI_BASE_URL", &server.url)]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert_eq!(
        server.requests(),
        clean_requests,
        "budgeted + resumed = one clean run"
    );
    assert_eq!(sorted(&dir.path().join("out/train.jsonl")), clean_train);
}

#[test]
fn plan_warns_before_a_run_that_would_exceed_its_budget() {
    let wf = root().join("workflows/regenesis.regen");
    let r = regen(&[
        "plan",
        wf.to_str().unwrap(),
        "--inputs",
        "10",
        "--max-calls",
        "500",
    ]);
    assert_eq!(r.code, 0);
    assert!(
        r.stderr.contains("warning") && r.stderr.contains("--max-calls 500"),
        "{}{}",
        r.stdout,
        r.stderr
    );
}

fn spawn_slow(dir: &std::path::Path, server: &Server, grace: &str) -> std::process::Child {
    Command::new(env!("CARGO_BIN_EXE_regen"))
        .args(regenesis_args(&["--grace", grace]))
        .current_dir(dir)
        .env("OPENAI_BASE_URL", &server.url)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

/// Wait until the run is under way (its signal handler is installed before the first request).
fn wait_for_requests(server: &Server, n: u64) {
    let t0 = Instant::now();
    while server.requests() < n {
        assert!(
            t0.elapsed() < Duration::from_secs(60),
            "the run never started"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn signal(child: &std::process::Child, sig: &str) {
    assert!(Command::new("kill")
        .args(["-s", sig, &child.id().to_string()])
        .status()
        .unwrap()
        .success());
}

#[test]
fn ctrl_c_lets_calls_in_flight_finish_says_how_to_resume_and_loses_nothing() {
    let (clean_train, clean_requests) = clean_reference();
    let server = Server::start(&["--correct", "0.3", "--latency-ms", "200"]);
    let dir = tempfile::tempdir().unwrap();
    let child = spawn_slow(dir.path(), &server, "30");
    wait_for_requests(&server, 30);
    signal(&child, "INT");
    let t0 = Instant::now();
    let out = child.wait_with_output().unwrap();
    let (stdout, stderr) = (
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
    );
    assert_eq!(out.status.code(), Some(130), "{stdout}{stderr}");
    assert!(
        t0.elapsed() < Duration::from_secs(20),
        "stopped within the grace period"
    );
    assert!(stderr.contains("interrupted — no new calls"), "{stderr}");
    assert!(
        stdout.contains("stopped early (interrupted)") && stdout.contains("Resume with:"),
        "{stdout}"
    );
    // The store is intact; the lines written so far wait in the partial file,
    // which a stopped run never moves over the output (there was none here).
    assert!(dir.path().join("out/train.jsonl.partial").exists());
    assert!(!dir.path().join("out/train.jsonl").exists());
    assert!(
        stdout.contains("was not replaced") && stdout.contains("train.jsonl.partial"),
        "{stdout}"
    );
    let asked = server.requests();
    let r = regen_in(
        dir.path(),
        &regenesis_args(&[])
            .iter()
            .map(String::as_str)
            .collect::<Vec<_>>(),
        &[("OPENAI_BASE_URL", &server.url)],
    );
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert!(
        asked < clean_requests,
        "the interrupt landed mid-run ({asked} of {clean_requests})"
    );
    assert_eq!(
        server.requests(),
        clean_requests,
        "calls in flight finished and were kept: nothing asked twice"
    );
    assert_eq!(sorted(&dir.path().join("out/train.jsonl")), clean_train);
}

#[test]
fn a_second_ctrl_c_quits_at_once_without_corrupting_the_store() {
    let (clean_train, _) = clean_reference();
    let server = Server::start(&["--correct", "0.3", "--latency-ms", "200"]);
    let dir = tempfile::tempdir().unwrap();
    let child = spawn_slow(dir.path(), &server, "600");
    wait_for_requests(&server, 30);
    signal(&child, "TERM");
    std::thread::sleep(Duration::from_millis(100));
    signal(&child, "INT");
    let t0 = Instant::now();
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(130));
    assert!(
        t0.elapsed() < Duration::from_secs(5),
        "did not wait for the 600 s grace"
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("quitting now"));
    // The store knows the run ended: `regen runs` does not show it running.
    let runs = regen_in(dir.path(), &["runs"], &[]);
    assert!(
        runs.stdout.contains("interrupted") && !runs.stdout.contains("running"),
        "{}{}",
        runs.stdout,
        runs.stderr
    );
    let shown = regen_in(dir.path(), &["show", "1", "--json"], &[]);
    let v: serde_json::Value = serde_json::from_str(&shown.stdout).unwrap();
    assert_eq!(v["status"], "interrupted", "{}", shown.stdout);
    let r = regen_in(
        dir.path(),
        &regenesis_args(&[])
            .iter()
            .map(String::as_str)
            .collect::<Vec<_>>(),
        &[("OPENAI_BASE_URL", &server.url)],
    );
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert_eq!(sorted(&dir.path().join("out/train.jsonl")), clean_train);
}
