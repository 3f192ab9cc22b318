//! The method as the paper states it, counted at the server; and `regen ablate`
//! comparing the ablations on one shared cache.

use crate::common::*;

fn regenesis(dir: &std::path::Path, server: &Server, limit: &str) -> Run {
    let wf = root().join("workflows/regenesis.regen");
    regen_in(
        dir,
        &[
            "run",
            wf.to_str().unwrap(),
            "--limit",
            limit,
            "--run-dir",
            "out",
        ],
        &[("OPENAI_BASE_URL", server.url.as_str())],
    )
}

/// The authors' call shape per question (reasoning_paths_gen.py, truth_convert_reason.py).
const SELECTIONS: u64 = 20;
const SINGLES: u64 = 25;
const HINT_SELECTIONS: u64 = 20;
/// Adapt, structure, path and judge for every candidate.
const PER_CANDIDATE: u64 = 4;

#[test]
fn regenesis_makes_the_authors_call_shape_per_question() {
    let main_pass = SELECTIONS + (SELECTIONS + SINGLES) * PER_CANDIDATE;
    let hint_pass = HINT_SELECTIONS + HINT_SELECTIONS * PER_CANDIDATE;
    assert_eq!((main_pass, main_pass + hint_pass), (200, 300));
    // Every path right: the main pass only.
    let solved = Server::start(&["--correct", "1.0"]);
    let dir = tempfile::tempdir().unwrap();
    let r = regenesis(dir.path(), &solved, "3");
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert_eq!(solved.requests(), 3 * main_pass);
    // At most 5 kept per question.
    let train = std::fs::read_to_string(dir.path().join("out/train.jsonl")).unwrap();
    assert_eq!(train.lines().count(), 3 * 5);

    // Nothing right: every question gets the hint pass (fresh selections, no singles).
    let unsolved = Server::start(&["--correct", "0"]);
    let dir = tempfile::tempdir().unwrap();
    let r = regenesis(dir.path(), &unsolved, "3");
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert_eq!(unsolved.requests(), 3 * (main_pass + hint_pass));
    // The hint pass's paths are right (the test server follows the hint) and kept.
    assert!(
        r.stdout.contains("filter hint_correct: 60 in, 60 kept"),
        "{}",
        r.stdout
    );
}

/// One question through ReGenesis with the test server writing paths in `format`;
/// returns the run's summary JSON.
fn one_question_with_paths(format: &str) -> (tempfile::TempDir, serde_json::Value) {
    let server = Server::start(&["--correct", "1.0", "--path-format", format]);
    let dir = tempfile::tempdir().unwrap();
    let wf = root().join("workflows/regenesis.regen");
    let env = [("OPENAI_BASE_URL", server.url.as_str())];
    let args = [
        "run",
        wf.to_str().unwrap(),
        "--limit",
        "1",
        "--run-dir",
        "out",
        "--set",
        "selections=2",
        "--set",
        "singles=2",
        "--set",
        "hint_selections=2",
    ];
    let r = regen_in(dir.path(), &args, &env);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    let show = regen_in(dir.path(), &["show", "1", "--json"], &[]);
    (dir, serde_json::from_str(&show.stdout).unwrap())
}

/// Records the named condition of filter `step` removed.
fn removed(summary: &serde_json::Value, step: &str, reason: &str) -> u64 {
    let s = summary["steps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["step"] == step)
        .unwrap();
    let row = s["funnel"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["reason"] == reason)
        .unwrap_or_else(|| panic!("{reason} in {s}"));
    row["removed"].as_u64().unwrap()
}

fn kept_lines(dir: &tempfile::TempDir) -> usize {
    std::fs::read_to_string(dir.path().join("out/train.jsonl"))
        .unwrap()
        .lines()
        .count()
}

#[test]
fn a_path_without_a_box_is_dropped() {
    let (dir, s) = one_question_with_paths("1. Add the numbers.\\n2. The total is {answer}.");
    assert_eq!(kept_lines(&dir), 0);
    // The judge sees no boxed answer and says no; the box test would drop it too.
    assert_eq!(removed(&s, "correct", "judge said no"), 4);
}

#[test]
fn a_path_without_numbered_steps_is_dropped() {
    let (dir, s) = one_question_with_paths(
        "First add the numbers, then check the total.\\n\\nSo \\boxed{{answer}}.",
    );
    assert_eq!(kept_lines(&dir), 0);
    assert_eq!(removed(&s, "correct", "no numbered steps"), 4);
    assert_eq!(removed(&s, "correct", "judge said no"), 0);
}

#[test]
fn the_first_number_in_the_last_box_may_match_the_label() {
    // `\boxed{6 = 7}` against 6: the authors' exact match takes the first or the last number.
    let (dir, s) =
        one_question_with_paths("Work.\\n\\n1. Add.\\n2. Check.\\n\\n\\boxed{{answer} = 7}");
    assert_eq!(removed(&s, "correct", "answer does not match the label"), 0);
    assert_eq!(kept_lines(&dir), 4);
}

#[test]
fn the_training_line_follows_the_authors_text_rules() {
    // Ragged whitespace, a preamble, steps split over paragraphs, blank lines in a row.
    let format = "Let me   think.\\n\\n1.  Read   the quantities\\n   (draft {draft}).\\n\\n2. Combine them.\\n\\n\\n\\nSo   the answer is \\boxed{{answer}}.  ";
    let (dir, _) = one_question_with_paths(format);
    let train = std::fs::read_to_string(dir.path().join("out/train.jsonl")).unwrap();
    let first: serde_json::Value = serde_json::from_str(train.lines().next().unwrap()).unwrap();
    let assistant = first["messages"][1]["content"].as_str().unwrap();
    assert!(
        assistant.starts_with("Let's think step by step.\n\n1. Read the quantities (draft "),
        "{assistant}"
    );
    // convert_format.py: every `\boxed{` and `}` removed.
    assert!(
        assistant.ends_with(").\n\n2. Combine them.\n\nSo the answer is 20."),
        "{assistant}"
    );
    golden(&root().join("tests/golden/regenesis-train.jsonl"), &train).unwrap();
}

#[test]
fn identical_prompts_are_two_samples_when_sampling_and_one_call_when_greedy() {
    let server = Server::start(&["--correct", "1.0"]);
    let dir = tempfile::tempdir().unwrap();
    let q = "Ana has 3 apples and buys 2 more. How many apples does Ana have?";
    std::fs::write(
        dir.path().join("twins.jsonl"),
        format!(
            "{{\"id\": \"a\", \"question\": \"{q}\", \"answer\": \"5\"}}\n{{\"id\": \"b\", \"question\": \"{q}\", \"answer\": \"5\"}}\n"
        ),
    )
    .unwrap();
    let wf = |t: &str| {
        format!(
            "workflow twins\nmodel gen {{\n  endpoint = env(\"OPENAI_BASE_URL\", \"http://127.0.0.1:1/v1\")\n  temperature = {t}\n}}\n\
             source questions = jsonl(\"twins.jsonl\")\nstep solved = llm(questions, prompt: \"{{{{ question }}}}\", into: path)\n\
             sink out = jsonl(solved, path: \"out.jsonl\")\n"
        )
    };
    std::fs::write(dir.path().join("hot.regen"), wf("1.2")).unwrap();
    std::fs::write(dir.path().join("cold.regen"), wf("0")).unwrap();
    let env = [("OPENAI_BASE_URL", server.url.as_str())];
    let r = regen_in(dir.path(), &["run", "hot.regen", "--run-dir", "hot"], &env);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert_eq!(
        server.requests(),
        2,
        "two records at temperature 1.2 are two samples"
    );
    let r = regen_in(
        dir.path(),
        &["run", "cold.regen", "--run-dir", "cold"],
        &env,
    );
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert_eq!(
        server.requests(),
        3,
        "at temperature 0 the same prompt is one call"
    );
}

#[test]
fn ablate_runs_every_variant_on_one_cache_and_compares_them() {
    // A weak model: few paths are right, so the hint retry matters.
    let server = Server::start(&["--correct", "0.01"]);
    let dir = tempfile::tempdir().unwrap();
    let mut args = vec![
        "ablate".to_string(),
        root()
            .join("workflows/regenesis.regen")
            .display()
            .to_string(),
    ];
    let mut variants: Vec<String> = files_with_ext(&root().join("workflows/ablations"), "regen")
        .iter()
        .map(|p| p.display().to_string())
        .collect();
    variants.sort();
    args.extend(variants);
    args.extend(["--limit", "20", "--set", "selections=4", "--out", "cmp"].map(String::from));
    let argv: Vec<&str> = args.iter().map(String::as_str).collect();
    let r = regen_in(
        dir.path(),
        &argv,
        &[("OPENAI_BASE_URL", server.url.as_str())],
    );
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    let rows: Vec<serde_json::Value> = serde_json::from_str(
        &std::fs::read_to_string(dir.path().join("cmp/ablation.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(rows.len(), 18);
    let row = |name: &str| {
        rows.iter()
            .find(|r| r["workflow"] == name)
            .unwrap_or_else(|| panic!("no row {name}"))
            .clone()
    };
    let base = row("regenesis");
    assert_eq!(base["questions"], 20);
    let yield_of = |r: &serde_json::Value| r["yield_questions"].as_u64().unwrap();
    assert!(
        yield_of(&row("no-hint")) < yield_of(&base),
        "no-hint {} vs base {}",
        row("no-hint"),
        base
    );
    assert_eq!(
        row("majority-vote")["label_read_by"],
        serde_json::json!([]),
        "LMSI's filter reads no label"
    );
    assert!(!base["label_read_by"].as_array().unwrap().is_empty());
    // Shared upstream steps come from the cache: keep-1 changes only the cap, so it asks nothing.
    assert_eq!(row("keep-1")["calls"], 0);
    assert!(row("keep-1")["cache_hits"].as_u64().unwrap() > 0);
    // no-structure re-asks paths (their prompt changed) but not selections or adaptations.
    let ns = row("no-structure");
    assert!(ns["calls"].as_u64().unwrap() > 0 && ns["cache_hits"].as_u64().unwrap() > 0);
    assert!(ns["calls"].as_u64() < base["calls"].as_u64());
    assert!(row("keep-1")["kept"].as_u64() <= Some(20));
    // The sympy check (a `python` step) keeps paths the base keeps: on whole
    // numbers sympy and the authors' exact match agree.
    let sympy = row("sympy-match");
    assert!(
        sympy["kept"].as_u64() >= Some(1) || base["kept"].as_u64() == Some(0),
        "sympy-match {sympy} vs base {base}"
    );
    let html = std::fs::read_to_string(dir.path().join("cmp/ablation.html")).unwrap();
    assert!(html.contains("<svg") && html.contains("no-hint") && !html.contains("<script"));
    assert!(r.stdout.contains("label read by") && r.stdout.contains("majority-vote"));
}

#[test]
fn eval_reports_accuracy_that_matches_a_hand_count() {
    let server = Server::start(&["--correct", "0.5"]);
    let dir = tempfile::tempdir().unwrap();
    let data = root().join("stdlib/data/arith-100.jsonl");
    let r = regen_in(
        dir.path(),
        &[
            "eval",
            data.to_str().unwrap(),
            "--limit",
            "30",
            "--out",
            "ev",
        ],
        &[("OPENAI_BASE_URL", server.url.as_str())],
    );
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    let rows: Vec<serde_json::Value> =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("ev/eval.json")).unwrap())
            .unwrap();
    assert_eq!(rows[0]["questions"], 30);
    // Hand count: every graded question whose majority answer equals its label.
    let graded = std::fs::read_to_string(dir.path().join("ev/00-arith-100/graded.jsonl")).unwrap();
    let mut right = 0;
    for line in graded.lines() {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        let label: f64 = v["answer"].as_str().unwrap().parse().unwrap();
        if v["majority"].as_str().and_then(|m| m.parse::<f64>().ok()) == Some(label) {
            right += 1;
        }
    }
    assert_eq!(graded.lines().count(), 30);
    assert_eq!(rows[0]["correct"], right);
    assert!(
        right > 3 && right < 27,
        "a 50% server gives a middling score: {right}"
    );
    let shown = format!("{:.1}%", 100.0 * right as f64 / 30.0);
    assert!(r.stdout.contains(&shown), "{shown} in\n{}", r.stdout);
}

#[test]
fn the_training_file_uploads_and_starts_a_fine_tuning_job() {
    let server = Server::start(&["--correct", "0.5"]);
    let dir = tempfile::tempdir().unwrap();
    let r = regenesis(dir.path(), &server, "2");
    assert_eq!(r.code, 0, "{}", r.stderr);
    let env = [
        ("OPENAI_BASE_URL", server.url.as_str()),
        ("OPENAI_API_KEY", "sk-test-SECRET-999"),
    ];
    let args = [
        "finetune",
        "out/train.jsonl",
        "--model",
        "smollm2",
        "--suffix",
        "regen",
        "--wait",
        "30",
        "--epochs",
        "3",
    ];
    let ft = regen_in(
        dir.path(),
        &[
            &args[..],
            &["--learning-rate-multiplier", "0.1", "--batch-size", "8"],
        ]
        .concat(),
        &env,
    );
    assert_eq!(ft.code, 0, "{}{}", ft.stdout, ft.stderr);
    // The hyperparameters reach the API and come back in the job.
    assert!(
        ft.stdout.contains(r#""type":"supervised""#)
            && ft.stdout.contains(r#""n_epochs":3"#)
            && ft.stdout.contains(r#""learning_rate_multiplier":0.1"#)
            && ft.stdout.contains(r#""batch_size":8"#),
        "{}",
        ft.stdout
    );
    let dpo = regen_in(
        dir.path(),
        &[
            "finetune",
            "out/train.jsonl",
            "--model",
            "smollm2",
            "--method",
            "dpo",
        ],
        &env,
    );
    assert_eq!(dpo.code, 1);
    assert!(
        dpo.stderr
            .contains("train.jsonl:1: no `preferred_output` list"),
        "{}",
        dpo.stderr
    );
    assert!(
        ft.stdout.contains("training examples in chat format"),
        "{}",
        ft.stdout
    );
    assert!(
        ft.stdout.contains("Succeeded")
            && ft.stdout.contains("fine-tuned model: ft:smollm2:regen:"),
        "{}",
        ft.stdout
    );
    assert!(!ft.stdout.contains("SECRET") && !ft.stderr.contains("SECRET"));

    // A file that is not chat data: refused before any upload, naming file:line.
    std::fs::write(
        dir.path().join("bad.jsonl"),
        "{\"messages\": [{\"role\": \"user\", \"content\": \"q\"}, {\"role\": \"assistant\", \"content\": \"a\"}]}\n{\"prompt\": \"q\"}\n",
    )
    .unwrap();
    let bad = regen_in(
        dir.path(),
        &["finetune", "bad.jsonl", "--model", "smollm2"],
        &env,
    );
    assert_eq!(bad.code, 1);
    assert!(
        bad.stderr.contains("bad.jsonl:2: no `messages` list"),
        "{}",
        bad.stderr
    );
}

#[test]
fn stars_outer_loop_feeds_each_iterations_fine_tuned_model_to_the_next() {
    let server = Server::start(&["--correct", "0.5"]);
    let dir = tempfile::tempdir().unwrap();
    let stdout = script(
        dir.path(),
        "star-loop.sh",
        &["smollm2", "2", "--limit", "6"],
        &server,
    );
    assert!(
        stdout.contains("== STaR iteration 2 with model ft:smollm2:star-1:"),
        "{stdout}"
    );
    assert!(
        stdout.contains("final model: ft:smollm2:star-2:"),
        "{stdout}"
    );
    // STaR grows the training steps by 20% per outer iteration: 40, then 48.
    assert!(
        stdout.contains("== STaR iteration 1: 40 training steps")
            && stdout.contains("== STaR iteration 2: 48 training steps"),
        "{stdout}"
    );
    for i in 1..=2 {
        let train = std::fs::read_to_string(
            dir.path()
                .join(format!("runs/star/iteration-{i}/train.jsonl")),
        )
        .unwrap();
        assert!(
            !train.is_empty() && !train.contains("Hint"),
            "hintless training text"
        );
    }
}

#[test]
fn hub_exports_import_into_the_layout_the_method_reads() {
    let dir = tempfile::tempdir().unwrap();
    let arc = (1..=3)
        .map(|i| format!("{{\"id\": \"arc-{i}\", \"question\": \"Which is {i}?\", \"choices\": {{\"text\": [\"one\", \"two\", \"three\"], \"label\": [\"A\", \"B\", \"C\"]}}, \"answerKey\": \"B\"}}\n"))
        .collect::<String>();
    std::fs::write(dir.path().join("arc.jsonl"), arc).unwrap();
    let r = regen_in(
        dir.path(),
        &[
            "data",
            "import",
            "arc",
            "--from",
            "arc.jsonl",
            "--out",
            "data/arc.jsonl",
        ],
        &[],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stdout.contains("wrote 3 arc questions")
            && r.stdout.contains("--set answer_format=choice"),
        "{}",
        r.stdout
    );
    let data = dir.path().join("data/arc.jsonl");
    let first: serde_json::Value = serde_json::from_str(
        std::fs::read_to_string(&data)
            .unwrap()
            .lines()
            .next()
            .unwrap(),
    )
    .unwrap();
    assert_eq!(first["answer"], "(B) two");
    // The imported file is a valid source for ReGenesis with the choice checker.
    let wf = root().join("workflows/regenesis.regen");
    let set = format!("data={}", data.display());
    let plan = regen_in(
        dir.path(),
        &[
            "plan",
            wf.to_str().unwrap(),
            "--set",
            &set,
            "--set",
            "answer_format=choice",
            "--inputs",
            "3",
        ],
        &[],
    );
    assert_eq!(plan.code, 0, "{}", plan.stderr);
    // Without --from, a hub-only dataset says what to do.
    let missing = regen_in(dir.path(), &["data", "import", "gsm8k"], &[]);
    assert_eq!(missing.code, 2);
    assert!(
        missing
            .stderr
            .contains("export it from the Hugging Face hub")
            && missing.stderr.contains("--from"),
        "{}",
        missing.stderr
    );
}

#[test]
fn every_baseline_runs_end_to_end() {
    let server = Server::start(&["--correct", "0.5"]);
    for (file, expect_calls_per_q) in [
        ("lmsi", 32),
        ("self-discover", 0),
        ("star", 1),
        ("answer-only", 0),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let wf = root().join(format!("workflows/baselines/{file}.regen"));
        let before = server.requests();
        let r = regen_in(
            dir.path(),
            &[
                "run",
                wf.to_str().unwrap(),
                "--limit",
                "5",
                "--run-dir",
                "out",
            ],
            &[("OPENAI_BASE_URL", &server.url)],
        );
        assert_eq!(r.code, 0, "{file}: {}{}", r.stdout, r.stderr);
        let train = std::fs::read_to_string(dir.path().join("out/train.jsonl")).unwrap();
        assert!(!train.is_empty(), "{file} wrote no training data");
        let calls = server.requests() - before;
        assert!(calls >= 5 * expect_calls_per_q, "{file}: {calls} calls");
        if file == "lmsi" {
            // LMSI reads no label: every kept path agrees with its question's majority.
            assert!(!std::fs::read_to_string(&wf)
                .unwrap()
                .contains("answer_matches"));
        }
        if file == "self-discover" {
            // Select, adapt and implement once per task, then one solve per instance.
            assert_eq!(calls, 3 + 5, "{}", r.stdout);
        }
    }
}

#[test]
fn the_papers_protocol_synthesizes_fine_tunes_and_evaluates_in_and_out_of_domain() {
    let server = Server::start(&["--correct", "0.5"]);
    let dir = tempfile::tempdir().unwrap();
    let rows: Vec<String> = std::fs::read_to_string(root().join("stdlib/data/arith-100.jsonl"))
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect();
    std::fs::write(dir.path().join("train.jsonl"), rows[..3].join("\n") + "\n").unwrap();
    std::fs::write(dir.path().join("ood.jsonl"), rows[50..56].join("\n") + "\n").unwrap();
    let args = [
        "smollm2",
        "train.jsonl:number",
        "ood.jsonl:number",
        "--",
        "--set",
        "selections=2",
        "--set",
        "singles=2",
    ];
    let stdout = script(dir.path(), "paper-protocol.sh", &args, &server);
    let table: Vec<&str> = stdout.lines().collect();
    assert!(
        table[0].starts_with("dataset") && table[0].contains("ReGenesis-tuned"),
        "{stdout}"
    );
    assert!(
        table[1].starts_with("train ")
            && table[1].contains("in-domain")
            && table[1].contains("/3)"),
        "{stdout}"
    );
    assert!(
        table[2].starts_with("ood ")
            && table[2].contains("out-of-domain")
            && table[2].contains("/6)"),
        "{stdout}"
    );

    // `--limit` reaches the evaluation too; `--eval-limit` says otherwise.
    let args = [
        "smollm2",
        "train.jsonl:number",
        "ood.jsonl:number",
        "--",
        "--limit",
        "2",
        "--set",
        "selections=2",
        "--set",
        "singles=2",
    ];
    let limited = script(dir.path(), "paper-protocol.sh", &args, &server);
    assert!(
        limited.lines().nth(2).is_some_and(|l| l.contains("/2)")),
        "{limited}"
    );
    let args = [
        "smollm2",
        "train.jsonl:number",
        "ood.jsonl:number",
        "--eval-limit",
        "4",
        "--",
        "--limit",
        "2",
        "--set",
        "selections=2",
    ];
    let four = script(dir.path(), "paper-protocol.sh", &args, &server);
    assert!(
        four.lines().nth(2).is_some_and(|l| l.contains("/4)")),
        "{four}"
    );
}

/// Run one of `scripts/` with this build of regen against `server`; its stdout, after checking it succeeded.
fn script(dir: &std::path::Path, name: &str, args: &[&str], server: &Server) -> String {
    let out = std::process::Command::new("bash")
        .arg(root().join("scripts").join(name))
        .args(args)
        .current_dir(dir)
        .env("REGEN", env!("CARGO_BIN_EXE_regen"))
        .env("OPENAI_BASE_URL", &server.url)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(
        out.status.success(),
        "{name}: {stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}
