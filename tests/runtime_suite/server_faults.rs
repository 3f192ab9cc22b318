//! Server misbehaviour: empty replies, replies cut at max_tokens, the wrong
//! schema, missing `n` choices, hangs past the timeout. Each is retried where
//! that can help, and otherwise a counted failure with its raw text.

use crate::common::*;

fn one_step(dir: &std::path::Path, model: &str, step_args: &str) {
    let wf = format!(
        "workflow faults\nmodel m {{\n{model}\n}}\nsource q = jsonl(\"stdlib/data/arith-100.jsonl\")\nstep s = llm(q, prompt: \"{{{{ question }}}}\"{step_args}, into: path)\nsink o = jsonl(s, path: \"o.jsonl\")\n"
    );
    std::fs::write(dir.join("f.regen"), wf).unwrap();
}

fn run(dir: &std::path::Path, server: &Server, limit: &str) -> Run {
    regen_in(
        dir,
        &["run", "f.regen", "--limit", limit, "--run-dir", "out"],
        &[("OPENAI_BASE_URL", &server.url)],
    )
}

#[test]
fn empty_replies_and_wrong_schemas_are_retried_to_success() {
    let server = Server::start(&["--pempty", "0.2", "--pschema", "0.2"]);
    let dir = tempfile::tempdir().unwrap();
    one_step(dir.path(), "  retries = 8\n  n_per_request = false", "");
    let r = run(dir.path(), &server, "20");
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert!(r.stdout.contains("wrote 20 records"), "{}", r.stdout);
    assert!(server.requests() > 20, "faults cost retries");
}

#[test]
fn empty_and_malformed_replies_that_persist_are_recorded_with_their_reason() {
    let server = Server::start(&["--pempty", "1.0"]);
    let dir = tempfile::tempdir().unwrap();
    one_step(dir.path(), "  retries = 1", "");
    let r = run(dir.path(), &server, "3");
    assert_eq!(r.code, 1);
    assert!(r.stdout.contains("empty-reply: 3"), "{}", r.stdout);
    let server = Server::start(&["--pschema", "1.0"]);
    let dir = tempfile::tempdir().unwrap();
    one_step(dir.path(), "  retries = 1", "");
    let r = run(dir.path(), &server, "3");
    assert_eq!(r.code, 1);
    assert!(r.stdout.contains("malformed-reply: 3"), "{}", r.stdout);
    let show = regen_in(dir.path(), &["show", "1"], &[]);
    assert!(
        show.stdout.contains("upstream busy"),
        "the raw reply is kept: {}",
        show.stdout
    );
}

#[test]
fn a_reply_cut_at_max_tokens_is_a_failure_with_its_text_unless_kept() {
    let server = Server::start(&["--correct", "1.0"]);
    let dir = tempfile::tempdir().unwrap();
    one_step(dir.path(), "  retries = 2", ", max_tokens: 5");
    let r = run(dir.path(), &server, "4");
    assert_eq!(r.code, 1, "{}", r.stdout);
    assert!(r.stdout.contains("truncated: 4"), "{}", r.stdout);
    assert_eq!(
        server.requests(),
        4,
        "retrying cannot lengthen a reply: not retried"
    );
    let show = regen_in(dir.path(), &["show", "1"], &[]);
    assert!(
        show.stdout.contains("cut off at max_tokens: "),
        "{}",
        show.stdout
    );
    // A warm re-run decides the same from the cache.
    let again = run(dir.path(), &server, "4");
    assert!(
        again.stdout.contains("truncated: 4") && server.requests() == 4,
        "{}",
        again.stdout
    );
    // `truncated = "keep"` keeps them.
    let dir = tempfile::tempdir().unwrap();
    one_step(dir.path(), "  truncated = \"keep\"", ", max_tokens: 5");
    let r = run(dir.path(), &server, "4");
    assert_eq!(r.code, 0, "{}", r.stdout);
    assert!(r.stdout.contains("wrote 4 records"));
}

#[test]
fn missing_n_choices_are_asked_again_one_by_one() {
    let server = Server::start(&["--pfewer", "1.0"]);
    let dir = tempfile::tempdir().unwrap();
    one_step(
        dir.path(),
        "  retries = 1",
        ", samples: 3, temperature: 1.0",
    );
    let r = run(dir.path(), &server, "2");
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert!(r.stdout.contains("wrote 6 records"), "{}", r.stdout);
    assert_eq!(
        server.requests(),
        4,
        "per question: one n = 3 request answered with 2, then 1 more"
    );
}

#[test]
fn a_server_slower_than_the_timeout_is_a_timeout_failure() {
    let server = Server::start(&["--phang", "1.0"]);
    let dir = tempfile::tempdir().unwrap();
    one_step(dir.path(), "  timeout_s = 0.3\n  retries = 1", "");
    let r = run(dir.path(), &server, "2");
    assert_eq!(r.code, 1);
    assert!(r.stdout.contains("timeout: 2"), "{}", r.stdout);
    assert_eq!(server.requests(), 4, "each timed-out call was retried once");
}

#[test]
fn retry_after_is_honoured() {
    // Every reply is a 429 with `Retry-After: 1`: two retries cannot come sooner than 2 s.
    let server = Server::start(&["--p429", "1.0"]);
    let dir = tempfile::tempdir().unwrap();
    one_step(dir.path(), "  retries = 2", "");
    let t0 = std::time::Instant::now();
    let r = run(dir.path(), &server, "1");
    assert!(
        t0.elapsed() >= std::time::Duration::from_secs(2),
        "{:?}",
        t0.elapsed()
    );
    assert_eq!(r.code, 1);
    assert!(r.stdout.contains("http-429: 1"), "{}", r.stdout);
    assert_eq!(server.requests(), 3);
}
