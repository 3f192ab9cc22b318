//! Nobody there, or not allowed: the run stops early with advice and exit code
//! 4, instead of retrying every record against an endpoint that cannot answer.

use crate::common::*;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

fn regenesis(dir: &std::path::Path, url: &str, extra_env: &[(&str, &str)]) -> Run {
    let wf = root().join("workflows/regenesis.regen");
    let mut env = vec![("OPENAI_BASE_URL", url)];
    env.extend_from_slice(extra_env);
    regen_in(
        dir,
        &[
            "run",
            wf.to_str().unwrap(),
            "--limit",
            "2",
            "--run-dir",
            "out",
        ],
        &env,
    )
}

#[test]
fn an_endpoint_that_accepts_and_closes_stops_the_run_with_advice() {
    // A listener that accepts every connection and closes it at once, counting them.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let count = Arc::new(AtomicU64::new(0));
    let seen = count.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            seen.fetch_add(1, Ordering::SeqCst);
            drop(stream);
        }
    });
    let dir = tempfile::tempdir().unwrap();
    let started = Instant::now();
    let r = regenesis(dir.path(), &format!("http://{addr}/v1"), &[]);
    let took = started.elapsed();
    assert_eq!(r.code, 4, "{}{}", r.stdout, r.stderr);
    assert!(took < Duration::from_secs(10), "stopped after {took:?}");
    let requests = count.load(Ordering::SeqCst);
    assert!(requests < 20, "{requests} requests");
    assert!(
        r.stderr.contains("model `gen` at http://127.0.0.1:"),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("without an HTTP answer"), "{}", r.stderr);
    assert!(
        r.stderr.contains("OPENAI_BASE_URL") && r.stderr.contains("workflows/local.regen"),
        "{}",
        r.stderr
    );
    // Resumable, and what did not run is "not run", not failed.
    assert!(
        r.stdout.contains("Resume with:") && r.stdout.contains("records not run"),
        "{}",
        r.stdout
    );
    assert!(r.stdout.contains("0 records failed"), "{}", r.stdout);
}

#[test]
fn a_refused_port_stops_the_run_quickly() {
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let dir = tempfile::tempdir().unwrap();
    let started = Instant::now();
    let r = regenesis(dir.path(), &format!("http://127.0.0.1:{port}/v1"), &[]);
    assert_eq!(r.code, 4, "{}{}", r.stdout, r.stderr);
    assert!(started.elapsed() < Duration::from_secs(10));
    assert!(r.stderr.contains("connection refused"), "{}", r.stderr);
}

#[test]
fn a_refused_key_names_the_variable_and_never_the_key() {
    let server = Server::start(&["--require-key", "sk-right-ONE"]);
    let dir = tempfile::tempdir().unwrap();
    let r = regenesis(
        dir.path(),
        &server.url,
        &[("OPENAI_API_KEY", "sk-wrong-SECRET-123")],
    );
    assert_eq!(r.code, 4, "{}{}", r.stdout, r.stderr);
    assert!(
        r.stderr.contains("HTTP 401") && r.stderr.contains("OPENAI_API_KEY"),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr
            .contains("is set, but the server does not accept it"),
        "{}",
        r.stderr
    );
    assert!(!r.stderr.contains("SECRET") && !r.stdout.contains("SECRET"));
    assert!(server.requests() < 5, "{}", server.requests());
}

#[test]
fn an_unknown_model_lists_the_models_the_server_has() {
    let server = Server::start(&["--models", "llama-3-8b,qwen2-7b"]);
    let dir = tempfile::tempdir().unwrap();
    let r = regenesis(dir.path(), &server.url, &[("REGEN_MODEL", "lama-3-8b")]);
    assert_eq!(r.code, 4, "{}{}", r.stdout, r.stderr);
    assert!(
        r.stderr.contains("no model `lama-3-8b`") && r.stderr.contains("llama-3-8b, qwen2-7b"),
        "{}",
        r.stderr
    );
}

#[test]
fn a_flaky_server_is_still_retried_to_the_end() {
    // 5xx and 429 are transient: the run goes on and finishes.
    let server = Server::start(&["--correct", "1.0", "--p500", "0.2", "--p429", "0.05"]);
    let dir = tempfile::tempdir().unwrap();
    let wf = root().join("workflows/regenesis.regen");
    let r = regen_in(
        dir.path(),
        &[
            "run",
            wf.to_str().unwrap(),
            "--limit",
            "1",
            "--run-dir",
            "out",
            "--set",
            "selections=2",
            "--set",
            "singles=2",
        ],
        &[("OPENAI_BASE_URL", server.url.as_str())],
    );
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
}

#[test]
fn doctor_checks_each_endpoint_and_fails_on_one_that_cannot_run() {
    let wf = root().join("workflows/regenesis.regen");
    let server = Server::start(&["--reject-n"]);
    let dir = tempfile::tempdir().unwrap();
    let ok = regen_in(
        dir.path(),
        &["doctor", wf.to_str().unwrap()],
        &[("OPENAI_BASE_URL", server.url.as_str())],
    );
    assert_eq!(ok.code, 0, "{}{}", ok.stdout, ok.stderr);
    assert!(
        ok.stdout.contains("model gen endpoint") && ok.stdout.contains(" ms"),
        "{}",
        ok.stdout
    );
    assert!(
        ok.stdout
            .contains("refused: regen sends one request per sample"),
        "{}",
        ok.stdout
    );
    assert!(ok.stdout.contains("embedded model cache"), "{}", ok.stdout);
    assert!(
        ok.stdout.contains("typed replies  honoured"),
        "{}",
        ok.stdout
    );
    // A server that answers a schema in prose: doctor says which reply_format fits.
    let prose = Server::start(&["--pprose", "1.0"]);
    let note = regen_in(
        dir.path(),
        &["doctor", wf.to_str().unwrap()],
        &[("OPENAI_BASE_URL", prose.url.as_str())],
    );
    assert!(
        note.stdout.contains("ignored") && note.stdout.contains("reply_format = \"prompt\""),
        "{}",
        note.stdout
    );
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = format!("http://127.0.0.1:{port}/v1");
    let bad = regen_in(
        dir.path(),
        &["doctor", wf.to_str().unwrap()],
        &[
            ("OPENAI_BASE_URL", url.as_str()),
            ("OPENAI_API_KEY", "sk-SECRET-42"),
        ],
    );
    assert_eq!(bad.code, 1, "{}{}", bad.stdout, bad.stderr);
    assert!(
        bad.stdout.contains("FAIL  model gen endpoint"),
        "{}",
        bad.stdout
    );
    assert!(
        bad.stdout.contains("OPENAI_API_KEY is set") && !bad.stdout.contains("SECRET"),
        "{}",
        bad.stdout
    );
}

/// `[1m10s] calls 3,412/≈9,000 · hits 1,102 · 41 calls/s · 2 failed · ETA ≈2m20s`, checked part by part.
fn is_progress_line(line: &str) -> bool {
    let Some(rest) = line.strip_prefix('[') else {
        return false;
    };
    let Some((clock, rest)) = rest.split_once("] calls ") else {
        return false;
    };
    let clock_ok = !clock.is_empty()
        && clock
            .chars()
            .all(|c| c.is_ascii_digit() || "hms".contains(c))
        && clock.ends_with(['s', 'm']);
    let parts: Vec<&str> = rest.split(" · ").collect();
    let number = |s: &str| {
        !s.is_empty()
            && s.chars()
                .all(|c| c.is_ascii_digit() || c == ',' || c == '.')
    };
    clock_ok
        && parts.len() == 5
        && parts[0]
            .split_once("/≈")
            .is_some_and(|(a, b)| number(a) && number(b))
        && parts[1].strip_prefix("hits ").is_some_and(number)
        && parts[2].strip_suffix(" calls/s").is_some_and(number)
        && parts[3].strip_suffix(" failed").is_some_and(number)
        && (parts[4] == "ETA ?"
            || parts[4]
                .strip_prefix("ETA ≈")
                .is_some_and(|t| !t.is_empty()))
}

#[test]
fn without_a_terminal_progress_is_one_short_line_in_the_documented_shape() {
    let server = Server::start(&["--correct", "1.0", "--latency-ms", "40"]);
    let dir = tempfile::tempdir().unwrap();
    let wf = root().join("workflows/regenesis.regen");
    let args = [
        "run",
        wf.to_str().unwrap(),
        "--limit",
        "2",
        "--run-dir",
        "out",
        "--set",
        "selections=4",
        "--set",
        "singles=4",
        "--progress-every",
        "0.25",
    ];
    let r = regen_in(
        dir.path(),
        &args,
        &[("OPENAI_BASE_URL", server.url.as_str())],
    );
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    let lines: Vec<&str> = r.stderr.lines().filter(|l| l.starts_with('[')).collect();
    assert!(!lines.is_empty(), "no progress line in {}", r.stderr);
    for l in &lines {
        assert!(is_progress_line(l), "not in the documented shape: {l}");
    }
    assert!(is_progress_line(
        "[1m10s] calls 3,412/≈9,000 · hits 1,102 · 41 calls/s · 2 failed · ETA ≈2m20s"
    ));
    let quiet = regen_in(
        dir.path(),
        &[&args[..], &["--progress", "none"]].concat(),
        &[("OPENAI_BASE_URL", server.url.as_str())],
    );
    assert_eq!(quiet.code, 0);
    assert!(
        !quiet.stderr.lines().any(|l| l.starts_with('[')),
        "{}",
        quiet.stderr
    );
}
