//! Bad datasets: every problem names file:line and the field; `on_bad_row: skip`
//! counts and lists what it skipped; big files stream.

use crate::common::*;
use std::path::Path;

fn workflow(dir: &Path, source_args: &str) {
    let wf = format!(
        "workflow data\nmodel m {{\n  retries = 0\n}}\nsource q = jsonl(\"data.jsonl\"{source_args})\nstep a = llm(q, prompt: \"{{{{ question }}}}\", into: path)\nsink o = jsonl(a, path: \"o.jsonl\")\n"
    );
    std::fs::write(dir.join("d.regen"), wf).unwrap();
}

fn run_with(data: &str, source_args: &str) -> (Run, tempfile::TempDir, Server) {
    let server = Server::start(&[]);
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("data.jsonl"), data).unwrap();
    workflow(dir.path(), source_args);
    let r = regen_in(
        dir.path(),
        &["run", "d.regen", "--run-dir", "out"],
        &[("OPENAI_BASE_URL", &server.url)],
    );
    (r, dir, server)
}

const GOOD: &str = "{\"id\": \"1\", \"question\": \"What is 1 + 1?\", \"answer\": \"2\"}\n";

#[test]
fn a_malformed_line_names_file_and_line() {
    let (r, _d, _s) = run_with(
        &format!("{GOOD}{GOOD}{{\"id\": \"3\", \"question\": \"oops\"\n"),
        "",
    );
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(
        r.stderr.contains("data.jsonl:3: not valid JSON"),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("on_bad_row: skip"), "{}", r.stderr);
}

#[test]
fn a_missing_mapped_field_names_the_column_and_the_field() {
    let (r, _d, _s) = run_with(
        &format!("{GOOD}{{\"id\": \"2\", \"Problem\": \"x\"}}\n"),
        ", fields: {id: \"id\", question: \"question\"}",
    );
    assert_eq!(r.code, 2);
    assert!(
        r.stderr
            .contains("data.jsonl:2: missing field `question` (mapped to `question`)"),
        "{}",
        r.stderr
    );
}

#[test]
fn a_wrong_type_is_refused_with_what_was_found() {
    let (r, _d, _s) = run_with("{\"id\": \"1\", \"question\": {\"text\": \"q\"}}\n", "");
    assert_eq!(r.code, 2);
    assert!(
        r.stderr.contains("data.jsonl:1: field `question` (mapped to `question`) should be text, found {\"text\":\"q\"}"),
        "{}",
        r.stderr
    );
}

#[test]
fn an_empty_file_is_an_error_not_an_empty_run() {
    let (r, _d, _s) = run_with("", "");
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("data.jsonl is empty"), "{}", r.stderr);
}

#[test]
fn skipping_bad_rows_counts_and_lists_them() {
    let data = format!("{GOOD}not json\n{GOOD}{{\"id\": \"9\"}}\n{GOOD}");
    let (r, dir, server) = run_with(&data, ", on_bad_row: skip");
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert!(
        r.stdout.contains("skipped 2 bad dataset rows"),
        "{}",
        r.stdout
    );
    assert_eq!(
        server.requests(),
        1,
        "three good rows with one prompt: one call, two cache hits"
    );
    let show = regen_in(dir.path(), &["show", "1", "--all"], &[]);
    assert!(
        show.stdout.contains("failed: q line 2: bad-row: ")
            && show.stdout.contains("failed: q line 4: bad-row: "),
        "{}",
        show.stdout
    );
}

#[test]
fn a_hundred_megabyte_dataset_streams_in_bounded_memory() {
    // ~100 MB of rows and no model: every row flows source → sink, one at a time.
    let dir = tempfile::tempdir().unwrap();
    let pad = "x".repeat(900);
    let mut text = String::with_capacity(105_000_000);
    for i in 0..110_000 {
        text.push_str(&format!(
            "{{\"id\": \"{i}\", \"question\": \"q{i} {pad}\", \"answer\": \"{i}\"}}\n"
        ));
    }
    assert!(text.len() > 100_000_000);
    std::fs::write(dir.path().join("big.jsonl"), text).unwrap();
    std::fs::write(
        dir.path().join("big.regen"),
        "workflow big\nsource q = jsonl(\"big.jsonl\")\nsink o = jsonl(q, path: \"o.jsonl\", fields: [id])\n",
    )
    .unwrap();
    let out = std::process::Command::new("/usr/bin/time")
        .args([
            "-f",
            "maxrss_kb=%M",
            env!("CARGO_BIN_EXE_regen"),
            "run",
            "big.regen",
            "--run-dir",
            "out",
        ])
        .current_dir(dir.path())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(String::from_utf8_lossy(&out.stdout).contains("wrote 110000 records"));
    let kb: u64 = stderr
        .rsplit("maxrss_kb=")
        .next()
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    assert!(
        kb < 200_000,
        "peak RSS {kb} KB for a 100 MB dataset: it was not streamed"
    );
}
