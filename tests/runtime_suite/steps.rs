//! Step kinds end to end through `regen run`, against the test server.

use crate::common::*;
use std::collections::{BTreeMap, BTreeSet};

/// `dedupe` keeps one record per distinct value per source record, whatever order they arrive in.
#[test]
fn dedupe_keeps_one_record_per_distinct_value_per_question() {
    let server = Server::start(&[]);
    let dir = tempfile::tempdir().unwrap();
    let wf = dir.path().join("dedupe.regen");
    std::fs::write(
        &wf,
        r#"workflow dedupe_check

param data: path = "stdlib/data/arith-100.jsonl"

model gen {
  temperature = 0.9
  n_per_request = false
}

source questions = jsonl(data, label: answer)
step hints = llm(questions, prompt: "Say one thing about: {{ question }}", samples: 6)
# The test server's replies open with one of three sentences: at most three distinct openings.
step openings = render(hints, template: "{{ hints[:20] }}", into: opening)
step distinct = dedupe(openings, field: opening, per: questions)

sink all = jsonl(openings, path: "all.jsonl", fields: [id, opening])
sink kept = jsonl(distinct, path: "kept.jsonl", fields: [id, opening])
"#,
    )
    .unwrap();
    let data = root().join("stdlib/data/arith-100.jsonl");
    let set = format!("data={}", data.display());
    let r = regen_in(
        dir.path(),
        &[
            "run",
            wf.to_str().unwrap(),
            "--run-dir",
            "out",
            "--limit",
            "4",
            "--set",
            &set,
        ],
        &[
            ("OPENAI_BASE_URL", server.url.as_str()),
            ("OPENAI_API_KEY", "sk-test"),
        ],
    );
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    let read = |name: &str| -> Vec<(String, String)> {
        std::fs::read_to_string(dir.path().join("out").join(name))
            .unwrap()
            .lines()
            .map(|l| {
                let v: serde_json::Value = serde_json::from_str(l).unwrap();
                (
                    v["id"].to_string(),
                    v["opening"].as_str().unwrap().to_string(),
                )
            })
            .collect()
    };
    let (all, kept) = (read("all.jsonl"), read("kept.jsonl"));
    assert_eq!(all.len(), 4 * 6, "every sample reaches the first sink");
    let mut expected: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (id, opening) in &all {
        expected
            .entry(id.clone())
            .or_default()
            .insert(opening.clone());
    }
    let mut got: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (id, opening) in &kept {
        assert!(
            got.entry(id.clone()).or_default().insert(opening.clone()),
            "{opening} kept twice for question {id}"
        );
    }
    assert_eq!(
        got, expected,
        "each distinct opening of each question, once"
    );
    assert!(
        kept.len() < all.len(),
        "the test server repeats openings, so some records go"
    );
}
