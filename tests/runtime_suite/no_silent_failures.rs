//! Errors a run cannot handle become recorded failures and a non-zero exit:
//! a sink that cannot be written, a run store that cannot be written, and a
//! `user:` template that fails at run time.

use crate::common::*;
use std::path::Path;

fn workflow(dir: &Path, sink_path: &str, user: &str) {
    std::fs::write(
        dir.join("w.regen"),
        format!(
            "workflow w\nmodel m {{\n  endpoint = env(\"OPENAI_BASE_URL\", \"http://127.0.0.1:1/v1\")\n}}\n\
             source q = jsonl(\"stdlib/data/arith-100.jsonl\")\nstep s = llm(q, prompt: \"{{{{ question }}}}\", into: path)\n\
             sink train = jsonl(s, path: \"{sink_path}\", format: chat, user: \"{user}\")\n"
        ),
    )
    .unwrap();
}

/// Run as an unprivileged user when we are root (root ignores file modes).
fn as_nobody() -> Option<Vec<String>> {
    let root = std::process::Command::new("id")
        .arg("-u")
        .output()
        .ok()?
        .stdout
        == b"0\n";
    let setpriv = std::process::Command::new("setpriv")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    (root && setpriv).then(|| {
        [
            "setpriv",
            "--reuid=65534",
            "--regid=65534",
            "--clear-groups",
        ]
        .map(String::from)
        .to_vec()
    })
}

fn run_as(prefix: &[String], dir: &Path, args: &[&str], url: &str) -> Run {
    let out = std::process::Command::new(&prefix[0])
        .args(&prefix[1..])
        .arg(env!("CARGO_BIN_EXE_regen"))
        .args(args)
        .current_dir(dir)
        .env("OPENAI_BASE_URL", url)
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into(),
        stderr: String::from_utf8_lossy(&out.stderr).into(),
    }
}

#[test]
fn a_sink_that_cannot_be_written_stops_the_run_before_its_first_call() {
    let server = Server::start(&["--correct", "1.0"]);
    // Its folder is a file: the sink cannot be opened.
    let dir = tempfile::tempdir().unwrap();
    workflow(dir.path(), "blocked/train.jsonl", "{{ question }}");
    std::fs::create_dir_all(dir.path().join("out")).unwrap();
    std::fs::write(dir.path().join("out/blocked"), "a file, not a folder").unwrap();
    let r = regen_in(
        dir.path(),
        &["run", "w.regen", "--limit", "3", "--run-dir", "out"],
        &[("OPENAI_BASE_URL", server.url.as_str())],
    );
    assert_eq!(r.code, 2, "{}{}", r.stdout, r.stderr);
    assert!(
        r.stderr.contains("sink `train` cannot write")
            && r.stderr.contains("is a file, not a folder"),
        "{}",
        r.stderr
    );
    assert_eq!(
        server.requests(),
        0,
        "nothing is spent on a run that cannot write its output"
    );

    // A read-only folder, as a user who cannot write there.
    let Some(nobody) = as_nobody() else {
        println!("not root with setpriv: the read-only folder case did not run");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    workflow(dir.path(), "train.jsonl", "{{ question }}");
    std::fs::create_dir_all(dir.path().join("out")).unwrap();
    std::fs::create_dir_all(dir.path().join(".regen")).unwrap();
    let chown = |p: &Path| {
        std::process::Command::new("chown")
            .args(["-R", "65534:65534"])
            .arg(p)
            .status()
            .unwrap()
    };
    assert!(chown(dir.path()).success());
    std::process::Command::new("chmod")
        .arg("555")
        .arg(dir.path().join("out"))
        .status()
        .unwrap();
    let r = run_as(
        &nobody,
        dir.path(),
        &["run", "w.regen", "--limit", "3", "--run-dir", "out"],
        &server.url,
    );
    assert_eq!(r.code, 2, "{}{}", r.stdout, r.stderr);
    assert!(
        r.stderr.contains("cannot write") && r.stderr.contains("Permission denied"),
        "{}",
        r.stderr
    );
    assert!(!dir.path().join("out/train.jsonl").exists());
    assert_eq!(server.requests(), 0);
}

#[test]
fn a_user_template_that_fails_at_run_time_writes_no_empty_turn() {
    let server = Server::start(&["--correct", "1.0"]);
    let dir = tempfile::tempdir().unwrap();
    // The checker sees that `question` reaches the sink, not that it has no `first_line`.
    workflow(dir.path(), "train.jsonl", "{{ question.first_line }}");
    let r = regen_in(
        dir.path(),
        &["run", "w.regen", "--limit", "3", "--run-dir", "out"],
        &[("OPENAI_BASE_URL", server.url.as_str())],
    );
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    assert!(r.stdout.contains("template: 3"), "{}", r.stdout);
    let train = std::fs::read_to_string(dir.path().join("out/train.jsonl")).unwrap();
    assert_eq!(train, "", "no line with an empty user turn");
    let show = regen_in(dir.path(), &["show", "1"], &[]);
    assert!(
        show.stdout.contains("3 × train: template")
            && show.stdout.contains("the `user:` template failed"),
        "{}",
        show.stdout
    );
}

#[test]
fn a_run_store_that_cannot_be_written_stops_with_its_reason() {
    let Some(nobody) = as_nobody() else {
        println!(
            "not root with setpriv: a read-only store cannot be made here; the check did not run"
        );
        return;
    };
    let server = Server::start(&["--correct", "1.0"]);
    let dir = tempfile::tempdir().unwrap();
    workflow(dir.path(), "train.jsonl", "{{ question }}");
    // A store from an earlier run, then made read-only.
    let first = regen_in(
        dir.path(),
        &["run", "w.regen", "--limit", "2", "--run-dir", "out"],
        &[("OPENAI_BASE_URL", server.url.as_str())],
    );
    assert_eq!(first.code, 0, "{}", first.stderr);
    assert!(std::process::Command::new("chown")
        .args(["-R", "65534:65534"])
        .arg(dir.path())
        .status()
        .unwrap()
        .success());
    std::process::Command::new("chmod")
        .arg("444")
        .arg(dir.path().join(".regen/store.sqlite"))
        .status()
        .unwrap();
    let r = run_as(
        &nobody,
        dir.path(),
        &["run", "w.regen", "--limit", "3", "--run-dir", "out"],
        &server.url,
    );
    assert_ne!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert!(r.stderr.contains("readonly database"), "{}", r.stderr);
}
