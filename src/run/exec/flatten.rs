//! A records sink's `flatten: true`: an object field (a shaped reply) spread
//! into columns of their own, `verdict.same_answer`.

use serde_json::Value;

/// A column two values would both fill.
#[derive(Debug, PartialEq)]
pub(super) struct Collision {
    pub column: String,
}

/// A field's value as columns: an object's parts under `name.part`, the rest
/// as is. Err names a column two values would both fill (a record field
/// called `v.x` beside an object `v` with a part `x`): never one lost quietly.
pub(super) fn spread(
    name: &str,
    v: &Value,
    out: &mut serde_json::Map<String, Value>,
) -> Result<(), Collision> {
    match v {
        Value::Object(m) if !m.is_empty() => {
            for (k, x) in m {
                spread(&format!("{name}.{k}"), x, out)?;
            }
        }
        other => {
            if out.insert(name.to_string(), other.clone()).is_some() {
                return Err(Collision {
                    column: name.to_string(),
                });
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::spread;
    use serde_json::{json, Map};

    #[test]
    fn flattening_spreads_objects_and_refuses_a_column_filled_twice() {
        let mut out = Map::new();
        spread("v", &json!({"a": 1, "b": {"c": true}, "e": {}}), &mut out).unwrap();
        assert_eq!(json!(out), json!({"v.a": 1, "v.b.c": true, "v.e": {}}));
        let mut out = Map::new();
        spread("v.a", &json!(2), &mut out).unwrap();
        assert_eq!(
            spread("v", &json!({"a": 1}), &mut out).unwrap_err().column,
            "v.a"
        );
    }
}
