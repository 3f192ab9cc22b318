//! `python` and `command` steps through the CLI, with the machine's real
//! python3 (and venvs from PyPI for sympy): values in and out, batches,
//! exceptions with tracebacks, a hang killed by its timeout, a worker killed
//! with SIGKILL, kill -9 of regen and a resume that calls no finished record
//! again, cache invalidation by the function file's content, and the same
//! protocol served by a Rust program and a shell script.

use crate::common::*;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// A project folder: `wf.regen`, `q.jsonl` (one row per question) and files.
pub(crate) fn project(files: &[(&str, &str)], questions: &[&str]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (name, text) in files {
        std::fs::write(dir.path().join(name), text).unwrap();
    }
    let rows: String = questions
        .iter()
        .enumerate()
        .map(|(i, q)| {
            format!(
                "{}\n",
                serde_json::json!({"question": q, "answer": i.to_string()})
            )
        })
        .collect();
    std::fs::write(dir.path().join("q.jsonl"), rows).unwrap();
    dir
}

pub(crate) fn run(dir: &Path, extra: &[&str]) -> Run {
    let mut args = vec!["run", "wf.regen", "--run-dir", "out", "--store", "s.sqlite"];
    args.extend_from_slice(extra);
    regen_in(dir, &args, &[])
}

/// A sink's records in input order: they finish in any order, and the ids
/// (`row1`, `row2`, …) say which row each is.
pub(crate) fn output(dir: &Path, file: &str) -> Vec<Value> {
    let mut rows: Vec<Value> = std::fs::read_to_string(dir.join("out").join(file))
        .unwrap_or_default()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    rows.sort_by_key(|r| {
        r["id"]
            .as_str()
            .and_then(|id| {
                id.trim_start_matches(|c: char| !c.is_ascii_digit())
                    .parse::<u64>()
                    .ok()
            })
            .unwrap_or(u64::MAX)
    });
    rows
}

/// Whether process `pid` still runs (gone, or a zombie waiting for whoever
/// adopted it to reap it, is not).
pub(crate) fn alive(pid: &str) -> bool {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    let state = stat
        .rsplit(')')
        .next()
        .unwrap_or("")
        .split_whitespace()
        .next();
    !matches!(state, None | Some("Z") | Some("X"))
}

/// (calls, cache hits) of a step in the newest run.
pub(crate) fn step_counts(dir: &Path, step: &str) -> (u64, u64) {
    let runs = regen_in(dir, &["runs", "--store", "s.sqlite"], &[]);
    let last = runs
        .stdout
        .lines()
        .filter_map(|l| l.split_whitespace().next()?.parse::<u64>().ok())
        .max()
        .expect("a run");
    let show = regen_in(
        dir,
        &["show", &last.to_string(), "--store", "s.sqlite", "--json"],
        &[],
    );
    let summary: Value = serde_json::from_str(&show.stdout).unwrap();
    let s = summary["steps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["step"] == step)
        .unwrap();
    (
        s["calls"].as_u64().unwrap(),
        s["cache_hits"].as_u64().unwrap(),
    )
}

const WORKFLOW: &str = r#"workflow functions
source q = jsonl("q.jsonl", label: answer)
step checked = python(q, function: "check.py:check", into: {size: int, lower: string}, workers: 2, timeout_s: 3)
sink out = jsonl(checked, path: "out.jsonl")
"#;

/// Requests are written ahead of the worker; long ones must not fill the
/// pipe while the worker writes a long reply that regen is not yet reading.
#[test]
fn long_records_and_long_replies_never_deadlock_the_pipes() {
    let check = r#"
def check(record):
    return {"size": len(record["question"]), "lower": record["question"].lower() * 12}
def batched(records):
    return [check(r) for r in records]
"#;
    let questions: Vec<String> = (0..24)
        .map(|i| format!("{i}{}", "x".repeat(30_000)))
        .collect();
    let qs: Vec<&str> = questions.iter().map(String::as_str).collect();
    let wf = r#"workflow long
source q = jsonl("q.jsonl", label: answer)
step one = python(q, function: "check.py:check", into: {size: int, lower: string}, workers: 1, timeout_s: 20)
step many = python(q, function: "check.py:batched", into: {size: int, lower: string}, workers: 1, batch: 4, timeout_s: 20)
sink a = jsonl(one, path: "one.jsonl")
sink b = jsonl(many, path: "many.jsonl")
"#;
    let dir = project(&[("check.py", check), ("wf.regen", wf)], &qs);
    let r = run(dir.path(), &[]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    for file in ["one.jsonl", "many.jsonl"] {
        let rows = output(dir.path(), file);
        assert_eq!(rows.len(), 24, "{file}");
        assert!(rows
            .iter()
            .all(|r| r["lower"].as_str().unwrap().len() > 360_000));
    }
}

#[test]
fn a_python_step_adds_typed_fields_per_record_and_per_batch() {
    let check = r#"
import json, os
def check(record):
    print("checking", record["question"])
    return {"size": len(record["question"]), "lower": record["question"].lower()}

def batched(records):
    with open("batches.log", "a") as f:
        f.write(f"{len(records)}\n")
    return [check(r) for r in records]
"#;
    let questions = [
        "İstanbul",
        "ΣΊΣΥΦΟΣ",
        "plain",
        "a",
        "bb",
        "ccc",
        "dddd",
        "eeeee",
        "ffffff",
    ];
    let wf = format!(
        "{WORKFLOW}step batched = python(q, function: \"check.py:batched\", into: {{size: int, lower: string}}, batch: 4)\nsink all = jsonl(batched, path: \"batched.jsonl\")\n"
    );
    let dir = project(&[("check.py", check), ("wf.regen", &wf)], &questions);
    let r = run(dir.path(), &[]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    for file in ["out.jsonl", "batched.jsonl"] {
        let rows = output(dir.path(), file);
        assert_eq!(rows.len(), questions.len(), "{file}");
        for row in rows {
            let q = row["question"].as_str().unwrap();
            // Python's own answers, through the protocol and back: `İ` lower-cases to two code points.
            assert_eq!(row["size"], q.chars().count(), "{row}");
            let lower = row["lower"].as_str().unwrap();
            if q == "İstanbul" {
                assert_eq!(lower, "i\u{307}stanbul");
            }
            if q == "ΣΊΣΥΦΟΣ" {
                assert_eq!(lower, "σίσυφος", "Python's final sigma");
            }
        }
    }
    let sizes: Vec<usize> = std::fs::read_to_string(dir.path().join("batches.log"))
        .unwrap()
        .lines()
        .map(|l| l.parse().unwrap())
        .collect();
    assert_eq!(sizes.iter().sum::<usize>(), questions.len());
    assert!(sizes.iter().all(|n| (1..=4).contains(n)), "{sizes:?}");
    // The function's prints reach the log, tagged with the step, never the protocol.
    assert!(
        r.stderr.contains("[checked] checking plain"),
        "{}",
        r.stderr
    );
    assert!(r.stdout.contains("checked "), "{}", r.stdout);
    // Everything cached: a second run calls nothing.
    let again = run(dir.path(), &[]);
    assert_eq!(again.code, 0, "{}", again.stderr);
    assert_eq!(
        step_counts(dir.path(), "checked"),
        (0, questions.len() as u64)
    );
    assert_eq!(
        step_counts(dir.path(), "batched"),
        (0, questions.len() as u64)
    );
    assert!(
        !again.stderr.contains("[checked] checking"),
        "no worker started: {}",
        again.stderr
    );
}

#[test]
fn exceptions_hangs_and_dead_workers_are_recorded_and_the_run_goes_on() {
    let check = r#"
import os, signal, time
def check(record):
    q = record["question"]
    if q == "boom":
        raise ValueError("cannot read " + q)
    if q == "hang":
        time.sleep(300)
    if q == "die once" and not os.path.exists("died.marker"):
        open("died.marker", "w").close()
        os.kill(os.getpid(), signal.SIGKILL)
    if q == "die always":
        os.kill(os.getpid(), signal.SIGKILL)
    if q == "wrong type":
        return {"size": "three", "lower": q}
    return {"size": len(q), "lower": q.lower()}
"#;
    let mut questions = vec!["boom", "hang", "die once", "die always", "wrong type"];
    let fine: Vec<String> = (0..12).map(|i| format!("fine {i}")).collect();
    questions.extend(fine.iter().map(String::as_str));
    let dir = project(&[("check.py", check), ("wf.regen", WORKFLOW)], &questions);
    let t0 = Instant::now();
    let r = run(dir.path(), &[]);
    let took = t0.elapsed();
    assert_eq!(r.code, 1, "failures exit 1: {}{}", r.stdout, r.stderr);
    assert!(
        took < Duration::from_secs(60),
        "the hang was not cut off: {took:?}"
    );
    let kept: Vec<String> = output(dir.path(), "out.jsonl")
        .iter()
        .map(|r| r["question"].as_str().unwrap().to_string())
        .collect();
    // Every healthy record, and the one whose worker died once and was replaced.
    for q in fine.iter().map(String::as_str).chain(["die once"]) {
        assert!(kept.iter().any(|k| k == q), "{q} missing from {kept:?}");
    }
    assert_eq!(kept.len(), 13, "{kept:?}");
    assert!(
        r.stdout.contains("exception: 1")
            && r.stdout.contains("timeout: 1")
            && r.stdout.contains("worker-died: 1")
            && r.stdout.contains("reply-shape: 1"),
        "{}",
        r.stdout
    );
    assert!(
        r.stderr.contains("died") && r.stderr.contains("SIGKILL"),
        "{}",
        r.stderr
    );
    let show = regen_in(
        dir.path(),
        &["show", "1", "--store", "s.sqlite", "--all"],
        &[],
    );
    for needle in [
        "ValueError: cannot read boom",
        "Traceback (most recent call last)",
        "check.py\", line 6, in check",
        "longer than 3s",
        "killed by signal 9",
        "`size`: expected an int, found \"three\"",
    ] {
        assert!(
            show.stdout.contains(needle),
            "`{needle}` not in:\n{}",
            show.stdout
        );
    }
}

#[test]
fn kill_9_mid_run_then_resume_calls_no_finished_record_again() {
    let check = r#"
import os, time
def check(record):
    with open("pids.log", "a") as f:
        f.write(f"{os.getpid()}\n")
    with open("calls.log", "a") as f:
        f.write(record["question"] + "\n")
    time.sleep(0.15)
    return {"size": len(record["question"]), "lower": record["question"].lower()}
"#;
    let questions: Vec<String> = (0..40).map(|i| format!("q{i}")).collect();
    let qs: Vec<&str> = questions.iter().map(String::as_str).collect();
    let dir = project(&[("check.py", check), ("wf.regen", WORKFLOW)], &qs);
    let mut child = Command::new(env!("CARGO_BIN_EXE_regen"))
        .args(["run", "wf.regen", "--run-dir", "out", "--store", "s.sqlite"])
        .current_dir(dir.path())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let calls = dir.path().join("calls.log");
    let t0 = Instant::now();
    while std::fs::read_to_string(&calls).map_or(0, |s| s.lines().count()) < 10 {
        assert!(
            t0.elapsed() < Duration::from_secs(60),
            "the run never started"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    let before = std::fs::read_to_string(&calls).unwrap().lines().count();
    // No worker outlives a regen killed with -9.
    std::thread::sleep(Duration::from_millis(500));
    let pids = std::fs::read_to_string(dir.path().join("pids.log")).unwrap();
    for pid in pids.lines().collect::<std::collections::BTreeSet<_>>() {
        assert!(!alive(pid), "worker {pid} outlived regen");
    }
    // Finished = in the store when regen died.
    let finished: std::collections::BTreeSet<String> = {
        let db = rusqlite::Connection::open(dir.path().join("s.sqlite")).unwrap();
        let mut q = db.prepare("SELECT request FROM calls").unwrap();
        let rows = q.query_map([], |r| r.get::<_, String>(0)).unwrap();
        rows.map(|r| {
            let key: Value = serde_json::from_str(&r.unwrap()).unwrap();
            key["input"]["question"].as_str().unwrap().to_string()
        })
        .collect()
    };
    assert!(!finished.is_empty(), "nothing was stored before the kill");
    let r = run(dir.path(), &[]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert_eq!(output(dir.path(), "out.jsonl").len(), 40);
    let log = std::fs::read_to_string(&calls).unwrap();
    let again: Vec<&str> = log.lines().skip(before).collect();
    let repeated: Vec<&&str> = again.iter().filter(|q| finished.contains(**q)).collect();
    assert!(
        repeated.is_empty(),
        "finished records called again: {repeated:?}"
    );
    // Each record called at most twice (once more if it was running at the kill).
    let mut seen = std::collections::BTreeMap::<&str, usize>::new();
    for q in log.lines() {
        *seen.entry(q).or_default() += 1;
    }
    assert!(seen.values().all(|n| *n <= 2), "{seen:?}");
    let (calls_made, hits) = step_counts(dir.path(), "checked");
    assert_eq!(calls_made + hits, 40);
    assert_eq!(hits as usize, finished.len());
}

#[test]
fn a_changed_function_file_redoes_only_its_own_step() {
    let a = "def f(record):\n    return {\"a\": 1}\n";
    let b = "def g(record):\n    return {\"b\": 2}\n";
    let wf = r#"workflow two
source q = jsonl("q.jsonl", label: answer)
step first = python(q, function: "a.py:f", into: {a: int})
step second = python(first, function: "b.py:g", into: {b: int})
step third = python(second, function: "a.py:f", into: {a: int}, pure: false)
sink out = jsonl(third, path: "out.jsonl")
"#;
    let dir = project(
        &[("a.py", a), ("b.py", b), ("wf.regen", wf)],
        &["x", "y", "z"],
    );
    assert_eq!(run(dir.path(), &[]).code, 0);
    std::fs::write(
        dir.path().join("b.py"),
        "def g(record):\n    return {\"b\": 3}\n",
    )
    .unwrap();
    let r = run(dir.path(), &[]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(
        step_counts(dir.path(), "first"),
        (0, 3),
        "a.py did not change"
    );
    assert_eq!(step_counts(dir.path(), "second"), (3, 0), "b.py changed");
    assert_eq!(
        step_counts(dir.path(), "third"),
        (3, 0),
        "pure: false is never cached"
    );
    assert!(output(dir.path(), "out.jsonl").iter().all(|r| r["b"] == 3));
    // --refresh asks again what the cache holds.
    let r = run(dir.path(), &["--refresh", "first"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(step_counts(dir.path(), "first"), (3, 0));
}

#[test]
fn on_error_stop_and_a_module_that_does_not_import_stop_the_run() {
    let check = "def check(record):\n    raise RuntimeError('no')\n";
    let wf = WORKFLOW.replace("timeout_s: 3)", "timeout_s: 3, on_error: stop)");
    let dir = project(&[("check.py", check), ("wf.regen", &wf)], &["a", "b", "c"]);
    let r = run(dir.path(), &[]);
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    assert!(
        r.stdout.contains("on_error: stop") || r.stderr.contains("on_error: stop"),
        "{}{}",
        r.stdout,
        r.stderr
    );

    let broken =
        "import no_such_module_regen\ndef check(record):\n    return {'size': 1, 'lower': 'x'}\n";
    let dir = project(&[("check.py", broken), ("wf.regen", WORKFLOW)], &["a", "b"]);
    let r = run(dir.path(), &[]);
    assert_eq!(
        r.code, 4,
        "a program that cannot start stops the run: {}{}",
        r.stdout, r.stderr
    );
    let all = format!("{}{}", r.stdout, r.stderr);
    assert!(
        all.contains("ModuleNotFoundError") && all.contains("no_such_module_regen"),
        "{all}"
    );
    // Nothing ran, so nothing failed: the fixed module resumes the run.
    std::fs::write(
        dir.path().join("check.py"),
        "def check(record):\n    return {'size': 1, 'lower': 'x'}\n",
    )
    .unwrap();
    assert_eq!(run(dir.path(), &[]).code, 0);
}

/// The Rust program built beside regen (`cargo test` builds examples).
fn protocol_peer() -> PathBuf {
    let bin = PathBuf::from(env!("CARGO_BIN_EXE_regen"));
    let peer = bin.parent().unwrap().join("examples/protocol-peer");
    assert!(peer.exists(), "{} (cargo build --examples)", peer.display());
    peer
}

#[test]
fn a_command_step_in_rust_passes_the_same_protocol_tests() {
    let peer = protocol_peer();
    let wf = format!(
        r#"workflow peer
source q = jsonl("q.jsonl", label: answer)
step one = command(q, run: ["{p}"], into: {{chars: int, upper: string}}, workers: 2, timeout_s: 2)
sink out = jsonl(one, path: "one.jsonl")
step many = command(q, run: ["{p}"], into: {{chars: int, upper: string}}, batch: 3, fields: [question])
sink all = jsonl(many, path: "many.jsonl")
"#,
        p = peer.display()
    );
    let mut questions = vec!["boom", "hang", "die"];
    let fine: Vec<String> = (0..7).map(|i| format!("ünïcode {i}")).collect();
    questions.extend(fine.iter().map(String::as_str));
    let dir = project(&[("wf.regen", &wf)], &questions);
    let r = run(dir.path(), &["--limit", "10"]);
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    let one = output(dir.path(), "one.jsonl");
    assert_eq!(one.len(), 7, "{one:?}");
    assert!(one
        .iter()
        .all(|r| r["upper"].as_str().unwrap().starts_with("ÜNÏCODE")));
    assert!(
        r.stdout.contains("exception: 1")
            && r.stdout.contains("timeout: 1")
            && r.stdout.contains("worker-died: 1"),
        "{}",
        r.stdout
    );
    assert!(
        r.stderr.contains("protocol-peer serving step"),
        "stderr reaches the log: {}",
        r.stderr
    );
    let show = regen_in(
        dir.path(),
        &["show", "1", "--store", "s.sqlite", "--all"],
        &[],
    );
    assert!(
        show.stdout.contains("Boom: cannot handle \"boom\""),
        "{}",
        show.stdout
    );
}

#[test]
fn the_shell_example_speaks_the_protocol() {
    let wf = r#"workflow shell
source q = jsonl("q.jsonl", label: answer)
step boxed = command(q, run: ["sh", "stdlib/commands/has_boxed.sh"], fields: [question], into: {has_box: bool})
sink out = jsonl(boxed, path: "out.jsonl")
"#;
    let dir = project(
        &[("wf.regen", wf)],
        &["so \\boxed{4}", "no box", "\"quoted\" \\boxed{x}"],
    );
    let r = run(dir.path(), &[]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    let rows = output(dir.path(), "out.jsonl");
    let has: Vec<bool> = rows
        .iter()
        .map(|r| r["has_box"].as_bool().unwrap())
        .collect();
    assert_eq!(has, [true, false, true]);
}

#[test]
fn math_equal_uses_sympy_when_the_venv_has_it_and_says_when_it_does_not() {
    let wf = |python: &Path| {
        format!(
            r#"workflow sympy
python = "{}"
source q = jsonl("q.jsonl", label: answer, fields: {{question: "question", predicted: "predicted", answer: "answer"}})
step matched = python(q, function: "stdlib/python/math_equal.py:equal", fields: [predicted, answer], into: {{same: bool, how: string}})
sink out = jsonl(matched, path: "out.jsonl")
"#,
            python.display()
        )
    };
    let rows = [
        (r"\frac{1}{2}", "0.5", true),
        (r"2\sqrt{2}", r"\sqrt{8}", true),
        (r"\dfrac{3}{4}", "0.7", false),
        ("1,000", "1000", true),
    ];
    let data: String = rows
        .iter()
        .map(|(p, a, _)| {
            format!(
                "{}\n",
                serde_json::json!({"question": "q", "predicted": p, "answer": a})
            )
        })
        .collect();
    let venv = pip_venv("regen-test-sympy", &["sympy"]).expect("a venv with sympy from PyPI");
    let bare = std::env::temp_dir().join("regen-test-no-sympy");
    setup_step(Command::new("python3").args(["-m", "venv"]).arg(&bare)).expect("a bare venv");
    for (python, with_sympy) in [
        (venv.join("bin/python"), true),
        (bare.join("bin/python"), false),
    ] {
        let dir = project(&[("wf.regen", &wf(&python))], &[]);
        std::fs::write(dir.path().join("q.jsonl"), &data).unwrap();
        let r = run(dir.path(), &[]);
        assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
        let out = output(dir.path(), "out.jsonl");
        for (row, (p, a, same)) in out.iter().zip(rows) {
            let how = row["how"].as_str().unwrap();
            if with_sympy {
                assert_eq!(row["same"], same, "{p} vs {a}: {row}");
                assert!(!how.contains("not installed"), "{row}");
            } else {
                assert!(how.contains("not installed") || how == "same text", "{row}");
            }
        }
        if !with_sympy {
            assert!(r.stderr.contains("sympy is not installed"), "{}", r.stderr);
            // Without sympy, 1/2 and 0.5 still agree as numbers.
            assert_eq!(out[0]["same"], true, "{:?}", out[0]);
        }
    }
}
