//! The reply validator against the official JSON-Schema test suite
//! (draft 2020-12, the files of the keywords a reply shape uses; copied into
//! tests/json-schema-suite with the suite's licence and commit). Each case
//! whose schema a reply shape can express exactly is converted to one and
//! every test datum's verdict must match the suite's; the rest are counted as
//! out of scope, and at least a floor of cases must be in scope.

use crate::common::*;
use regen::reply_shape::{ReplyShape, ShapeField};
use serde_json::Value;

/// The schema as a reply shape, when a shape means exactly the same.
fn shape_of(s: &Value) -> Option<ReplyShape> {
    let m = s.as_object()?;
    let known = [
        "$schema",
        "type",
        "properties",
        "required",
        "additionalProperties",
        "items",
        "enum",
        "minimum",
        "maximum",
        "description",
    ];
    if m.keys().any(|k| !known.contains(&k.as_str())) {
        return None;
    }
    if let Some(words) = m.get("enum") {
        if m.get("type").is_some_and(|t| t != "string") {
            return None;
        }
        let words: Option<Vec<String>> = words
            .as_array()?
            .iter()
            .map(|w| w.as_str().map(str::to_string))
            .collect();
        return Some(ReplyShape::OneOf(words?));
    }
    let num = |k: &str| {
        m.get(k)
            .map(|v| v.as_f64())
            .map_or(Some(None), |v| v.map(Some))
    };
    match m.get("type")?.as_str()? {
        "boolean" if m.len() <= 2 => Some(ReplyShape::Bool),
        "string" if m.len() <= 2 => Some(ReplyShape::Text),
        "integer" => {
            let (lo, hi) = (num("minimum")?, num("maximum")?);
            // Whole bounds only: a shape's int range is whole.
            if lo.into_iter().chain(hi).any(|b| b.fract() != 0.0) {
                return None;
            }
            Some(ReplyShape::Int {
                min: lo.map(|v| v as i64),
                max: hi.map(|v| v as i64),
            })
        }
        "number" => Some(ReplyShape::Number {
            min: num("minimum")?,
            max: num("maximum")?,
        }),
        "array" => Some(ReplyShape::List(Box::new(shape_of(m.get("items")?)?))),
        "object" => {
            // A shape admits no other properties.
            if m.get("additionalProperties") != Some(&Value::Bool(false)) {
                return None;
            }
            let required: Vec<&str> = m.get("required").map_or(Some(vec![]), |r| {
                r.as_array()?.iter().map(Value::as_str).collect()
            })?;
            let mut fields = Vec::new();
            for (name, p) in m.get("properties")?.as_object()? {
                let optional = !required.contains(&name.as_str());
                // `anyOf: [T, null]` is an optional field only where the field may also be missing.
                let inner = match p.get("anyOf").and_then(Value::as_array) {
                    Some(alts)
                        if alts.len() == 2
                            && alts[1] == serde_json::json!({"type": "null"})
                            && optional =>
                    {
                        &alts[0]
                    }
                    Some(_) => return None,
                    None => p,
                };
                if optional && p.get("anyOf").is_none() {
                    // A missing field is fine for both, but a shape's optional field also takes null.
                    return None;
                }
                fields.push(ShapeField {
                    name: name.clone(),
                    shape: shape_of(inner)?,
                    optional,
                });
            }
            if required.iter().any(|r| fields.iter().all(|f| f.name != *r)) {
                return None;
            }
            Some(ReplyShape::Object(fields))
        }
        _ => None,
    }
}

#[test]
fn the_validator_agrees_with_the_json_schema_test_suite() {
    let dir = root().join("tests/json-schema-suite");
    let (mut checked, mut skipped) = (0, 0);
    let mut wrong = Vec::new();
    for f in files_with_ext(&dir, "json") {
        let cases: Value = serde_json::from_str(&std::fs::read_to_string(&f).unwrap()).unwrap();
        for case in cases.as_array().unwrap() {
            let Some(shape) = shape_of(&case["schema"]) else {
                skipped += case["tests"].as_array().unwrap().len();
                continue;
            };
            for t in case["tests"].as_array().unwrap() {
                checked += 1;
                let ours = shape.validate(&t["data"]).is_ok();
                if ours != t["valid"].as_bool().unwrap() {
                    wrong.push(format!(
                        "{}: {} / {}: suite says {}, shape {} says {}",
                        f.file_name().unwrap().to_string_lossy(),
                        case["description"],
                        t["description"],
                        t["valid"],
                        shape.describe(),
                        ours
                    ));
                }
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "{} of {checked} disagree:\n{}",
        wrong.len(),
        wrong.join("\n")
    );
    eprintln!("{checked} suite cases in scope, {skipped} out of scope");
    assert!(
        checked >= 40,
        "only {checked} cases in scope ({skipped} skipped)"
    );
}
