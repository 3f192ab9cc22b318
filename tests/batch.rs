//! Batch mode against the test server's Batch API: delayed batches, shuffled
//! output, line errors, an expired batch; a killed run polls its batch again.

mod common;
use common::*;
use std::path::Path;

fn batches(url: &str) -> u64 {
    use std::io::{Read, Write};
    let addr = url.trim_start_matches("http://").trim_end_matches("/v1");
    let mut s = std::net::TcpStream::connect(addr).unwrap();
    write!(s, "GET /stats HTTP/1.0\r\nHost: x\r\n\r\n").unwrap();
    let mut body = String::new();
    s.read_to_string(&mut body).unwrap();
    serde_json::from_str::<serde_json::Value>(body.split("\r\n\r\n").nth(1).unwrap()).unwrap()["batches"].as_u64().unwrap()
}

fn run(dir: &Path, url: &str, extra: &[&str]) -> Run {
    let wf = root().join("workflows/regenesis.regen");
    let mut args = vec!["run", wf.to_str().unwrap(), "--limit", "4", "--set", "selections=3", "--progress", "none"];
    args.extend(extra);
    regen_in(dir, &args, &[("OPENAI_BASE_URL", url), ("OPENAI_API_KEY", "sk-test")])
}

#[test]
fn a_batch_run_writes_what_an_online_run_writes_despite_errors_and_an_expired_batch() {
    let online = Server::start(&["--correct", "0.5"]);
    let dir = tempfile::tempdir().unwrap();
    let r = run(dir.path(), &online.url, &["--run-dir", "online", "--store", "online.sqlite"]);
    assert_eq!(r.code, 0, "{}", r.stderr);

    let server = Server::start(&["--correct", "0.5", "--batch-perror", "0.1", "--batch-expire-first", "--batch-delay-ms", "50"]);
    let r = run(dir.path(), &server.url, &["--batch", "--run-dir", "batch", "--store", "batch.sqlite"]);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    assert_eq!(server.requests(), 0, "no online chat call: the batches answered everything");
    assert!(r.stdout.contains("batch API: ") && r.stdout.contains("sent again after errors or expiry"), "{}", r.stdout);
    let read = |p: &str| std::fs::read_to_string(dir.path().join(p)).unwrap();
    assert_eq!(read("batch/train.jsonl"), read("online/train.jsonl"));
    let mut a: Vec<String> = read("batch/paths.jsonl").lines().map(str::to_string).collect();
    let mut b: Vec<String> = read("online/paths.jsonl").lines().map(str::to_string).collect();
    a.sort();
    b.sort();
    assert_eq!(a, b);
    // A warm batch run submits nothing.
    let before = batches(&server.url);
    let r = run(dir.path(), &server.url, &["--batch", "--run-dir", "batch", "--store", "batch.sqlite"]);
    assert_eq!(r.code, 0);
    assert_eq!(batches(&server.url), before);
}

#[test]
fn a_killed_batch_run_polls_its_batch_instead_of_submitting_it_again() {
    let server = Server::start(&["--correct", "0.5", "--batch-delay-ms", "1500"]);
    let dir = tempfile::tempdir().unwrap();
    let wf = root().join("workflows/regenesis.regen");
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_regen"))
        .args(["run", wf.to_str().unwrap(), "--limit", "4", "--set", "selections=3", "--batch", "--run-dir", "b", "--store", "b.sqlite"])
        .current_dir(dir.path())
        .env("OPENAI_BASE_URL", &server.url)
        .env("OPENAI_API_KEY", "sk-test")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    while batches(&server.url) == 0 {
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    assert_eq!(batches(&server.url), 1);
    let r = run(dir.path(), &server.url, &["--batch", "--run-dir", "b", "--store", "b.sqlite"]);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    assert!(r.stderr.contains("batch batch_1: submitted by an earlier run, polled again"), "{}", r.stderr);
    assert_eq!(server.requests(), 0);
}

#[test]
fn plan_prices_a_batch_run_at_half() {
    let dir = tempfile::tempdir().unwrap();
    let wf = dir.path().join("priced.regen");
    std::fs::write(
        &wf,
        "workflow priced\nmodel gen {\n  endpoint = \"http://127.0.0.1:9/v1\"\n  price_prompt = 2.0\n  price_completion = 8.0\n}\n\
         source questions = jsonl(\"data.jsonl\")\nstep a = llm(questions, prompt: \"{{ question }}\")\nsink out = jsonl(a, path: \"o.jsonl\")\n",
    )
    .unwrap();
    std::fs::write(dir.path().join("data.jsonl"), "{\"id\": \"1\", \"question\": \"What is 2 + 2?\", \"answer\": \"4\"}\n").unwrap();
    let cost = |extra: &[&str]| -> f64 {
        let mut args = vec!["plan", wf.to_str().unwrap(), "--inputs", "1000"];
        args.extend(extra);
        let r = regen_in(dir.path(), &args, &[]);
        assert_eq!(r.code, 0, "{}", r.stderr);
        r.stderr.split("estimated cost: ").nth(1).and_then(|s| s.split_whitespace().next()).unwrap().parse().unwrap()
    };
    let (online, batch) = (cost(&[]), cost(&["--batch"]));
    assert!(online > 0.0 && (batch - online / 2.0).abs() < 0.011, "{online} {batch}");
}
