//! `regen new`: each starter project passes `regen lint` and runs on the test server.

use crate::common::*;

#[test]
fn every_starter_lints_clean_and_runs() {
    let server = Server::start(&["--correct", "0.6"]);
    for starter in ["regenesis", "star", "cot", "python-check"] {
        let dir = tempfile::tempdir().unwrap();
        let name = format!("my-{starter}");
        let made = regen_in(dir.path(), &["new", &name, "--from", starter], &[]);
        assert_eq!(made.code, 0, "{}", made.stderr);
        let project = dir.path().join(&name);
        let wf = project.join(format!("{name}.regen"));
        assert!(project.join("data/tiny.jsonl").is_file() && project.join("prompts").is_dir());

        let lint = regen_in(
            dir.path(),
            &["lint", "--deny", "warnings", wf.to_str().unwrap()],
            &[],
        );
        assert_eq!(lint.code, 0, "{starter}: {}", lint.stderr);

        let run = regen_in(
            &project,
            &[
                "run",
                wf.to_str().unwrap(),
                "--run-dir",
                "out",
                "--limit",
                "2",
            ],
            &[
                ("OPENAI_BASE_URL", server.url.as_str()),
                ("OPENAI_API_KEY", "sk-test"),
            ],
        );
        assert_eq!(run.code, 0, "{starter}: {}\n{}", run.stdout, run.stderr);
        assert!(
            project.join("out/train.jsonl").is_file(),
            "{starter}: {}",
            run.stdout
        );
    }
    // An edited project prompt is the one used: the project's prompts/ comes before the stdlib.
    let dir = tempfile::tempdir().unwrap();
    assert_eq!(
        regen_in(dir.path(), &["new", "edited", "--from", "cot"], &[]).code,
        0
    );
    std::fs::write(
        dir.path().join("edited/prompts/solve.j2"),
        "Solve {{ questionn }}",
    )
    .unwrap();
    let lint = regen_in(dir.path(), &["lint", "edited/edited.regen"], &[]);
    assert_eq!(lint.code, 1);
    assert!(
        lint.stderr.contains("unknown-field") && lint.stderr.contains("questionn"),
        "{}",
        lint.stderr
    );
}

#[test]
fn a_taken_folder_or_a_bad_name_is_refused_clearly() {
    let dir = tempfile::tempdir().unwrap();
    assert_eq!(regen_in(dir.path(), &["new", "one"], &[]).code, 0);
    let again = regen_in(dir.path(), &["new", "one"], &[]);
    assert_eq!(again.code, 2);
    assert!(again.stderr.contains("already exists"), "{}", again.stderr);
    let bad = regen_in(dir.path(), &["new", "9 lives"], &[]);
    assert_eq!(bad.code, 2);
    assert!(
        bad.stderr.contains("cannot name a workflow"),
        "{}",
        bad.stderr
    );
}
