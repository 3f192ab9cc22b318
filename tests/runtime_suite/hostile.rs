//! The defects a hostile user found (issue 27), each through the CLI as a
//! user meets it: a panic reported as success, a key echoed by a server, a
//! sink escaping through a symlink, a failed run over a good output, operator
//! chains that overflow the stack, blank labels, huge lines, a sink whose
//! folder is a file.

use crate::common::*;
use std::path::Path;

const SECRET: &str = "sk-hostile-0123456789abcdef";

/// Three questions → a model call → extract → keep → two sinks, and the
/// questions nothing kept (`missing`), as the hint pass receives them.
fn workflow(dir: &Path, data: &Path) {
    workflow_with(dir, data, "");
}

/// The same, with more arguments to the source (`, on_bad_row: skip`).
fn workflow_with(dir: &Path, data: &Path, source_args: &str) {
    std::fs::write(
        dir.join("w.regen"),
        format!(
            "workflow w\nmodel m {{\n  endpoint = env(\"OPENAI_BASE_URL\", \"http://127.0.0.1:1/v1\")\n  n_per_request = false\n}}\n\
             source q = jsonl(\"{}\"{source_args})\n\
             step s = llm(q, prompt: \"{{{{ question }}}}\", into: path)\n\
             step a = extract(s, from: path, answer: number, into: predicted)\n\
             step k = keep(a, where: predicted != \"none\")\n\
             step u = missing(q, from: k)\n\
             sink out = jsonl(k, path: \"out.jsonl\", fields: [id, predicted])\n\
             sink unsolved = jsonl(u, path: \"unsolved.jsonl\", fields: [id])\n",
            data.display()
        ),
    )
    .unwrap();
}

fn first_rows(dir: &Path, n: usize) -> std::path::PathBuf {
    let text = std::fs::read_to_string(root().join("stdlib/data/arith-100.jsonl")).unwrap();
    let p = dir.join("data.jsonl");
    std::fs::write(
        &p,
        text.lines()
            .take(n)
            .map(|l| format!("{l}\n"))
            .collect::<String>(),
    )
    .unwrap();
    p
}

#[test]
fn a_panic_on_one_record_is_a_recorded_failure_never_ok() {
    let server = Server::start(&["--correct", "1.0"]);
    let dir = tempfile::tempdir().unwrap();
    let data = first_rows(dir.path(), 3);
    workflow(dir.path(), &data);
    let env = [
        ("OPENAI_BASE_URL", server.url.as_str()),
        ("REGEN_TEST_PANIC", "a:arith-0001"),
    ];
    let r = regen_in(
        dir.path(),
        &["run", "w.regen", "--run-dir", "out", "--progress", "none"],
        &env,
    );
    assert_eq!(
        r.code, 1,
        "a panic must not end in exit 0\n{}\n{}",
        r.stdout, r.stderr
    );
    assert!(r.stdout.contains("internal-error: 1"), "{}", r.stdout);
    let out = std::fs::read_to_string(dir.path().join("out/out.jsonl")).unwrap();
    assert_eq!(out.lines().count(), 2, "{out}");
    // The lost question goes on as unsolved (to the hint pass), not lost.
    let unsolved = std::fs::read_to_string(dir.path().join("out/unsolved.jsonl")).unwrap();
    assert_eq!(unsolved.trim(), "{\"id\":\"arith-0001\"}", "{unsolved}");
    let runs = regen_in(dir.path(), &["runs"], &[]);
    assert!(
        runs.stdout.contains("failures") && !runs.stdout.contains(" ok "),
        "{}",
        runs.stdout
    );
    let show = regen_in(dir.path(), &["show", "1"], &[]);
    assert!(
        show.stdout.contains("internal-error") && show.stdout.contains("injected test panic"),
        "{}",
        show.stdout
    );

    // A panic that poisons the step's failure counts: they are read all the same.
    let env = [
        ("OPENAI_BASE_URL", server.url.as_str()),
        ("REGEN_TEST_PANIC", "a:arith-0001:poison"),
    ];
    let r = regen_in(
        dir.path(),
        &["run", "w.regen", "--run-dir", "out3", "--progress", "none"],
        &env,
    );
    assert_eq!(
        r.code, 1,
        "a poisoned counter must not read as zero failures\n{}\n{}",
        r.stdout, r.stderr
    );
    assert!(r.stdout.contains("internal-error: 1"), "{}", r.stdout);

    // The same panic inside a model call: the step does not wait forever for it.
    let env = [
        ("OPENAI_BASE_URL", server.url.as_str()),
        ("REGEN_TEST_PANIC", "s:arith-0002"),
    ];
    let r = regen_in(
        dir.path(),
        &["run", "w.regen", "--run-dir", "out2", "--progress", "none"],
        &env,
    );
    assert_eq!(r.code, 1, "{}\n{}", r.stdout, r.stderr);
    assert!(r.stdout.contains("internal-error: 1"), "{}", r.stdout);
}

#[test]
fn a_key_echoed_in_every_kind_of_error_body_never_reaches_the_terminal() {
    let dir = tempfile::tempdir().unwrap();
    let data = first_rows(dir.path(), 6);
    workflow(dir.path(), &data);
    let check = |r: &Run, what: &str| {
        assert!(
            !r.stdout.contains(SECRET) && !r.stderr.contains(SECRET),
            "{what}: the key leaked\n{}\n{}",
            r.stdout,
            r.stderr
        );
        assert!(
            !r.stdout.contains("hostile-0123") && !r.stderr.contains("hostile-0123"),
            "{what}: part of the key leaked"
        );
    };
    // 500, 429, malformed and wrong-schema bodies, each echoing the key; every call is retried to success.
    let faulty = Server::start(&[
        "--echo-key",
        "--p500",
        "0.15",
        "--pmalformed",
        "0.1",
        "--pschema",
        "0.1",
        "--p429",
        "0.03",
        "--correct",
        "1.0",
    ]);
    let env = [
        ("OPENAI_BASE_URL", faulty.url.as_str()),
        ("OPENAI_API_KEY", SECRET),
    ];
    for verbose in [false, true] {
        let mut args = vec!["run", "w.regen", "--run-dir", "out", "--progress", "none"];
        if verbose {
            args.push("--verbose");
        }
        let r = regen_in(dir.path(), &args, &env);
        check(&r, "faults");
        assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
        if !verbose {
            // Retried and then answered: nothing failed, so nothing says "error".
            assert!(
                !r.stderr.contains("error"),
                "a retry that succeeded printed an error:\n{}",
                r.stderr
            );
            assert!(r.stdout.contains("requests sent again"), "{}", r.stdout);
        }
    }
    let show = regen_in(dir.path(), &["show", "1", "--samples", "3"], &[]);
    check(&show, "show");
    // 401 (a key the server refuses) and 404 (a model it does not serve), both echoing the key.
    let refusing = Server::start(&["--echo-key", "--require-key", "another-key"]);
    let r = regen_in(
        dir.path(),
        &[
            "run",
            "w.regen",
            "--run-dir",
            "o401",
            "--store",
            "s401.sqlite",
        ],
        &[
            ("OPENAI_BASE_URL", refusing.url.as_str()),
            ("OPENAI_API_KEY", SECRET),
        ],
    );
    assert_ne!(r.code, 0);
    check(&r, "401");
    let no_model = Server::start(&["--echo-key", "--models", "other"]);
    let r = regen_in(
        dir.path(),
        &[
            "run",
            "w.regen",
            "--run-dir",
            "o404",
            "--store",
            "s404.sqlite",
        ],
        &[
            ("OPENAI_BASE_URL", no_model.url.as_str()),
            ("OPENAI_API_KEY", SECRET),
        ],
    );
    assert_ne!(r.code, 0);
    check(&r, "404");
}

#[test]
fn a_symlink_inside_the_run_folder_cannot_take_a_sink_outside() {
    let server = Server::start(&[]);
    let dir = tempfile::tempdir().unwrap();
    let elsewhere = tempfile::tempdir().unwrap();
    let data = first_rows(dir.path(), 2);
    workflow(dir.path(), &data);
    let wf = std::fs::read_to_string(dir.path().join("w.regen"))
        .unwrap()
        .replace("path: \"out.jsonl\"", "path: \"sub/out.jsonl\"");
    std::fs::write(dir.path().join("w.regen"), wf).unwrap();
    std::fs::create_dir_all(dir.path().join("runs/evil")).unwrap();
    std::os::unix::fs::symlink(elsewhere.path(), dir.path().join("runs/evil/sub")).unwrap();
    let lint = regen_in(dir.path(), &["lint", "w.regen"], &[]);
    assert_eq!(lint.code, 0, "{}", lint.stderr);
    let r = regen_in(
        dir.path(),
        &["run", "w.regen", "--run-dir", "runs/evil"],
        &[("OPENAI_BASE_URL", server.url.as_str())],
    );
    assert_eq!(r.code, 2, "{}\n{}", r.stdout, r.stderr);
    assert!(
        r.stderr.contains("outside the run folder") && r.stderr.contains("symlink"),
        "{}",
        r.stderr
    );
    assert_eq!(
        std::fs::read_dir(elsewhere.path()).unwrap().count(),
        0,
        "nothing written outside"
    );
    assert_eq!(server.requests(), 0, "refused before the first call");
    // A partial file planted as a symlink is refused too.
    std::fs::remove_file(dir.path().join("runs/evil/sub")).unwrap();
    std::fs::create_dir_all(dir.path().join("runs/evil/sub")).unwrap();
    std::os::unix::fs::symlink(
        elsewhere.path().join("x"),
        dir.path().join("runs/evil/sub/out.jsonl.partial"),
    )
    .unwrap();
    let r = regen_in(
        dir.path(),
        &["run", "w.regen", "--run-dir", "runs/evil"],
        &[("OPENAI_BASE_URL", server.url.as_str())],
    );
    assert_eq!(r.code, 2, "{}\n{}", r.stdout, r.stderr);
    assert!(!elsewhere.path().join("x").exists());
}

#[test]
fn a_failed_run_leaves_the_previous_complete_output_as_it_was() {
    let server = Server::start(&["--correct", "1.0"]);
    let dir = tempfile::tempdir().unwrap();
    let data = first_rows(dir.path(), 10);
    workflow(dir.path(), &data);
    let env = [("OPENAI_BASE_URL", server.url.as_str())];
    let good = regen_in(
        dir.path(),
        &["run", "w.regen", "--run-dir", "out", "--progress", "none"],
        &env,
    );
    assert_eq!(good.code, 0, "{}", good.stderr);
    let before = std::fs::read_to_string(dir.path().join("out/out.jsonl")).unwrap();
    assert_eq!(before.lines().count(), 10);

    // A data error at row 7 (exit 2): the previous 10 lines stay, and the partial file is named.
    let mut text = std::fs::read_to_string(&data).unwrap();
    text = text
        .lines()
        .enumerate()
        .map(|(i, l)| {
            if i == 6 {
                "{\"id\": broken\n".to_string()
            } else {
                format!("{l}\n")
            }
        })
        .collect();
    std::fs::write(&data, text).unwrap();
    let bad = regen_in(
        dir.path(),
        &["run", "w.regen", "--run-dir", "out", "--progress", "none"],
        &env,
    );
    assert_eq!(bad.code, 2, "{}\n{}", bad.stdout, bad.stderr);
    assert_eq!(
        std::fs::read_to_string(dir.path().join("out/out.jsonl")).unwrap(),
        before
    );
    assert!(
        bad.stderr.contains("the previous file is unchanged")
            && bad.stderr.contains("out.jsonl.partial"),
        "{}",
        bad.stderr
    );
    // The stored summary says the run ended in error, and why (run 2: the good run was 1).
    let show = regen_in(dir.path(), &["show", "2"], &env);
    assert!(
        show.stdout.contains("the run ended in error") && show.stdout.contains(":7"),
        "{}\n{}",
        show.stdout,
        show.stderr
    );
    let json = regen_in(dir.path(), &["show", "2", "--json"], &env);
    let stored: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    assert_eq!(stored["status"], "error", "{}", json.stdout);
    assert!(stored["error"]
        .as_str()
        .is_some_and(|e| e.contains("not valid JSON")));

    // A dead endpoint with a fresh store (exit 4): the same.
    let dead = regen_in(
        dir.path(),
        &[
            "run",
            "w.regen",
            "--run-dir",
            "out",
            "--store",
            "fresh.sqlite",
            "--progress",
            "none",
            "--limit",
            "5",
        ],
        &[("OPENAI_BASE_URL", "http://127.0.0.1:1/v1")],
    );
    assert_eq!(dead.code, 4, "{}\n{}", dead.stdout, dead.stderr);
    assert_eq!(
        std::fs::read_to_string(dir.path().join("out/out.jsonl")).unwrap(),
        before
    );
    assert!(dead.stdout.contains("was not replaced"), "{}", dead.stdout);
}

#[test]
fn a_sink_whose_folder_is_a_file_stops_before_the_first_call() {
    let server = Server::start(&[]);
    let dir = tempfile::tempdir().unwrap();
    let data = first_rows(dir.path(), 3);
    workflow(dir.path(), &data);
    let wf = std::fs::read_to_string(dir.path().join("w.regen"))
        .unwrap()
        .replace("path: \"out.jsonl\"", "path: \"sub/out.jsonl\"");
    std::fs::write(dir.path().join("w.regen"), wf).unwrap();
    std::fs::create_dir_all(dir.path().join("out")).unwrap();
    std::fs::write(dir.path().join("out/sub"), "a file").unwrap();
    let r = regen_in(
        dir.path(),
        &["run", "w.regen", "--run-dir", "out"],
        &[("OPENAI_BASE_URL", server.url.as_str())],
    );
    assert_eq!(r.code, 2, "{}\n{}", r.stdout, r.stderr);
    assert!(r.stderr.contains("is a file, not a folder"), "{}", r.stderr);
    assert!(
        !r.stderr.contains("os error 17") && !r.stdout.contains("wrote 0 records"),
        "{}{}",
        r.stdout,
        r.stderr
    );
    assert_eq!(server.requests(), 0);
}

#[test]
fn a_blank_label_is_a_bad_row() {
    let server = Server::start(&["--correct", "1.0"]);
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data.jsonl");
    std::fs::write(
        &data,
        "{\"id\": \"a\", \"question\": \"Pick one.\", \"answer\": \"   \"}\n{\"id\": \"b\", \"question\": \"2+2?\", \"answer\": \"4\"}\n",
    )
    .unwrap();
    workflow(dir.path(), &data);
    let env = [("OPENAI_BASE_URL", server.url.as_str())];
    let r = regen_in(dir.path(), &["run", "w.regen", "--run-dir", "out"], &env);
    assert_eq!(r.code, 2, "{}\n{}", r.stdout, r.stderr);
    assert!(
        r.stderr.contains("data.jsonl:1")
            && r.stderr.contains("label `answer`")
            && r.stderr.contains("blank"),
        "{}",
        r.stderr
    );
    workflow_with(dir.path(), &data, ", on_bad_row: skip");
    let r = regen_in(dir.path(), &["run", "w.regen", "--run-dir", "out"], &env);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    assert!(
        r.stdout.contains("skipped 1 bad dataset rows"),
        "{}",
        r.stdout
    );
}

#[test]
fn operator_chains_thousands_deep_are_diagnostics_not_stack_overflows() {
    let dir = tempfile::tempdir().unwrap();
    let chains = [
        ("nots", format!("{}true", "not ".repeat(10_000))),
        ("negs", format!("{}1 > 0", "-".repeat(7_000))),
        ("sum", format!("{}1 > 0", "1+".repeat(8_000))),
        (
            "mixed",
            format!(
                "{}1{} > 0",
                "(not -1 + 1 + 1 + 1 + 1 + 1 + 1 + 1 + ".repeat(60),
                ")".repeat(60)
            ),
        ),
    ];
    for (name, chain) in chains {
        let f = dir.path().join(format!("{name}.regen"));
        std::fs::write(
            &f,
            format!("workflow deep\nmodel m {{}}\nsource q = jsonl(\"d.jsonl\")\nstep k = keep(q, where: {chain})\nsink o = jsonl(k, path: \"o.jsonl\")\n"),
        )
        .unwrap();
        for cmd in [
            &["lint"][..],
            &["fmt", "--check"][..],
            &["plan"][..],
            &["run"][..],
        ] {
            let mut args: Vec<&str> = cmd.to_vec();
            args.push(f.to_str().unwrap());
            let r = regen_in(dir.path(), &args, &[]);
            assert!(
                r.code == 1 || r.code == 2,
                "{name} {cmd:?}: exit {} (134 is a stack overflow)\n{}",
                r.code,
                r.stderr
            );
            assert!(
                r.stderr.contains("expression-too-deep")
                    || r.stdout.contains("expression-too-deep"),
                "{name} {cmd:?}\n{}",
                r.stderr
            );
        }
    }
}

#[test]
fn a_diagnostic_on_a_two_megabyte_line_shows_a_window_of_it() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("huge.regen");
    let filler = "x".repeat(2_000_000);
    std::fs::write(&f, format!("workflow huge\nmodel m {{}}\nsource q = jsonl(\"d.jsonl\")\nstep s = llm(q, prompt: \"{filler}\", into: p, samples: -1)\nsink o = jsonl(s, path: \"o.jsonl\")\n")).unwrap();
    let r = regen_in(dir.path(), &["lint", "huge.regen"], &[]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    let shown = r.stdout.len() + r.stderr.len();
    assert!(
        shown < 20_000,
        "{shown} bytes of diagnostics for one mistake"
    );
    assert!(
        (r.stdout.clone() + &r.stderr).contains("huge.regen:4:"),
        "{}{}",
        r.stdout,
        r.stderr
    );
    assert!(
        (r.stdout.clone() + &r.stderr).contains("samples"),
        "{}{}",
        r.stdout,
        r.stderr
    );
}

#[test]
fn parquet_and_same_named_sinks_keep_their_temporary_files_to_themselves() {
    let server = Server::start(&["--correct", "1.0"]);
    let dir = tempfile::tempdir().unwrap();
    let outside = tempfile::tempdir().unwrap();
    let data = first_rows(dir.path(), 3);
    let wf = |sinks: &str| {
        format!(
            "workflow s\nmodel m {{\n  n_per_request = false\n}}\nsource q = jsonl(\"{}\")\n\
             step s = llm(q, prompt: \"{{{{ question }}}}\", into: path)\n{sinks}",
            data.display()
        )
    };
    let env = [("OPENAI_BASE_URL", server.url.as_str())];
    // The Parquet file's own temporary name, planted as a symlink that leads out.
    std::fs::write(
        dir.path().join("p.regen"),
        wf("sink train = parquet(s, path: \"train.parquet\", fields: [id, path])\n"),
    )
    .unwrap();
    std::fs::create_dir_all(dir.path().join("rd")).unwrap();
    std::os::unix::fs::symlink(
        outside.path().join("d.parquet"),
        dir.path().join("rd/train.parquet.partial"),
    )
    .unwrap();
    let r = regen_in(dir.path(), &["run", "p.regen", "--run-dir", "rd"], &env);
    assert_eq!(r.code, 2, "{}\n{}", r.stdout, r.stderr);
    assert!(r.stderr.contains("is a symlink"), "{}", r.stderr);
    assert!(!outside.path().join("d.parquet").exists());
    assert_eq!(server.requests(), 0);

    // `train.jsonl` and `train.json`: two partial files, two whole outputs.
    std::fs::write(
        dir.path().join("two.regen"),
        wf("sink a = jsonl(s, path: \"train.jsonl\", fields: [id])\nsink b = jsonl(s, path: \"train.json\", fields: [question])\n"),
    )
    .unwrap();
    let r = regen_in(dir.path(), &["run", "two.regen", "--run-dir", "rc"], &env);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    let a = std::fs::read_to_string(dir.path().join("rc/train.jsonl")).unwrap();
    let b = std::fs::read_to_string(dir.path().join("rc/train.json")).unwrap();
    assert!(
        a.lines().count() == 3 && a.lines().all(|l| l.starts_with("{\"id\"")),
        "{a}"
    );
    assert!(
        b.lines().count() == 3 && b.lines().all(|l| l.starts_with("{\"question\"")),
        "{b}"
    );
    // One file for two sinks is refused before any call.
    std::fs::write(
        dir.path().join("same.regen"),
        wf("sink a = jsonl(s, path: \"t.jsonl\", fields: [id])\nsink b = jsonl(s, path: \"t.jsonl\", fields: [question])\n"),
    )
    .unwrap();
    let r = regen_in(dir.path(), &["run", "same.regen", "--run-dir", "rs"], &env);
    assert_eq!(r.code, 2, "{}\n{}", r.stdout, r.stderr);
    assert!(
        r.stderr.contains("sinks `a` and `b` both write"),
        "{}",
        r.stderr
    );
    // Nor may a sink write the name a Parquet sink writes its file under first.
    std::fs::write(
        dir.path().join("tmpname.regen"),
        wf("sink b = parquet(s, path: \"out.parquet\", fields: [id])\nsink a = jsonl(s, path: \"out.parquet.partial\", fields: [id])\n"),
    )
    .unwrap();
    let r = regen_in(
        dir.path(),
        &["run", "tmpname.regen", "--run-dir", "rt"],
        &env,
    );
    assert_eq!(r.code, 2, "{}\n{}", r.stdout, r.stderr);
    assert!(
        r.stderr.contains("sinks `b` and `a` both write"),
        "{}",
        r.stderr
    );
}

#[test]
fn eval_and_ablate_stop_with_the_reason_when_the_endpoint_is_dead() {
    let dir = tempfile::tempdir().unwrap();
    let data = first_rows(dir.path(), 3);
    let dead = [("OPENAI_BASE_URL", "http://127.0.0.1:9/v1")];
    let r = regen_in(
        dir.path(),
        &["eval", data.to_str().unwrap(), "--out", "ev"],
        &dead,
    );
    assert_eq!(
        r.code, 4,
        "a dead endpoint is not 0% accuracy\n{}\n{}",
        r.stdout, r.stderr
    );
    assert!(
        r.stderr.contains("the evaluation stopped") && !dir.path().join("ev/eval.json").exists(),
        "{}",
        r.stderr
    );
    let r = regen_in(
        dir.path(),
        &[
            "ablate",
            "@ablations/keep-1",
            "@ablations/keep-3",
            "--limit",
            "1",
            "--out",
            "ab",
        ],
        &dead,
    );
    assert_eq!(r.code, 4, "{}\n{}", r.stdout, r.stderr);
    assert!(!dir.path().join("ab/ablation.html").exists());
}

#[test]
fn keys_echoed_trimmed_or_escaped_stay_hidden_and_a_key_with_a_carriage_return_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let data = first_rows(dir.path(), 2);
    workflow(dir.path(), &data);
    let refusing = Server::start(&["--echo-key", "--require-key", "other"]);
    let r = regen_in(
        dir.path(),
        &["run", "w.regen", "--run-dir", "o1", "--store", "s1.sqlite"],
        &[
            ("OPENAI_BASE_URL", refusing.url.as_str()),
            ("OPENAI_API_KEY", "sk-TRAILSPACE-6666 "),
        ],
    );
    assert_ne!(r.code, 0);
    assert!(
        !r.stdout.contains("TRAILSPACE") && !r.stderr.contains("TRAILSPACE"),
        "{}\n{}",
        r.stdout,
        r.stderr
    );
    let show = regen_in(
        dir.path(),
        &["show", "1", "--store", "s1.sqlite", "--json"],
        &[],
    );
    assert!(!show.stdout.contains("TRAILSPACE"), "{}", show.stdout);
    let schema = Server::start(&["--echo-key", "--pschema", "1.0"]);
    let key = "sk-AB\"CD\\EF-4242";
    let r = regen_in(
        dir.path(),
        &["run", "w.regen", "--run-dir", "o2", "--store", "s2.sqlite"],
        &[
            ("OPENAI_BASE_URL", schema.url.as_str()),
            ("OPENAI_API_KEY", key),
        ],
    );
    let show = regen_in(
        dir.path(),
        &["show", "1", "--store", "s2.sqlite", "--all"],
        &[],
    );
    for out in [&r.stdout, &r.stderr, &show.stdout] {
        assert!(!out.contains("EF-4242"), "{out}");
    }
    let r = regen_in(
        dir.path(),
        &["run", "w.regen", "--run-dir", "o3", "--store", "s3.sqlite"],
        &[
            ("OPENAI_BASE_URL", schema.url.as_str()),
            ("OPENAI_API_KEY", "sk-CRLFKEY-7777\r"),
        ],
    );
    assert_eq!(r.code, 2, "{}\n{}", r.stdout, r.stderr);
    assert!(
        r.stderr.contains("OPENAI_API_KEY holds a character") && r.stderr.contains("Windows"),
        "{}",
        r.stderr
    );
    assert!(!r.stderr.contains("panicked"), "{}", r.stderr);
}

#[test]
fn a_symlink_inside_a_dataset_folder_is_not_followed() {
    let dir = tempfile::tempdir().unwrap();
    let outside = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("D")).unwrap();
    std::fs::write(
        outside.path().join("train-00000-of-00001.parquet"),
        "not read",
    )
    .unwrap();
    std::os::unix::fs::symlink(outside.path(), dir.path().join("D/more")).unwrap();
    std::fs::write(dir.path().join("w.regen"), "workflow w\nmodel m {}\nsource q = parquet(\"D\")\nstep s = llm(q, prompt: \"{{ question }}\", into: p)\nsink o = jsonl(s, path: \"o.jsonl\")\n").unwrap();
    let r = regen_in(
        dir.path(),
        &["run", "w.regen", "--run-dir", "out"],
        &[("OPENAI_BASE_URL", "http://127.0.0.1:9/v1")],
    );
    assert_eq!(r.code, 2, "{}\n{}", r.stdout, r.stderr);
    assert!(r.stderr.contains("holds a symlink"), "{}", r.stderr);
}

#[test]
fn eval_where_every_call_fails_reports_no_accuracy_not_zero() {
    // Every reply is malformed: each call is a recorded failure and nothing is answered.
    let server = Server::start(&["--pmalformed", "1.0"]);
    let dir = tempfile::tempdir().unwrap();
    let data = first_rows(dir.path(), 1);
    let env = [("OPENAI_BASE_URL", server.url.as_str())];
    let r = regen_in(
        dir.path(),
        &["eval", data.to_str().unwrap(), "--out", "ev"],
        &env,
    );
    assert_eq!(r.code, 1, "{}\n{}", r.stdout, r.stderr);
    assert!(
        r.stdout.contains("n/a") && !r.stdout.contains("0.0%"),
        "{}",
        r.stdout
    );
    assert!(
        r.stderr.contains("no question was answered"),
        "{}",
        r.stderr
    );
    let rows: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("ev/eval.json")).unwrap())
            .unwrap();
    assert!(rows[0]["accuracy"].is_null(), "{rows}");
}
