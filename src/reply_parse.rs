//! Reading a model's reply as its declared shape, leniently: the JSON may sit
//! in a fenced block or among other text, carry trailing commas or single
//! quotes, or be a bare word for a one-word shape. What comes out is then
//! conformed (`"3"` for an int is 3, `"yes"` for a bool is true) and checked
//! against the shape; Err says what did not fit.

use crate::reply_shape::{ReplyProblem, ReplyShape};
use serde_json::Value;

/// The reply as a value of `shape`, or why not.
pub fn parse(text: &str, shape: &ReplyShape) -> Result<Value, ReplyProblem> {
    let mut first_problem = None;
    let mut found_any = false;
    // The last value that fits wins: a model answers last, and an echo of the
    // instructions' example comes first.
    for c in candidates(text, shape).into_iter().rev() {
        let Some(mut value) = parse_json(&c) else {
            continue;
        };
        found_any = true;
        conform(&mut value, shape);
        match shape.validate(&value) {
            Ok(()) => return Ok(value),
            Err(p) => {
                first_problem.get_or_insert(p);
            }
        }
    }
    // A string shape takes plain text as it is.
    if *shape == ReplyShape::Text && !text.trim().is_empty() {
        return Ok(Value::String(text.trim().to_string()));
    }
    Err(match (first_problem, found_any) {
        (Some(p), _) => p,
        (None, _) => ReplyProblem::NoJson,
    })
}

/// Texts that may hold the value, least likely first: the whole reply, a
/// fenced block, every balanced `{…}` or `[…]` in order, a bare word.
fn candidates(text: &str, shape: &ReplyShape) -> Vec<String> {
    let t = text.trim();
    let mut out = Vec::new();
    // A bare word for a shape that is one word (`yes`, `"B"`).
    if matches!(shape, ReplyShape::OneOf(_) | ReplyShape::Bool) {
        let word = t.trim_matches(|c: char| !c.is_alphanumeric() && c != '_');
        if !word.is_empty() && !word.contains(char::is_whitespace) {
            out.push(format!("{word:?}"));
        }
    }
    for (i, c) in t.char_indices() {
        if c == '{' || c == '[' {
            if let Some(end) = balanced_end(&t[i..]) {
                out.push(t[i..i + end].to_string());
            }
        }
    }
    if let Some(start) = t.find("```") {
        let after = &t[start + 3..];
        let body = after.split_once('\n').map_or(after, |(first, rest)| {
            if first.trim().chars().all(|c| c.is_ascii_alphanumeric()) {
                rest
            } else {
                after
            }
        });
        if let Some(end) = body.find("```") {
            out.push(body[..end].trim().to_string());
        }
    }
    out.push(t.to_string());
    out
}

/// Where the bracket that opens `s` closes (strings and escapes skipped).
fn balanced_end(s: &str) -> Option<usize> {
    let mut depth = 0usize;
    let mut quote: Option<char> = None;
    let mut escaped = false;
    for (i, c) in s.char_indices() {
        if let Some(q) = quote {
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == q {
                quote = None;
            }
            continue;
        }
        match c {
            '"' | '\'' => quote = Some(c),
            '{' | '[' => depth += 1,
            '}' | ']' => {
                depth = depth.checked_sub(1)?;
                if depth == 0 {
                    return Some(i + 1);
                }
            }
            _ => {}
        }
    }
    None
}

/// Strict JSON first, then with trailing commas dropped and single quotes
/// read as double quotes.
fn parse_json(text: &str) -> Option<Value> {
    if let Ok(v) = serde_json::from_str::<Value>(text) {
        return Some(v);
    }
    let repaired = repair(text);
    serde_json::from_str::<Value>(&repaired).ok()
}

fn repair(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let chars: Vec<char> = text.chars().collect();
    let mut in_string: Option<char> = None;
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        match in_string {
            Some(q) => {
                if c == '\\' && i + 1 < chars.len() {
                    out.push(c);
                    out.push(chars[i + 1]);
                    i += 2;
                    continue;
                }
                if c == q {
                    in_string = None;
                    out.push('"');
                } else if c == '"' {
                    out.push_str("\\\"");
                } else {
                    out.push(c);
                }
            }
            None => match c {
                '"' | '\'' => {
                    in_string = Some(c);
                    out.push('"');
                }
                ',' => {
                    let next = chars[i + 1..].iter().find(|c| !c.is_whitespace());
                    if !matches!(next, Some('}') | Some(']')) {
                        out.push(c);
                    }
                }
                _ => out.push(c),
            },
        }
        i += 1;
    }
    out
}

/// Loosely typed values made to fit: a number or a yes/no in a string, a
/// word in another case.
fn conform(v: &mut Value, shape: &ReplyShape) {
    match (shape, &*v) {
        (ReplyShape::Bool, Value::String(s)) => match s.trim().to_ascii_lowercase().as_str() {
            "true" | "yes" => *v = Value::Bool(true),
            "false" | "no" => *v = Value::Bool(false),
            _ => {}
        },
        (ReplyShape::Int { .. } | ReplyShape::Number { .. }, Value::String(s)) => {
            if let Ok(n) = serde_json::from_str::<serde_json::Number>(s.trim()) {
                *v = Value::Number(n);
                conform(v, shape);
            }
        }
        // A whole number written `3.0` is the int 3 (and `-0` is 0).
        (ReplyShape::Int { .. }, Value::Number(n)) if !n.is_i64() => {
            if let Some(f) = n.as_f64().filter(|f| f.fract() == 0.0 && f.abs() < 9e15) {
                *v = Value::from(f as i64);
            }
        }
        (ReplyShape::OneOf(words), Value::String(s)) => {
            let said = s.trim();
            if words.iter().any(|w| w == said) {
                *v = Value::String(said.to_string());
                return;
            }
            let lower = said.to_lowercase();
            let mut same = words.iter().filter(|w| w.to_lowercase() == lower);
            if let (Some(w), None) = (same.next(), same.next()) {
                *v = Value::String(w.clone());
            }
        }
        (ReplyShape::List(item), Value::Array(_)) => {
            if let Value::Array(items) = v {
                items.iter_mut().for_each(|x| conform(x, item));
            }
        }
        (ReplyShape::Object(fields), Value::Object(_)) => {
            if let Value::Object(m) = v {
                for f in fields {
                    if let Some(x) = m.get_mut(&f.name) {
                        conform(x, &f.shape);
                    }
                }
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reply_shape::ShapeField;
    use serde_json::json;

    fn verdict() -> ReplyShape {
        ReplyShape::Object(vec![
            ShapeField {
                name: "same_answer".into(),
                shape: ReplyShape::Bool,
                optional: false,
            },
            ShapeField {
                name: "reason".into(),
                shape: ReplyShape::Text,
                optional: true,
            },
        ])
    }

    #[test]
    fn replies_are_read_leniently() {
        let want = json!({"same_answer": true, "reason": "both 42"});
        for text in [
            r#"{"same_answer": true, "reason": "both 42"}"#,
            "```json\n{\"same_answer\": true, \"reason\": \"both 42\"}\n```",
            "Sure! Here it is: {\"same_answer\": true, \"reason\": \"both 42\"} Hope it helps.",
            "{\"same_answer\": true, \"reason\": \"both 42\",}",
            "{'same_answer': true, 'reason': 'both 42'}",
            "{\"same_answer\": \"yes\", \"reason\": \"both 42\"}",
        ] {
            assert_eq!(parse(text, &verdict()).unwrap(), want, "{text}");
        }
        let yn = ReplyShape::OneOf(vec!["yes".into(), "no".into()]);
        assert_eq!(parse("Yes.", &yn).unwrap(), json!("yes"));
        assert_eq!(parse("\"no\"", &yn).unwrap(), json!("no"));
        let n = ReplyShape::Int {
            min: None,
            max: None,
        };
        assert_eq!(parse("\"7\"", &n).unwrap(), json!(7));
    }

    #[test]
    fn the_last_fitting_value_wins_and_braces_before_it_do_not_hide_it() {
        let v = verdict();
        let echo =
            r#"The format is {"same_answer": true} for yes. My answer: {"same_answer": false}"#;
        assert_eq!(parse(echo, &v).unwrap()["same_answer"], false);
        let boxed = r#"The solution gives \boxed{20}, the label 20, so: {"same_answer": true}"#;
        assert_eq!(parse(boxed, &v).unwrap()["same_answer"], true);
        let think = "<think>maybe {x} or {y}</think>\n{\"same_answer\": false}";
        assert_eq!(parse(think, &v).unwrap()["same_answer"], false);
        // Plain text for a string shape; a whole float for an int.
        assert_eq!(
            parse("hello world", &ReplyShape::Text).unwrap(),
            json!("hello world")
        );
        let n = ReplyShape::Int {
            min: Some(0),
            max: Some(10),
        };
        assert!(parse("3.0", &n).unwrap().is_i64());
        assert_eq!(parse("-0", &n).unwrap(), json!(0));
        // An exact word is kept; a case-insensitive match only when it is the only one.
        let words = ReplyShape::OneOf(vec!["A".into(), "a".into(), "Ärger".into()]);
        assert_eq!(parse("\"a\"", &words).unwrap(), json!("a"));
        assert_eq!(parse("\"ärger\"", &words).unwrap(), json!("Ärger"));
    }

    #[test]
    fn a_reply_that_does_not_fit_says_why() {
        assert!(parse("I think they match", &verdict())
            .unwrap_err()
            .to_string()
            .contains("no JSON"));
        let e = parse(r#"{"same_answer": 3}"#, &verdict())
            .unwrap_err()
            .to_string();
        assert!(e.contains("`same_answer`: expected true or false"), "{e}");
        // A quote inside a single-quoted string stays a quote.
        let s = parse(
            r#"{'same_answer': false, 'reason': 'he said "no"'}"#,
            &verdict(),
        )
        .unwrap();
        assert_eq!(s["reason"], "he said \"no\"");
    }
}
