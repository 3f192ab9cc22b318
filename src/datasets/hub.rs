//! Layouts users export from the Hugging Face hub (these datasets ship in no
//! package reachable here, so regen reads the user's file): GSM8K, ARC,
//! OpenBookQA, AQuA-RAT, SVAMP. One JSON object per line.

use super::{row, with_choices};
use crate::data_error::{bad_row, DataError};
use serde_json::Value;

#[derive(Debug, Clone, Copy)]
pub enum Layout {
    /// `{question, answer: "…#### 72"}`
    Gsm8k,
    /// `{id, question, choices: {text: [..], label: [..]}, answerKey}`
    Arc,
    /// `{id, question_stem, choices: {text, label}, answerKey}`
    Openbookqa,
    /// `{question, options: ["A)21", …], correct: "B"}`
    Aqua,
    /// `{ID, Body, Question, Answer}`
    Svamp,
}

pub fn convert(
    text: &str,
    origin: &str,
    layout: Layout,
    prefix: &str,
) -> Result<Vec<Value>, DataError> {
    let mut rows = Vec::new();
    for (i, line) in text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
    {
        let at = format!("{origin}:{}", i + 1);
        let v: Value =
            serde_json::from_str(line).map_err(|e| bad_row(&at, format!("not JSON: {e}")))?;
        let s = |k: &str| -> Result<String, DataError> {
            match &v[k] {
                Value::String(s) => Ok(s.clone()),
                Value::Number(n) => Ok(n.to_string()),
                _ => Err(bad_row(&at, format!("no `{k}` field ({layout:?} layout)"))),
            }
        };
        let id = v["id"]
            .as_str()
            .or(v["ID"].as_str())
            .map_or_else(|| format!("{prefix}-{:05}", i + 1), str::to_string);
        let r = match layout {
            Layout::Gsm8k => {
                let answer = s("answer")?;
                let label = answer
                    .rsplit_once("####")
                    .map_or(answer.as_str(), |(_, a)| a)
                    .trim()
                    .replace(',', "");
                row(id, s("question")?, label)
            }
            Layout::Arc | Layout::Openbookqa => {
                let stem = if matches!(layout, Layout::Arc) {
                    s("question")?
                } else {
                    s("question_stem")?
                };
                let texts: Vec<String> = v["choices"]["text"]
                    .as_array()
                    .ok_or_else(|| bad_row(&at, "no `choices.text` list"))?
                    .iter()
                    .map(|t| t.as_str().unwrap_or("").to_string())
                    .collect();
                let labels: Vec<String> = v["choices"]["label"]
                    .as_array()
                    .ok_or_else(|| bad_row(&at, "no `choices.label` list"))?
                    .iter()
                    .map(|t| t.as_str().unwrap_or("").to_string())
                    .collect();
                let key = s("answerKey")?;
                // Some ARC rows label options 1-4: the answer is found by position either way.
                let k = labels.iter().position(|l| *l == key).ok_or_else(|| {
                    bad_row(&at, format!("answerKey {key} is not among {labels:?}"))
                })?;
                row(
                    id,
                    with_choices(&stem, &texts),
                    format!("({}) {}", super::letter(k), texts[k]),
                )
            }
            Layout::Aqua => {
                let options: Vec<String> = v["options"]
                    .as_array()
                    .ok_or_else(|| bad_row(&at, "no `options` list"))?
                    .iter()
                    .map(|o| {
                        let o = o.as_str().unwrap_or("");
                        o.get(2..)
                            .filter(|_| o.as_bytes().get(1) == Some(&b')'))
                            .unwrap_or(o)
                            .to_string()
                    })
                    .collect();
                let key = s("correct")?;
                let k = (key
                    .trim()
                    .as_bytes()
                    .first()
                    .copied()
                    .unwrap_or(b'?')
                    .wrapping_sub(b'A')) as usize;
                let answer = options.get(k).ok_or_else(|| {
                    bad_row(
                        &at,
                        format!("`correct` is {key} but there are {} options", options.len()),
                    )
                })?;
                row(
                    id,
                    with_choices(&s("question")?, &options),
                    format!("({}) {answer}", super::letter(k)),
                )
            }
            Layout::Svamp => {
                let q = format!("{} {}", s("Body")?.trim(), s("Question")?.trim());
                row(id, q, s("Answer")?.trim_end_matches(".0").to_string())
            }
        };
        rows.push(r);
    }
    if rows.is_empty() {
        return Err(bad_row(origin, "no rows"));
    }
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::answer::{matches, AnswerKind};

    #[test]
    fn every_hub_layout_converts_and_its_answer_checks() {
        let gsm = r#"{"question": "Q?", "answer": "3 + 4 = 7\n#### 1,007"}"#;
        let r = &convert(gsm, "g", Layout::Gsm8k, "gsm8k").unwrap()[0];
        assert_eq!(r["answer"], "1007");
        assert!(matches("\\boxed{1,007}", "1007", AnswerKind::Number));
        let arc = r#"{"id": "Mercury_1", "question": "Which?", "choices": {"text": ["a", "b", "c", "d"], "label": ["1", "2", "3", "4"]}, "answerKey": "3"}"#;
        let r = &convert(arc, "a", Layout::Arc, "arc").unwrap()[0];
        assert_eq!(r["answer"], "(C) c");
        assert_eq!(r["id"], "Mercury_1");
        assert!(matches(
            "The answer is (C).",
            r["answer"].as_str().unwrap(),
            AnswerKind::Choice
        ));
        let obqa = r#"{"id": "7", "question_stem": "Stem", "choices": {"text": ["x", "y"], "label": ["A", "B"]}, "answerKey": "B"}"#;
        assert_eq!(
            convert(obqa, "o", Layout::Openbookqa, "obqa").unwrap()[0]["answer"],
            "(B) y"
        );
        let aqua = r#"{"question": "Q", "options": ["A)21", "B)22", "C)23"], "rationale": "r", "correct": "B"}"#;
        let r = &convert(aqua, "q", Layout::Aqua, "aqua").unwrap()[0];
        assert_eq!(r["question"], "Q\nOptions:\n(A) 21\n(B) 22\n(C) 23");
        assert_eq!(r["answer"], "(B) 22");
        let svamp = r#"{"ID": "chal-1", "Body": "Jack had 8 pens.", "Question": "How many now?", "Answer": 5.0}"#;
        let r = &convert(svamp, "s", Layout::Svamp, "svamp").unwrap()[0];
        assert_eq!(
            (r["answer"].as_str(), r["id"].as_str()),
            (Some("5"), Some("chal-1"))
        );
        assert_eq!(
            convert(r#"{"q": 1}"#, "f.jsonl", Layout::Gsm8k, "g")
                .unwrap_err()
                .to_string(),
            "f.jsonl:1: no `answer` field (Gsm8k layout)"
        );
    }
}
