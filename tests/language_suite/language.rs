//! The language through the CLI, as a user meets it: lint, fmt, graph, plan.

use crate::common::*;
use regen::check::{check_file, Options, CALL_THRESHOLD};
use regen::syntax::{format::format, parse};

fn shipped() -> Vec<std::path::PathBuf> {
    files_with_ext(&root().join("workflows"), "regen")
}

#[test]
fn shipped_workflows_lint_clean() {
    let run = regen(&["lint", "--deny", "warnings", "workflows/"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stderr.contains("0 error(s), 0 warning(s)"),
        "{}",
        run.stderr
    );
    assert!(
        shipped().len() >= 15,
        "regenesis + 11 ablations + 3 baselines expected"
    );
}

#[test]
fn lint_exit_codes() {
    assert_eq!(regen(&["lint", "tests/diagnostics/warnings.regen"]).code, 0);
    assert_eq!(
        regen(&[
            "lint",
            "--deny",
            "warnings",
            "tests/diagnostics/warnings.regen"
        ])
        .code,
        1
    );
    assert_eq!(regen(&["lint", "tests/diagnostics/cycle.regen"]).code, 1);
    assert_eq!(regen(&["lint", "no/such/file.regen"]).code, 2);
    assert_eq!(regen(&["lint", "--format", "yaml", "workflows/"]).code, 2);
    assert_eq!(
        regen(&["plan", "workflows/regenesis.regen", "--set", "nonsense"]).code,
        2
    );
}

#[test]
fn fmt_round_trip_on_every_shipped_workflow() {
    for f in shipped() {
        let text = std::fs::read_to_string(&f).unwrap();
        let p = parse(&text, 0);
        assert!(
            p.diagnostics.is_empty(),
            "{}: {:?}",
            f.display(),
            p.diagnostics
        );
        let once = format(&p.file, &text);
        assert_eq!(
            once,
            text,
            "{} is not in canonical form; run `regen fmt`",
            f.display()
        );
        let again = parse(&once, 0);
        assert!(again.diagnostics.is_empty());
        assert_eq!(
            format(&again.file, &once),
            once,
            "{}: fmt is not idempotent",
            f.display()
        );
        // Comments survive.
        assert_eq!(
            text.matches('#').count(),
            once.matches('#').count(),
            "{}",
            f.display()
        );
    }
    assert_eq!(
        regen(&["fmt", "--check", "workflows/regenesis.regen"]).code,
        0
    );
}

#[test]
fn fmt_canonicalises_and_keeps_comments() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("messy.regen");
    let messy = "# head\nworkflow   messy\nparam k:int=1+2*3 # trailing\n\n\n\nmodel m {   temperature=0.5 # warm\n name = \"x\"}\nstep a = keep( q , where : not (k > 1 and true) )\n";
    std::fs::write(&f, messy).unwrap();
    let run = regen_in(dir.path(), &["fmt", "--check", "messy.regen"], &[]);
    assert_eq!(run.code, 1);
    assert!(run.stdout.contains("would reformat"));
    assert_eq!(regen_in(dir.path(), &["fmt", "messy.regen"], &[]).code, 0);
    let out = std::fs::read_to_string(&f).unwrap();
    assert_eq!(
        out,
        "# head\nworkflow messy\nparam k: int = 1 + 2 * 3  # trailing\n\nmodel m {\n  temperature = 0.5  # warm\n  name = \"x\"\n}\nstep a = keep(q, where: not (k > 1 and true))\n"
    );
    assert_eq!(
        regen_in(dir.path(), &["fmt", "--check", "messy.regen"], &[]).code,
        0
    );
}

#[test]
fn fmt_writes_shapes_on_one_line_or_one_field_a_line() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("shapes.regen");
    std::fs::write(
        &f,
        "shape   Yn =\"yes\"|\"no\"\nshape Long {first_field_name: bool, second_field_name: optional(string), third: int(0,10), fourth: [Yn]}\n",
    )
    .unwrap();
    assert_eq!(regen_in(dir.path(), &["fmt", "shapes.regen"], &[]).code, 0);
    assert_eq!(
        std::fs::read_to_string(&f).unwrap(),
        "shape Yn = \"yes\" | \"no\"\nshape Long {\n    first_field_name: bool,\n    second_field_name: optional(string),\n    third: int(0, 10),\n    fourth: [Yn],\n}\n"
    );
    assert_eq!(
        regen_in(dir.path(), &["fmt", "--check", "shapes.regen"], &[]).code,
        0
    );
}

#[test]
fn dot_snapshot_of_regenesis_shows_the_method_roles() {
    let run = regen(&["graph", "workflows/regenesis.regen", "--format", "dot"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    for role in [
        "guideline pool",
        "regenesis/select",
        "regenesis/adapt",
        "regenesis/structure",
        "regenesis/path",
        "keep · filter",
        "judge",
        "cap",
        "(hint)",
        "missing",
    ] {
        assert!(run.stdout.contains(role), "DOT lacks {role}");
    }
    insta::assert_snapshot!("regenesis_dot", run.stdout);
    let mermaid = regen(&["graph", "workflows/regenesis.regen", "--format", "mermaid"]);
    assert!(
        mermaid.stdout.starts_with("flowchart TD") && mermaid.stdout.contains("picked --> adapted")
    );
}

#[test]
fn plan_reports_the_official_call_shape_per_question() {
    let run = regen(&[
        "plan",
        "workflows/regenesis.regen",
        "--inputs",
        "100",
        "--format",
        "json",
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let v: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    let per = |step: &str| {
        let s = v["steps"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["step"] == step)
            .unwrap_or_else(|| panic!("{step}"));
        (
            s["calls_per_input"].as_f64().unwrap(),
            s["upper_bound"].as_bool().unwrap(),
            s["calls"].as_f64().unwrap(),
        )
    };
    assert_eq!(per("picked"), (20.0, false, 2000.0));
    assert_eq!(per("adapted"), (45.0, false, 4500.0));
    assert_eq!(per("structured"), (45.0, false, 4500.0));
    assert_eq!(per("solved"), (45.0, false, 4500.0));
    assert_eq!(per("judged"), (45.0, false, 4500.0));
    assert!(
        per("hint_solved").1,
        "the hint branch runs only for unsolved questions"
    );
    // The hint pass (truth_convert_reason.py): 20 fresh selections, each adapted,
    // structured, solved and judged; only for unsolved questions.
    assert_eq!(per("hint_picked"), (20.0, true, 2000.0));
    assert_eq!(per("hint_judged"), (20.0, true, 2000.0));
    let total: f64 = v["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["calls_per_input"].as_f64().unwrap())
        .sum();
    assert_eq!(total, 20.0 + 45.0 * 4.0 + 20.0 + 20.0 * 4.0);
    let human = regen(&["plan", "workflows/regenesis.regen", "--inputs", "100"]);
    assert!(human.stdout.contains("total") && human.stdout.contains("upper bound"));
    // --set changes the shape.
    let run = regen(&[
        "plan",
        "workflows/regenesis.regen",
        "--inputs",
        "1",
        "--set",
        "selections=3",
        "--format",
        "json",
    ]);
    let v: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(v["steps"][0]["calls_per_input"], 3.0);
    let bad = regen(&[
        "plan",
        "workflows/regenesis.regen",
        "--set",
        "selections=many",
    ]);
    assert_eq!(bad.code, 1);
    assert!(
        bad.stderr.contains("expected a whole number"),
        "{}",
        bad.stderr
    );
}

fn identities(path: &str) -> std::collections::BTreeMap<String, String> {
    let file = root().join(path);
    let opts = Options {
        sets: vec![],
        stdlib: regen::check::find_stdlib(&file),
        allow_outside: false,
    };
    let c = check_file(&file, &opts, CALL_THRESHOLD).unwrap();
    assert!(!c.has_errors());
    let plan = regen::plan::compile(&c.workflow).unwrap();
    c.workflow
        .nodes
        .iter()
        .enumerate()
        .map(|(i, n)| (n.name.clone(), plan.identity[i].clone()))
        .collect()
}

#[test]
fn step_identities_are_shared_with_variants_wherever_nothing_changed() {
    let base = identities("workflows/regenesis.regen");
    let keep1 = identities("workflows/ablations/keep-1.regen");
    for (name, id) in &base {
        let changed = ["kept", "hint_kept", "trained", "train", "paths", "unsolved"]
            .contains(&name.as_str())
            || (name.starts_with("hint_") && name != "hint_seeds");
        assert_eq!(keep1[name] == *id, !changed, "{name}");
    }
    let no_adapt = identities("workflows/ablations/no-adapt.regen");
    for same in ["questions", "seeds", "picked", "single"] {
        assert_eq!(no_adapt[same], base[same], "{same}");
    }
    assert_ne!(no_adapt["structured"], base["structured"]);
    // Editing an unrelated step leaves the others alone; line numbers do not matter.
    let dir = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(root().join("workflows/regenesis.regen")).unwrap();
    let edited = format!(
        "# a new comment line shifts every line number\n{}",
        text.replace(
            "step judged = judge(answered, prompt: \"regenesis/judge\", into: verdict)",
            "step judged = judge(answered, prompt: \"regenesis/judge\", max_tokens: 32, into: verdict)"
        )
    );
    let f = dir.path().join("edited.regen");
    std::fs::write(
        &f,
        edited.replace(
            "\"stdlib/data",
            &format!("\"{}/stdlib/data", root().display()),
        ),
    )
    .unwrap();
    let opts = Options {
        sets: vec![],
        stdlib: root().join("stdlib"),
        allow_outside: false,
    };
    let c = check_file(&f, &opts, CALL_THRESHOLD).unwrap();
    assert!(!c.has_errors(), "{:?}", c.diagnostics);
    let plan = regen::plan::compile(&c.workflow).unwrap();
    let id = |n: &str| plan.identity[c.workflow.node(n).unwrap()].clone();
    assert_eq!(id("solved"), base["solved"]);
    assert_eq!(id("adapted"), base["adapted"]);
    assert_ne!(id("judged"), base["judged"]);
    assert_ne!(id("kept"), base["kept"], "downstream of the edit");
}

#[test]
fn no_input_makes_the_checker_panic() {
    // Every prefix of a real workflow, and deterministic byte mutations of it.
    let text = std::fs::read(root().join("workflows/regenesis.regen")).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let stdlib = root().join("stdlib");
    let mut inputs: Vec<Vec<u8>> = (0..text.len())
        .step_by(13)
        .map(|n| text[..n].to_vec())
        .collect();
    let mut state: u64 = 0x9e3779b97f4a7c15;
    for _ in 0..300 {
        let mut t = text.clone();
        for _ in 0..4 {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let i = (state % t.len() as u64) as usize;
            const ALPHABET: &[u8] = b"(){}[]\",:=+#\n\\x0 \xff";
            t[i] = ALPHABET[(state >> 32) as usize % ALPHABET.len()];
        }
        inputs.push(t);
    }
    for (i, bytes) in inputs.iter().enumerate() {
        let f = dir.path().join(format!("case{i}.regen"));
        std::fs::write(&f, bytes).unwrap();
        let opts = Options {
            sets: vec![],
            stdlib: stdlib.clone(),
            allow_outside: false,
        };
        let c = check_file(&f, &opts, CALL_THRESHOLD).unwrap();
        for d in &c.diagnostics {
            assert!(
                d.span.start <= c.sources.text(d.file).len() + 1,
                "span outside the file: {d:?}"
            );
        }
        if let Ok(s) = std::str::from_utf8(bytes) {
            let p = parse(s, 0);
            if p.diagnostics.is_empty() {
                let once = format(&p.file, s);
                let again = parse(&once, 0);
                assert!(
                    again.diagnostics.is_empty(),
                    "fmt output does not parse:\n{once}"
                );
                assert_eq!(format(&again.file, &once), once);
            }
        }
    }
}

#[test]
fn the_readme_example_workflow_lints_clean() {
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    let after = readme
        .split("## A workflow\n```\n")
        .nth(1)
        .expect("README has an example workflow");
    let example = after.split("\n```").next().unwrap();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("tiny.regen"), example).unwrap();
    let r = regen_in(
        dir.path(),
        &["lint", "--deny", "warnings", "tiny.regen"],
        &[],
    );
    assert_eq!(r.code, 0, "{}\n{}", example, r.stderr);
}

#[test]
fn the_grammar_documents_every_kind_as_declared() {
    let run = regen(&["explain", "--kinds"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let path = root().join("grammar/GRAMMAR.md");
    let doc = std::fs::read_to_string(&path).unwrap();
    let (begin, end) = ("<!-- kinds:begin -->\n", "<!-- kinds:end -->");
    let a = doc
        .find(begin)
        .expect("GRAMMAR.md has the kinds:begin marker")
        + begin.len();
    let b = doc.find(end).expect("GRAMMAR.md has the kinds:end marker");
    if std::env::var_os("REGEN_BLESS").is_some() {
        std::fs::write(&path, format!("{}{}{}", &doc[..a], run.stdout, &doc[b..])).unwrap();
        return;
    }
    assert_eq!(
        &doc[a..b],
        run.stdout,
        "GRAMMAR.md's kind table is out of date: REGEN_BLESS=1 cargo test --test language_suite"
    );
    for kind in [
        "llm",
        "judge",
        "render",
        "extract",
        "keep",
        "cap",
        "cross",
        "vote",
        "missing",
        "union",
        "jsonl",
        "guidelines",
    ] {
        assert!(run.stdout.contains(&format!("`{kind}`")), "{kind}");
    }
}
