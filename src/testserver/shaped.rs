//! The test server's answer to a request with `response_format: {type:
//! "json_schema"}`: JSON valid for the schema, its values drawn from the text
//! reply the server would give without one (a bool is that reply's yes or no,
//! a string the reply itself). Fault flags send what real models send:
//! prose, fenced JSON among chatter, or values of the wrong type.

use serde_json::{json, Map, Value};

/// What a shaped reply looks like on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    None,
    /// No JSON at all: the text reply.
    Prose,
    /// Valid JSON in a ```json fence, with a sentence before and after.
    Fenced,
    /// JSON of the right fields with values of the wrong type.
    WrongType,
}

/// The reply's content for `schema`, derived from the plain `text` reply.
pub fn answer(schema: &Value, text: &str, fault: Fault) -> String {
    let value = value_for(schema, text, fault == Fault::WrongType);
    match fault {
        Fault::Prose => text.to_string(),
        Fault::Fenced => {
            format!("Here is my answer:\n```json\n{value:#}\n```\nLet me know if you need more.")
        }
        _ => value.to_string(),
    }
}

fn value_for(schema: &Value, text: &str, wrong: bool) -> Value {
    let yes = text.trim_start().to_ascii_lowercase().starts_with("yes");
    // `anyOf: [T, null]` (an optional field): T.
    if let Some(first) = schema["anyOf"].as_array().and_then(|a| a.first()) {
        return value_for(first, text, wrong);
    }
    if let Some(words) = schema["enum"].as_array() {
        // A word of the reply that is one of the choices (whole words only).
        let said: Vec<String> = text
            .split(|c: char| !c.is_alphanumeric() && c != '_' && c != '-')
            .map(str::to_ascii_lowercase)
            .collect();
        let found = words.iter().find(|w| {
            w.as_str()
                .is_some_and(|w| said.contains(&w.to_ascii_lowercase()))
        });
        return found.or(words.first()).cloned().unwrap_or(Value::Null);
    }
    match schema["type"].as_str().unwrap_or("") {
        "boolean" if wrong => json!("maybe"),
        "boolean" => Value::Bool(yes),
        "string" => Value::String(text.chars().take(200).collect()),
        "integer" | "number" if wrong => json!("many"),
        "integer" | "number" => {
            let lo = schema["minimum"].as_f64().unwrap_or(f64::MIN);
            let hi = schema["maximum"].as_f64().unwrap_or(f64::MAX);
            let n = crate::answer::extract(text, crate::answer::AnswerKind::Number)
                .and_then(|n| n.parse::<f64>().ok())
                .unwrap_or(if yes { hi.min(1.0) } else { lo.max(0.0) })
                .clamp(lo, hi);
            if schema["type"] == "integer" {
                json!(n.round() as i64)
            } else {
                json!(n)
            }
        }
        "array" => Value::Array(vec![value_for(&schema["items"], text, wrong)]),
        "object" => {
            let mut m = Map::new();
            for (k, s) in schema["properties"].as_object().into_iter().flatten() {
                m.insert(k.clone(), value_for(s, text, wrong));
            }
            Value::Object(m)
        }
        _ => Value::String(text.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_schema_gets_json_drawn_from_the_text_reply() {
        let schema = json!({"type": "object", "properties": {
            "same_answer": {"type": "boolean"},
            "reason": {"anyOf": [{"type": "string"}, {"type": "null"}]},
            "grade": {"type": "string", "enum": ["A", "B"]},
            "score": {"type": "integer", "minimum": 0, "maximum": 10}}});
        let v: Value =
            serde_json::from_str(&answer(&schema, "Yes, both give 42.", Fault::None)).unwrap();
        assert_eq!(v["same_answer"], true);
        assert_eq!(v["score"], 10);
        assert_eq!(v["grade"], "A");
        let fenced = answer(&schema, "No.", Fault::Fenced);
        assert!(fenced.contains("```json") && serde_json::from_str::<Value>(&fenced).is_err());
        let wrong: Value = serde_json::from_str(&answer(&schema, "No.", Fault::WrongType)).unwrap();
        assert_eq!(wrong["same_answer"], "maybe");
    }
}
