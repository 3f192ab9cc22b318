//! Defects found past one machine (issue 27): batch export over the shipped
//! workflow, a variant moving its model to replicas, the shipped workflows by
//! name from any folder, and what a person meets in the summary and the report.

use crate::common::*;

#[test]
fn batch_export_of_a_shipped_step_succeeds_and_a_refusal_leaves_no_file() {
    let dir = tempfile::tempdir().unwrap();
    let wf = root().join("workflows/regenesis.regen");
    let wf = wf.to_str().unwrap();
    let r = regen_in(
        dir.path(),
        &[
            "batch", "export", wf, "--step", "picked", "--out", "p.jsonl", "--limit", "6",
        ],
        &[],
    );
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    assert!(
        r.stdout.contains("wrote 120 requests of `picked`"),
        "{}",
        r.stdout
    );
    assert!(!r.stderr.contains("error"), "{}", r.stderr);
    let body = std::fs::read_to_string(dir.path().join("p.jsonl")).unwrap();
    assert_eq!(body.lines().count(), 120);
    // The workflow's 1.2 and 0.9, not their f32 widenings.
    assert!(
        body.contains("\"temperature\":1.2,") && body.contains("\"top_p\":0.9"),
        "{}",
        body.lines().next().unwrap_or("")
    );
    assert!(!body.contains("1.2000000476837158"));
    let runs = regen_in(dir.path(), &["runs"], &[]);
    assert!(
        !runs.stdout.contains("failures"),
        "an export that wrote its file is not a failed run:\n{}",
        runs.stdout
    );
    // A symlink planted at the export's temporary name is replaced, never written through.
    std::fs::write(dir.path().join("victim.txt"), "VICTIM").unwrap();
    std::os::unix::fs::symlink("victim.txt", dir.path().join("q.jsonl.partial")).unwrap();
    let r = regen_in(
        dir.path(),
        &[
            "batch", "export", wf, "--step", "picked", "--out", "q.jsonl", "--limit", "1",
        ],
        &[],
    );
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    assert_eq!(
        std::fs::read_to_string(dir.path().join("victim.txt")).unwrap(),
        "VICTIM"
    );
    assert!(!dir
        .path()
        .join("q.jsonl")
        .symlink_metadata()
        .unwrap()
        .file_type()
        .is_symlink());

    // `solved` needs `structured`, which nothing has answered: refused, and no file is left behind.
    let refused = regen_in(
        dir.path(),
        &[
            "batch", "export", wf, "--step", "solved", "--out", "s.jsonl", "--limit", "2",
        ],
        &[],
    );
    assert_eq!(refused.code, 1, "{}\n{}", refused.stdout, refused.stderr);
    assert!(
        refused.stderr.contains("nothing exported"),
        "{}",
        refused.stderr
    );
    assert!(!refused.stdout.contains("wrote"), "{}", refused.stdout);
    assert!(!dir.path().join("s.jsonl").exists() && !dir.path().join("s.jsonl.partial").exists());
}

#[test]
fn a_variant_moves_its_model_from_one_endpoint_to_replicas() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join(".git"), "").unwrap();
    let base = "workflow base\nmodel gen {\n  endpoint = \"http://a:8000/v1\"\n}\nsource q = jsonl(\"d.jsonl\")\n\
                step s = llm(q, prompt: \"{{ question }}\", into: path)\nsink o = jsonl(s, path: \"o.jsonl\")\n";
    std::fs::write(dir.path().join("base.regen"), base).unwrap();
    std::fs::write(
        dir.path().join("d.jsonl"),
        "{\"id\": \"1\", \"question\": \"q\", \"answer\": \"1\"}\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("replicas.regen"),
        "workflow replicas\nextends \"base.regen\"\nmodel gen {\n  endpoints = [\"http://b:8000/v1\", \"http://c:8000/v1\"]\n}\n",
    )
    .unwrap();
    let r = regen_in(dir.path(), &["lint", "replicas.regen"], &[]);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    // And back: a variant of the variant names one endpoint again.
    std::fs::write(
        dir.path().join("one.regen"),
        "workflow one\nextends \"replicas.regen\"\nmodel gen {\n  endpoint = \"http://d:8000/v1\"\n}\n",
    )
    .unwrap();
    assert_eq!(regen_in(dir.path(), &["lint", "one.regen"], &[]).code, 0);
    // One file setting both is still a conflict.
    std::fs::write(
        dir.path().join("both.regen"),
        base.replace("  endpoint", "  endpoints = [\"http://b/v1\"]\n  endpoint"),
    )
    .unwrap();
    let both = regen_in(dir.path(), &["lint", "both.regen"], &[]);
    assert_eq!(both.code, 1);
    assert!(
        both.stdout.contains("conflicting-settings")
            || both.stderr.contains("conflicting-settings"),
        "{}{}",
        both.stdout,
        both.stderr
    );
}

#[test]
fn shipped_workflows_have_names_that_work_from_any_folder() {
    let dir = tempfile::tempdir().unwrap();
    let cache = dir.path().join("cache");
    let env = [("REGEN_CACHE", cache.to_str().unwrap())];
    let list = regen_in(dir.path(), &["workflows"], &env);
    assert_eq!(list.code, 0, "{}", list.stderr);
    for name in [
        "@regenesis",
        "@local",
        "@eval",
        "@ablations/no-hint",
        "@baselines/star",
    ] {
        assert!(
            list.stdout.contains(name),
            "{name} missing from:\n{}",
            list.stdout
        );
    }
    let lint = regen_in(
        dir.path(),
        &["lint", "@regenesis", "@ablations/no-hint"],
        &env,
    );
    assert_eq!(lint.code, 0, "{}\n{}", lint.stdout, lint.stderr);
    let plan = regen_in(dir.path(), &["plan", "@regenesis"], &env);
    assert_eq!(plan.code, 0, "{}\n{}", plan.stdout, plan.stderr);
    let wrong = regen_in(dir.path(), &["lint", "@regenesys"], &env);
    assert_eq!(wrong.code, 2, "{}", wrong.stderr);
    assert!(
        wrong.stderr.contains("no shipped workflow `@regenesys`")
            && wrong.stderr.contains("regenesis"),
        "{}",
        wrong.stderr
    );
    // A variant of a shipped workflow, from a folder of the user's own.
    std::fs::write(
        dir.path().join("mine.regen"),
        "workflow mine\nextends \"@regenesis\"\nparam selections = 2\n",
    )
    .unwrap();
    let mine = regen_in(dir.path(), &["lint", "mine.regen"], &env);
    assert_eq!(mine.code, 0, "{}\n{}", mine.stdout, mine.stderr);
    // The copy read is the one this binary was built with, named by its content.
    let unpacked: Vec<String> = std::fs::read_dir(&cache)
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    assert!(
        unpacked
            .iter()
            .any(|n| n.starts_with("share-") && n.len() > "share-0.1.0-".len()),
        "{unpacked:?}"
    );
}

#[test]
fn the_run_report_counts_what_sources_read_and_pools_hold() {
    let server = Server::start(&["--correct", "1.0"]);
    let dir = tempfile::tempdir().unwrap();
    let wf = root().join("workflows/regenesis.regen");
    let args = [
        "run",
        wf.to_str().unwrap(),
        "--limit",
        "4",
        "--set",
        "selections=1",
        "--set",
        "singles=1",
        "--progress",
        "none",
        "--report",
    ];
    let r = regen_in(
        dir.path(),
        &args,
        &[("OPENAI_BASE_URL", server.url.as_str())],
    );
    assert!(r.code == 0 || r.code == 1, "{}\n{}", r.stdout, r.stderr);
    let html = std::fs::read_to_string(dir.path().join("runs/regenesis/report.html")).unwrap();
    assert!(
        html.contains("<tr><td>questions</td><td>jsonl</td><td>4</td>"),
        "{}",
        &html[..html.len().min(3000)]
    );
    assert!(
        html.contains("<tr><td>seeds</td><td>guidelines</td><td>25</td>"),
        "{}",
        &html[..html.len().min(3000)]
    );
}

#[test]
fn a_run_says_before_its_first_call_that_a_filter_can_keep_nothing() {
    let server = Server::start(&["--correct", "1.0"]);
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("d.jsonl"),
        "{\"id\": \"1\", \"question\": \"Is 2 even?\", \"answer\": \"yes\"}\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("w.regen"),
        "workflow w\nmodel m {\n  n_per_request = false\n}\nsource q = jsonl(\"d.jsonl\", answers: bool)\n\
         step s = llm(q, prompt: \"{{ question }}\", into: path)\nstep a = extract(s, from: path, into: predicted)\n\
         step k = keep(a, where: answer_matches(predicted, answer, \"number\"))\nsink o = jsonl(k, path: \"o.jsonl\")\n",
    )
    .unwrap();
    let r = regen_in(
        dir.path(),
        &["run", "w.regen", "--run-dir", "out", "--progress", "none"],
        &[("OPENAI_BASE_URL", server.url.as_str())],
    );
    assert!(
        r.stderr.contains(
            "warning[filter-never-passes]: `k` compares answers as number but `q` has bool labels"
        ) && r.stderr.contains("(w.regen:"),
        "{}",
        r.stderr
    );
}
