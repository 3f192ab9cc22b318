//! Batch mode against the test server's Batch API: delayed batches, shuffled
//! output, line errors, an expired batch; a killed run polls its batch again.

use crate::common::*;
use std::path::Path;

/// Batches the test server has been sent.
fn batches(url: &str) -> u64 {
    server_stats(url).expect("the test server answers /stats")["batches"]
        .as_u64()
        .unwrap()
}

fn run(dir: &Path, url: &str, extra: &[&str]) -> Run {
    let wf = root().join("workflows/regenesis.regen");
    let mut args = vec![
        "run",
        wf.to_str().unwrap(),
        "--limit",
        "4",
        "--set",
        "selections=3",
        "--progress",
        "none",
    ];
    args.extend(extra);
    regen_in(
        dir,
        &args,
        &[("OPENAI_BASE_URL", url), ("OPENAI_API_KEY", "sk-test")],
    )
}

#[test]
fn a_batch_run_writes_what_an_online_run_writes_despite_errors_and_an_expired_batch() {
    let online = Server::start(&["--correct", "0.5"]);
    let dir = tempfile::tempdir().unwrap();
    let r = run(
        dir.path(),
        &online.url,
        &["--run-dir", "online", "--store", "online.sqlite"],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);

    let server = Server::start(&[
        "--correct",
        "0.5",
        "--batch-perror",
        "0.1",
        "--batch-expire-first",
        "--batch-delay-ms",
        "50",
    ]);
    let r = run(
        dir.path(),
        &server.url,
        &["--batch", "--run-dir", "batch", "--store", "batch.sqlite"],
    );
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    assert_eq!(
        server.requests(),
        0,
        "no online chat call: the batches answered everything"
    );
    assert!(
        r.stdout.contains("batch API: ") && r.stdout.contains("sent again after errors or expiry"),
        "{}",
        r.stdout
    );
    let read = |p: &str| std::fs::read_to_string(dir.path().join(p)).unwrap();
    assert_eq!(read("batch/train.jsonl"), read("online/train.jsonl"));
    let mut a: Vec<String> = read("batch/paths.jsonl")
        .lines()
        .map(str::to_string)
        .collect();
    let mut b: Vec<String> = read("online/paths.jsonl")
        .lines()
        .map(str::to_string)
        .collect();
    a.sort();
    b.sort();
    assert_eq!(a, b);
    // A warm batch run submits nothing.
    let before = batches(&server.url);
    let r = run(
        dir.path(),
        &server.url,
        &["--batch", "--run-dir", "batch", "--store", "batch.sqlite"],
    );
    assert_eq!(r.code, 0);
    assert_eq!(batches(&server.url), before);
}

#[test]
fn a_killed_batch_run_polls_its_batch_instead_of_submitting_it_again() {
    let server = Server::start(&["--correct", "0.5", "--batch-delay-ms", "1500"]);
    let dir = tempfile::tempdir().unwrap();
    let wf = root().join("workflows/regenesis.regen");
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_regen"))
        .args([
            "run",
            wf.to_str().unwrap(),
            "--limit",
            "4",
            "--set",
            "selections=3",
            "--batch",
            "--run-dir",
            "b",
            "--store",
            "b.sqlite",
        ])
        .current_dir(dir.path())
        .env("OPENAI_BASE_URL", &server.url)
        .env("OPENAI_API_KEY", "sk-test")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    // Killed once the store holds the submitted batch's id (the server seeing the
    // batch is not enough: under load the kill could land before the id is committed).
    let recorded = || {
        rusqlite::Connection::open(dir.path().join("b.sqlite"))
            .and_then(|db| db.query_row("SELECT COUNT(*) FROM batches", [], |r| r.get::<_, i64>(0)))
            .is_ok_and(|n| n > 0)
    };
    let t0 = std::time::Instant::now();
    while batches(&server.url) == 0 || !recorded() {
        assert!(
            t0.elapsed() < std::time::Duration::from_secs(120),
            "the run never recorded its batch"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    assert_eq!(batches(&server.url), 1);
    let r = run(
        dir.path(),
        &server.url,
        &["--batch", "--run-dir", "b", "--store", "b.sqlite"],
    );
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    assert!(
        r.stderr
            .contains("batch batch_1: submitted by an earlier run, polled again"),
        "{}",
        r.stderr
    );
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
    std::fs::write(
        dir.path().join("data.jsonl"),
        "{\"id\": \"1\", \"question\": \"What is 2 + 2?\", \"answer\": \"4\"}\n",
    )
    .unwrap();
    let cost = |extra: &[&str]| -> f64 {
        let mut args = vec!["plan", wf.to_str().unwrap(), "--inputs", "1000"];
        args.extend(extra);
        let r = regen_in(dir.path(), &args, &[]);
        assert_eq!(r.code, 0, "{}", r.stderr);
        r.stderr
            .split("estimated cost: ")
            .nth(1)
            .and_then(|s| s.split_whitespace().next())
            .unwrap()
            .parse()
            .unwrap()
    };
    let (online, batch) = (cost(&[]), cost(&["--batch"]));
    assert!(
        online > 0.0 && (batch - online / 2.0).abs() < 0.011,
        "{online} {batch}"
    );
}

/// One vLLM `run-batch` output line answering a request with `content`.
fn vllm_line(custom_id: &str, content: &str) -> String {
    serde_json::json!({
        "id": "vllm-test", "custom_id": custom_id,
        "response": {"status_code": 200, "request_id": "vllm-batch-test", "body": {
            "id": "chatcmpl-test", "object": "chat.completion", "created": 1732600000, "model": "Qwen/Qwen2.5-0.5B-Instruct",
            "choices": [{"index": 0, "message": {"role": "assistant", "content": content, "tool_calls": []}, "logprobs": null, "finish_reason": "stop", "stop_reason": null}],
            "usage": {"prompt_tokens": 20, "total_tokens": 22, "completion_tokens": 2}}},
        "error": null,
    })
    .to_string()
}

#[test]
fn export_and_import_round_trip_through_vllm_run_batch_files() {
    let dir = tempfile::tempdir().unwrap();
    let fixtures = root().join("tests/batch");
    for f in ["tiny.regen", "data.jsonl"] {
        std::fs::copy(fixtures.join(f), dir.path().join(f)).unwrap();
    }
    let regen = |args: &[&str]| regen_in(dir.path(), args, &[]);
    let r = regen(&[
        "batch",
        "export",
        "tiny.regen",
        "--step",
        "hint",
        "--out",
        "hint.jsonl",
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let exported = std::fs::read_to_string(dir.path().join("hint.jsonl")).unwrap();
    golden(&fixtures.join("hint.requests.expected.jsonl"), &exported).unwrap();

    // The next step cannot be exported before the first is answered: nothing is called.
    let early = regen(&[
        "batch",
        "export",
        "tiny.regen",
        "--step",
        "answer",
        "--out",
        "answer.jsonl",
    ]);
    assert_eq!(early.code, 1);
    assert!(
        early.stderr.contains("export and import them first"),
        "{}",
        early.stderr
    );

    // The committed vLLM output (its own order, its own fields) goes into the cache.
    let r = regen(&[
        "batch",
        "import",
        fixtures.join("hint.vllm-output.jsonl").to_str().unwrap(),
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stdout
            .contains("2 answers into the cache, 0 failed lines"),
        "{}",
        r.stdout
    );

    let r = regen(&[
        "batch",
        "export",
        "tiny.regen",
        "--step",
        "answer",
        "--out",
        "answer.jsonl",
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let answers: Vec<String> = std::fs::read_to_string(dir.path().join("answer.jsonl"))
        .unwrap()
        .lines()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).unwrap();
            let prompt = v["body"]["messages"][0]["content"].as_str().unwrap();
            vllm_line(
                v["custom_id"].as_str().unwrap(),
                if prompt.contains("2 + 3") { "5" } else { "3" },
            )
        })
        .collect();
    assert_eq!(answers.len(), 2);
    std::fs::write(
        dir.path().join("answer.out.jsonl"),
        answers.join("\n") + "\n",
    )
    .unwrap();
    assert_eq!(regen(&["batch", "import", "answer.out.jsonl"]).code, 0);

    // Now the whole run comes from the cache: nothing listens at the endpoint, and nothing is asked.
    let run = regen(&[
        "run",
        "tiny.regen",
        "--run-dir",
        "out",
        "--progress",
        "none",
    ]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    assert!(run.stdout.contains("0 HTTP requests"), "{}", run.stdout);
    let out = std::fs::read_to_string(dir.path().join("out/out.jsonl")).unwrap();
    assert!(
        out.contains("Start from 2 and count up three steps.") && out.contains("\"answer\":\"5\""),
        "{out}"
    );

    // Output for requests this store never exported is reported, not silently dropped.
    std::fs::write(
        dir.path().join("stray.jsonl"),
        vllm_line("not-exported", "x") + "\n",
    )
    .unwrap();
    let stray = regen(&["batch", "import", "stray.jsonl"]);
    assert_eq!(stray.code, 1);
    assert!(
        stray
            .stdout
            .contains("1 for requests this store did not export"),
        "{}",
        stray.stdout
    );
}
