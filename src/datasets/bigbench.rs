//! BIG-bench `task.json` files (`examples` with `input` and `target_scores`).

use super::{letter, row, with_choices};
use crate::data_error::{bad_row, DataError};
use serde_json::Value;

pub enum Style {
    /// Two scores named Yes/No: the answer is `yes` or `no`.
    YesNo,
    /// Several options: written into the question, the answer is `(X) text`.
    Choices,
}

pub fn convert(
    text: &str,
    origin: &str,
    prefix: &str,
    style: Style,
) -> Result<Vec<Value>, DataError> {
    let task: Value = serde_json::from_str(text)
        .map_err(|e| bad_row(origin, format!("not a BIG-bench task.json: {e}")))?;
    let examples = task["examples"]
        .as_array()
        .ok_or_else(|| bad_row(origin, "no `examples` list"))?;
    let mut rows = Vec::with_capacity(examples.len());
    for (i, ex) in examples.iter().enumerate() {
        let at = || format!("{origin}: example {}", i + 1);
        let input = ex["input"]
            .as_str()
            .ok_or_else(|| bad_row(at(), "no `input` text"))?;
        let scores = ex["target_scores"]
            .as_object()
            .ok_or_else(|| bad_row(at(), "no `target_scores`"))?;
        let best = scores
            .iter()
            .position(|(_, v)| v.as_f64() == Some(1.0))
            .ok_or_else(|| bad_row(at(), "no option scores 1"))?;
        let id = format!("{prefix}-{:05}", i + 1);
        let options: Vec<String> = scores.keys().cloned().collect();
        let r = match style {
            Style::YesNo => {
                let answer = options[best].trim().trim_end_matches('.').to_lowercase();
                if answer != "yes" && answer != "no" {
                    return Err(bad_row(
                        at(),
                        format!("expected Yes/No options, found {options:?}"),
                    ));
                }
                row(id, input.trim().to_string(), answer)
            }
            Style::Choices => row(
                id,
                with_choices(input, &options),
                format!("({}) {}", letter(best), options[best].trim()),
            ),
        };
        rows.push(r);
    }
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strategyqa_and_mathqa_layouts() {
        let sqa = r#"{"examples": [{"input": "Is frost common at commencements?", "target_scores": {"Yes": 1, "No": 0}, "target": "Yes. ..."}]}"#;
        let rows = convert(sqa, "t.json", "strategyqa", Style::YesNo).unwrap();
        assert_eq!(rows[0]["answer"], "yes");
        assert_eq!(rows[0]["id"], "strategyqa-00001");
        let mqa = r#"{"examples": [{"input": "120 is what percent of 50 ?", "target_scores": {"5 %": 0, "240 %": 1, "50 %": 0}}]}"#;
        let rows = convert(mqa, "t.json", "mathqa", Style::Choices).unwrap();
        assert_eq!(
            rows[0]["question"],
            "120 is what percent of 50 ?\nOptions:\n(A) 5 %\n(B) 240 %\n(C) 50 %"
        );
        assert_eq!(rows[0]["answer"], "(B) 240 %");
        assert!(crate::answer::matches(
            "B",
            rows[0]["answer"].as_str().unwrap(),
            crate::answer::AnswerKind::Choice
        ));
        let broken = r#"{"examples": [{"input": "x", "target_scores": {"a": 0}}]}"#;
        assert_eq!(
            convert(broken, "t.json", "m", Style::Choices)
                .unwrap_err()
                .to_string(),
            "t.json: example 1: no option scores 1"
        );
    }
}
