//! The authors' filter and training-text rules (`process_reason.py`,
//! `convert_format.py`), case by case. `tests/golden/authors-rules.jsonl` holds
//! 6,720 constructed paths × labels with the verdicts the authors' own
//! functions (`_last_boxed_only_string`, `match_answer`, `check_results_em`,
//! `find_step` and the training-text lines, run from their repository) give;
//! for labels that are not numbers, the containment test without the released
//! `if answers:` guard (the documented reconstruction). regen must agree on
//! every case: the `boxed` substring, the exact match with its whole-reply
//! fallback, first-or-last number and sign quirk, the numbered-steps paragraph
//! rule (index 0 dropped), and the training text with its boxes stripped.

use regen::answer_em::exact_match;
use regen::training_text::has_numbered_steps;
use serde_json::Value;

fn cases() -> Vec<Value> {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/golden/authors-rules.jsonl"
    ))
    .unwrap();
    text.lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[test]
fn the_filter_agrees_with_the_authors_on_every_case() {
    let cases = cases();
    assert!(cases.len() > 3000);
    let mut wrong = Vec::new();
    for c in &cases {
        let (reply, label) = (c["reply"].as_str().unwrap(), c["label"].as_str().unwrap());
        if reply.contains("boxed") != c["mentions_boxed"].as_bool().unwrap() {
            wrong.push(format!("boxed substring: {reply:?}"));
        }
        if exact_match(reply, label, false) != c["exact_match"].as_bool().unwrap() {
            wrong.push(format!(
                "exact match {reply:?} vs label {label:?}: authors say {}",
                c["exact_match"]
            ));
        }
        let authors_keep = !c["training_text"].is_null();
        if has_numbered_steps(reply, false) != authors_keep {
            wrong.push(format!(
                "numbered steps: {reply:?}: authors keep {}",
                !c["training_text"].is_null()
            ));
        }
    }
    wrong.dedup();
    assert!(
        wrong.is_empty(),
        "{} disagreements, first ones:\n{}",
        wrong.len(),
        wrong
            .iter()
            .take(20)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    );
    // The cases cover both outcomes of every rule.
    assert!(cases.iter().filter(|c| c["exact_match"] == true).count() >= 100);
    assert!(cases
        .iter()
        .any(|c| c["training_text"].is_null() && c["reply"].as_str().unwrap().starts_with("1.")));
}

#[test]
fn the_training_text_is_the_authors_byte_for_byte() {
    let template = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/stdlib/prompts/regenesis/train_assistant.j2"
    ))
    .unwrap();
    let env = regen::check::templates::environment();
    let mut checked = 0;
    for c in cases() {
        let Some(expected) = c["training_text"].as_str() else {
            continue;
        };
        let reply = c["reply"].as_str().unwrap();
        let ctx = serde_json::json!({"path": reply, "numbered_from_first": false});
        let got = env.render_str(&template, ctx).unwrap();
        assert_eq!(got, expected, "for the path {reply:?}");
        checked += 1;
    }
    assert!(checked > 1000);
}
