//! The ReClor-derived set in OpenAI `evals`: chat-format rows whose user turn
//! holds the passage, the question and lettered options, and `ideal` the letter.

use super::{row, with_choices};
use crate::data_error::{bad_row, DataError};
use serde_json::Value;

pub fn convert(text: &str, origin: &str) -> Result<Vec<Value>, DataError> {
    let mut rows = Vec::new();
    for (i, line) in text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
    {
        let at = format!("{origin}:{}", i + 1);
        let v: Value =
            serde_json::from_str(line).map_err(|e| bad_row(&at, format!("not JSON: {e}")))?;
        let user = v["input"]
            .as_array()
            .and_then(|m| m.iter().rev().find(|m| m["role"] == "user"))
            .and_then(|m| m["content"].as_str())
            .ok_or_else(|| bad_row(&at, "no user message in `input`"))?;
        let ideal = v["ideal"]
            .as_str()
            .map(str::trim)
            .filter(|s| s.len() == 1)
            .ok_or_else(|| bad_row(&at, "`ideal` is not a letter"))?;
        // Lines "A. text" … after the stem; "Answer:" ends the options.
        let body = user.trim().trim_end_matches("Answer:").trim_end();
        let mut stem = Vec::new();
        let mut options: Vec<String> = Vec::new();
        for l in body.lines() {
            let t = l.trim();
            let is_option = t.len() > 2
                && t.as_bytes()[1] == b'.'
                && t.as_bytes()[0] == b"ABCDEFGH"[options.len().min(7)];
            if is_option {
                options.push(t[2..].trim().to_string());
            } else if options.is_empty() {
                stem.push(t);
            } else if let Some(last) = options.last_mut() {
                last.push(' ');
                last.push_str(t);
            }
        }
        let k = (ideal.as_bytes()[0].wrapping_sub(b'A')) as usize;
        let answer = options
            .get(k)
            .ok_or_else(|| bad_row(&at, format!("answer {ideal} but {} options", options.len())))?;
        let id = v["id_string"]
            .as_str()
            .map_or_else(|| format!("reclor-{:04}", i + 1), |s| format!("reclor-{s}"));
        let stem = stem
            .join(" ")
            .trim()
            .trim_start_matches("Passage:")
            .trim()
            .to_string();
        rows.push(row(
            id,
            with_choices(&stem, &options),
            format!("({ideal}) {answer}"),
        ));
    }
    Ok(rows)
}

#[cfg(test)]
mod tests {
    #[test]
    fn reclor_rows_become_choice_questions() {
        let line = r#"{"input": [{"role": "system", "content": "Instructions"}, {"role": "user", "content": "\nPassage: P. Question: Q? \nA. one \nB. two \nC. three \nD. four \nAnswer: "}], "ideal": "C", "id_string": "val_0"}"#;
        let rows = super::convert(line, "r.jsonl").unwrap();
        assert_eq!(rows[0]["id"], "reclor-val_0");
        assert_eq!(
            rows[0]["question"],
            "P. Question: Q?\nOptions:\n(A) one\n(B) two\n(C) three\n(D) four"
        );
        assert_eq!(rows[0]["answer"], "(C) three");
        assert!(super::convert("{\"input\": []}", "r.jsonl")
            .unwrap_err()
            .to_string()
            .starts_with("r.jsonl:1: no user message"));
    }
}
