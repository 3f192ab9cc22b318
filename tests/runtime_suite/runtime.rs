//! `regen run` end to end against the project's test server over real HTTP.

use crate::common::*;
use std::path::Path;
use std::process::{Command, Stdio};

fn run(dir: &Path, server: &Server, extra: &[&str]) -> Run {
    let wf = root().join("workflows/regenesis.regen");
    let mut args = vec![
        "run",
        wf.to_str().unwrap(),
        "--run-dir",
        "out",
        "--set",
        "selections=3",
    ];
    if !extra.contains(&"--limit") {
        args.extend_from_slice(&["--limit", "6"]);
    }
    args.extend_from_slice(extra);
    regen_in(
        dir,
        &args,
        &[
            ("OPENAI_BASE_URL", server.url.as_str()),
            ("OPENAI_API_KEY", "sk-test-SECRET-12345"),
        ],
    )
}

fn sorted_lines(p: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_to_string(p)
        .unwrap_or_default()
        .lines()
        .map(str::to_string)
        .collect();
    v.sort();
    v
}

#[test]
fn full_run_writes_training_jsonl_and_a_warm_rerun_makes_no_http_call() {
    let server = Server::start(&["--correct", "0.4"]);
    let dir = tempfile::tempdir().unwrap();
    let first = run(dir.path(), &server, &[]);
    assert_eq!(first.code, 0, "{}\n{}", first.stdout, first.stderr);
    let calls = server.requests();
    // 6 questions × (3 selections + 28 adaptations + 28 structures + 28 paths + 28 judge) at most.
    assert!(calls > 0 && calls <= 6 * (3 + 4 * 28) * 2, "{calls}");
    let train = dir.path().join("out/train.jsonl");
    let lines = sorted_lines(&train);
    assert!(!lines.is_empty(), "{}", first.stdout);
    for l in &lines {
        let v: serde_json::Value = serde_json::from_str(l).unwrap();
        let m = v["messages"].as_array().unwrap();
        assert_eq!(m[0]["role"], "user");
        assert_eq!(m[1]["role"], "assistant");
        // convert_format.py: the training text carries no box.
        assert!(!m[1]["content"].as_str().unwrap().contains("\\boxed{"));
        assert!(
            !l.contains("Hint"),
            "training text never shows the hint prompt"
        );
    }
    assert!(
        first.stdout.contains("wrote") && first.stdout.contains("train.jsonl"),
        "{}",
        first.stdout
    );

    let second = run(dir.path(), &server, &[]);
    assert_eq!(second.code, 0, "{}", second.stderr);
    assert_eq!(
        server.requests(),
        calls,
        "a warm re-run makes zero HTTP calls"
    );
    assert_eq!(sorted_lines(&train), lines, "same records, each once");
    assert!(
        second.stdout.contains("0 HTTP requests"),
        "{}",
        second.stdout
    );

    // --refresh re-asks one step and what depends on it.
    let third = run(dir.path(), &server, &["--refresh", "judged"]);
    assert_eq!(third.code, 0);
    assert!(server.requests() > calls);

    // The key appears nowhere: store, outputs, messages.
    for entry in walk(dir.path()) {
        let bytes = std::fs::read(&entry).unwrap();
        assert!(
            !String::from_utf8_lossy(&bytes).contains("SECRET-12345"),
            "key leaked into {}",
            entry.display()
        );
    }
    assert!(!first.stdout.contains("SECRET") && !first.stderr.contains("SECRET"));
    let runs = regen_in(dir.path(), &["runs"], &[]);
    assert!(runs.stdout.contains("regenesis"), "{}", runs.stdout);
    let show = regen_in(dir.path(), &["show", "1"], &[]);
    assert_eq!(show.code, 0);
    assert!(!show.stdout.contains("SECRET"));
}

fn walk(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = vec![];
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out
}

#[test]
fn injected_faults_lose_no_record() {
    let clean_server = Server::start(&["--correct", "0.4"]);
    let clean = tempfile::tempdir().unwrap();
    assert_eq!(run(clean.path(), &clean_server, &[]).code, 0);
    let faulty = Server::start(&[
        "--correct",
        "0.4",
        "--p429",
        "0.05",
        "--p500",
        "0.02",
        "--pmalformed",
        "0.01",
        "--pdrop",
        "0.01",
    ]);
    let dir = tempfile::tempdir().unwrap();
    let r = run(dir.path(), &faulty, &[]);
    assert_eq!(
        r.code, 0,
        "every fault retried to success:\n{}\n{}",
        r.stdout, r.stderr
    );
    assert!(r.stdout.contains("0 records failed"), "{}", r.stdout);
    assert_eq!(
        sorted_lines(&dir.path().join("out/train.jsonl")),
        sorted_lines(&clean.path().join("out/train.jsonl"))
    );
    assert!(
        faulty.requests() > clean_server.requests(),
        "faults cost retries"
    );
}

#[test]
fn permanent_failures_are_recorded_not_dropped() {
    let server = Server::start(&["--p500", "1.0"]);
    let dir = tempfile::tempdir().unwrap();
    let wf = dir.path().join("tiny.regen");
    std::fs::write(
        &wf,
        "workflow tiny\nmodel m {\n  retries = 1\n}\nsource q = jsonl(\"stdlib/data/arith-100.jsonl\")\nstep s = llm(q, prompt: \"{{ question }}\", into: path)\nsink o = jsonl(s, path: \"o.jsonl\")\n",
    )
    .unwrap();
    let r = regen_in(
        dir.path(),
        &["run", "tiny.regen", "--limit", "3", "--run-dir", "out"],
        &[("OPENAI_BASE_URL", server.url.as_str())],
    );
    assert_eq!(
        r.code, 1,
        "failures make the exit code non-zero\n{}{}",
        r.stdout, r.stderr
    );
    assert!(r.stdout.contains("http-500: 3"), "{}", r.stdout);
    let show = regen_in(dir.path(), &["show", "1", "--all"], &[]);
    assert_eq!(
        show.stdout.matches("failed: s ").count(),
        3,
        "{}",
        show.stdout
    );
    // Without --all: one line per step and reason, with the count and an example.
    let grouped = regen_in(dir.path(), &["show", "1"], &[]);
    assert!(
        grouped.stdout.contains("3 × s: http-500") && grouped.stdout.contains("e.g. q:arith-"),
        "{}",
        grouped.stdout
    );
    assert_eq!(
        grouped.stdout.matches("internal error (injected)").count(),
        1,
        "{}",
        grouped.stdout
    );
}

#[test]
fn per_question_steps_fire_before_the_last_question_is_done() {
    // correct = 0: every question goes to the hint branch, which starts only after
    // that question's `missing` fires. With no barrier, some hint call starts
    // before the last unhinted path call has been made. A small concurrency over
    // many questions makes the margin wide however loaded the machine is: with a
    // barrier, no hint call could start before all 16 × 28 paths were asked.
    let server = Server::start(&["--correct", "0", "--latency-ms", "2", "--heavy-tail"]);
    let dir = tempfile::tempdir().unwrap();
    let wf = dir.path().join("narrow.regen");
    std::fs::write(
        &wf,
        "workflow narrow\nextends \"@regenesis\"\nmodel gen {\n  concurrency = 4\n}\n",
    )
    .unwrap();
    let args = [
        "run",
        wf.to_str().unwrap(),
        "--run-dir",
        "out",
        "--set",
        "selections=3",
        "--limit",
        "16",
    ];
    let r = regen_in(
        dir.path(),
        &args,
        &[("OPENAI_BASE_URL", server.url.as_str())],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    let (first_hint, last_path) = first_hint_and_last_path(dir.path());
    eprintln!("no-barrier margin: {:.3} s", last_path - first_hint);
    assert!(
        first_hint < last_path,
        "hint retry waited for every question: first hint {first_hint}, last path {last_path}"
    );
}

#[test]
fn kill_nine_then_rerun_repeats_no_finished_call_and_writes_each_record_once() {
    let clean_server = Server::start(&["--correct", "0.3"]);
    let clean = tempfile::tempdir().unwrap();
    assert_eq!(run(clean.path(), &clean_server, &[]).code, 0);
    let distinct = clean_server.requests();

    let server = Server::start(&["--correct", "0.3", "--latency-ms", "25"]);
    let dir = tempfile::tempdir().unwrap();
    let wf = root().join("workflows/regenesis.regen");
    let mut kills = 0;
    for wait_ms in [150u64, 300, 450] {
        let mut child = Command::new(env!("CARGO_BIN_EXE_regen"))
            .args([
                "run",
                wf.to_str().unwrap(),
                "--run-dir",
                "out",
                "--limit",
                "6",
                "--set",
                "selections=3",
            ])
            .current_dir(dir.path())
            .env("OPENAI_BASE_URL", &server.url)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(std::time::Duration::from_millis(wait_ms));
        if child.try_wait().unwrap().is_none() {
            child.kill().unwrap(); // SIGKILL
            kills += 1;
        }
        let _ = child.wait();
    }
    assert!(
        kills >= 1,
        "the run finished before any kill; nothing was tested"
    );
    let db = dir.path().join(".regen/store.sqlite");
    let finished: u64 = rusqlite::Connection::open(&db)
        .unwrap()
        .query_row("SELECT COUNT(*) FROM calls", [], |r| r.get(0))
        .unwrap();
    let last = run(dir.path(), &server, &[]);
    assert_eq!(last.code, 0, "{}", last.stderr);
    assert_eq!(
        sorted_lines(&dir.path().join("out/train.jsonl")),
        sorted_lines(&clean.path().join("out/train.jsonl"))
    );
    // Every call finished before the last kill is served from the cache, not asked again.
    let hits: u64 = last
        .stdout
        .lines()
        .skip(2)
        .take_while(|l| !l.starts_with("wrote"))
        .filter_map(|l| {
            l.split_whitespace()
                .nth(3)
                .and_then(|x| x.parse::<u64>().ok())
        })
        .sum();
    assert!(
        finished > 0 && hits >= finished,
        "finished before rerun {finished}, cache hits in rerun {hits}\n{}",
        last.stdout
    );
    let _ = distinct;
    assert!(!dir.path().join("out/train.jsonl.partial").exists());
}

/// A one-step workflow asking `samples` completions per question.
fn sampling_workflow(dir: &Path, model_settings: &str, samples: u32) -> std::path::PathBuf {
    let wf = dir.join("sampling.regen");
    std::fs::write(
        &wf,
        format!(
            "workflow sampling\nmodel m {{\n{model_settings}\n}}\nsource q = jsonl(\"stdlib/data/arith-100.jsonl\")\nstep s = llm(q, prompt: \"{{{{ question }}}}\", samples: {samples}, temperature: 1.0, into: path)\nsink o = jsonl(s, path: \"o.jsonl\")\n"
        ),
    )
    .unwrap();
    wf
}

#[test]
fn samples_go_as_n_where_the_server_takes_it_and_one_by_one_where_it_refuses() {
    let takes_n = Server::start(&[]);
    let dir = tempfile::tempdir().unwrap();
    let wf = sampling_workflow(dir.path(), "  retries = 2", 4);
    let r = regen_in(
        dir.path(),
        &[
            "run",
            wf.to_str().unwrap(),
            "--limit",
            "3",
            "--run-dir",
            "out",
        ],
        &[("OPENAI_BASE_URL", &takes_n.url)],
    );
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert_eq!(takes_n.requests(), 3, "one request with n = 4 per question");
    assert_eq!(sorted_lines(&dir.path().join("out/o.jsonl")).len(), 12);

    // llama.cpp answers 400 to n > 1: regen falls back to one request per sample.
    let refuses = Server::start(&["--reject-n"]);
    let dir = tempfile::tempdir().unwrap();
    let wf = sampling_workflow(dir.path(), "  retries = 2", 4);
    let r = regen_in(
        dir.path(),
        &[
            "run",
            wf.to_str().unwrap(),
            "--limit",
            "3",
            "--run-dir",
            "out",
        ],
        &[("OPENAI_BASE_URL", &refuses.url)],
    );
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    let n = refuses.requests();
    assert!(
        (13..=15).contains(&n),
        "12 single requests plus one refusal per question at most: {n}"
    );
    assert_eq!(sorted_lines(&dir.path().join("out/o.jsonl")).len(), 12);
    // Each sample is its own cache row: a re-run asks nothing.
    let again = regen_in(
        dir.path(),
        &[
            "run",
            wf.to_str().unwrap(),
            "--limit",
            "3",
            "--run-dir",
            "out",
        ],
        &[("OPENAI_BASE_URL", &refuses.url)],
    );
    assert_eq!(again.code, 0);
    assert_eq!(refuses.requests(), n);
}

#[test]
fn requests_per_minute_paces_the_run() {
    // A rate limit is a lower bound on time, so this holds however slow the machine.
    let server = Server::start(&[]);
    let dir = tempfile::tempdir().unwrap();
    let wf = sampling_workflow(
        dir.path(),
        "  requests_per_minute = 120\n  n_per_request = false",
        1,
    );
    let t0 = std::time::Instant::now();
    let r = regen_in(
        dir.path(),
        &[
            "run",
            wf.to_str().unwrap(),
            "--limit",
            "8",
            "--run-dir",
            "out",
        ],
        &[("OPENAI_BASE_URL", &server.url)],
    );
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    // 2 per second with a burst of 2: the 8th request cannot start before 3 s.
    assert!(t0.elapsed().as_secs_f64() >= 2.9, "{:?}", t0.elapsed());
    assert_eq!(server.requests(), 8);
}

#[test]
fn barrier_mode_runs_stage_by_stage_and_writes_the_same_records() {
    // A weak model: some questions go to the hint retry.
    let server = Server::start(&["--correct", "0.01"]);
    let streaming = tempfile::tempdir().unwrap();
    assert_eq!(run(streaming.path(), &server, &[]).code, 0);
    let staged = tempfile::tempdir().unwrap();
    let r = run(staged.path(), &server, &["--barrier"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(
        sorted_lines(&staged.path().join("out/train.jsonl")),
        sorted_lines(&streaming.path().join("out/train.jsonl"))
    );
    // Stage by stage: no hint call before the last unhinted path.
    let (first_hint, last_path) = first_hint_and_last_path(staged.path());
    assert!(first_hint > last_path);
}

#[test]
fn the_sandbox_stops_symlink_escapes_and_templates_reach_no_files() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join(".git")).unwrap(); // the project's tree
    let outside = tempfile::tempdir().unwrap();
    std::fs::copy(
        root().join("stdlib/data/arith-100.jsonl"),
        outside.path().join("q.jsonl"),
    )
    .unwrap();
    std::os::unix::fs::symlink(
        outside.path().join("q.jsonl"),
        dir.path().join("data.jsonl"),
    )
    .unwrap();
    let wf = "workflow s\nmodel m {\n  endpoint = \"http://127.0.0.1:9/v1\"\n}\nsource q = jsonl(\"data.jsonl\")\nstep a = llm(q, prompt: \"{{ question }}\", into: path)\nsink o = jsonl(a, path: \"o.jsonl\")\n";
    std::fs::write(dir.path().join("s.regen"), wf).unwrap();
    let r = regen_in(dir.path(), &["lint", "s.regen"], &[]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(
        r.stderr.contains("outside-sandbox") && r.stderr.contains("outside the workflow's tree"),
        "{}",
        r.stderr
    );
    // Named on the command line, or with --allow-outside, it is allowed.
    assert_eq!(
        regen_in(dir.path(), &["lint", "--allow-outside", "s.regen"], &[]).code,
        0
    );

    // Templates render with no loader and no environment: no file, no env var reaches a prompt.
    let server = Server::start(&[]);
    let leak = "workflow t\nmodel m {\n  retries = 0\n}\nsource q = jsonl(\"q.jsonl\")\nstep a = llm(q, prompt: \"{% include '/etc/hostname' %}{{ question }}\", into: path)\nsink o = jsonl(a, path: \"o.jsonl\")\n";
    std::fs::write(dir.path().join("t.regen"), leak).unwrap();
    std::fs::copy(
        root().join("stdlib/data/arith-100.jsonl"),
        dir.path().join("q.jsonl"),
    )
    .unwrap();
    let r = regen_in(
        dir.path(),
        &["run", "t.regen", "--limit", "2", "--run-dir", "out"],
        &[("OPENAI_BASE_URL", &server.url)],
    );
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    assert!(
        r.stderr.contains("template-reads-file"),
        "the checker refuses the include: {}",
        r.stderr
    );
    assert_eq!(server.requests(), 0);
    // And the run's template environment has no loader, should one get past the checker.
    let env = regen::check::templates::environment();
    assert!(env.render_str("{% include '/etc/hostname' %}", ()).is_err());
    assert!(env.render_str("{{ env.HOME }}", ()).is_err());
}

/// When the first hinted call and the last unhinted path call were stored.
fn first_hint_and_last_path(dir: &Path) -> (f64, f64) {
    let db = rusqlite::Connection::open(dir.join(".regen/store.sqlite")).unwrap();
    // Hint prompts show the answer: "The correct final answer is …" (adapt, structure) or
    // "… the final answer, which is …" (the path).
    let hint = "(request LIKE '%The correct final answer is%' OR request LIKE '%the final answer, which is%')";
    let first_hint: f64 = db
        .query_row(
            &format!("SELECT MIN(created) FROM calls WHERE {hint}"),
            [],
            |r| r.get(0),
        )
        .unwrap();
    let last_path: f64 = db
        .query_row(&format!("SELECT MAX(created) FROM calls WHERE request LIKE '%Reasoning structure:%' AND NOT {hint}"), [], |r| r.get(0))
        .unwrap();
    (first_hint, last_path)
}

/// `REGEN_THREADS` moves a run onto tokio's multi-threaded runtime; the records
/// are the same as on the default single thread, and a value that is not a
/// number of threads is refused before anything runs.
#[test]
fn regen_threads_runs_the_same_workflow_on_worker_threads_and_refuses_a_bad_value() {
    let server = Server::start(&["--correct", "0.4"]);
    let (one, many) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let a = run(one.path(), &server, &[]);
    assert_eq!(a.code, 0, "{}\n{}", a.stdout, a.stderr);
    let wf = root().join("workflows/regenesis.regen");
    let env = [
        ("OPENAI_BASE_URL", server.url.as_str()),
        ("OPENAI_API_KEY", "sk-test"),
        ("REGEN_THREADS", "3"),
    ];
    let b = regen_in(
        many.path(),
        &[
            "run",
            wf.to_str().unwrap(),
            "--run-dir",
            "out",
            "--set",
            "selections=3",
            "--limit",
            "6",
        ],
        &env,
    );
    assert_eq!(b.code, 0, "{}\n{}", b.stdout, b.stderr);
    for sink in ["train.jsonl", "paths.jsonl"] {
        let (x, y) = (
            sorted_lines(&one.path().join("out").join(sink)),
            sorted_lines(&many.path().join("out").join(sink)),
        );
        assert!(!x.is_empty(), "{sink} has records");
        assert_eq!(x, y, "{sink}: the same records on one thread and on three");
    }
    for bad in ["0", "many", "-2"] {
        let r = regen_in(
            many.path(),
            &["run", wf.to_str().unwrap(), "--run-dir", "out2"],
            &[("REGEN_THREADS", bad)],
        );
        assert_eq!(r.code, 2, "REGEN_THREADS={bad}: {}", r.stderr);
        assert!(
            r.stderr.contains(&format!(
                "REGEN_THREADS=\"{bad}\" is not a number of threads"
            )),
            "{}",
            r.stderr
        );
        assert!(!many.path().join("out2").exists(), "nothing ran");
    }
}
