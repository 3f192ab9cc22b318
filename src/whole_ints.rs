//! A value that fits a reply shape with `int`s written as whole floats
//! (`3.0`, which the shape accepts) made to hold real ints, so a JSONL or
//! Parquet column declared `int` never carries `3.0`.

use crate::reply_shape::ReplyShape;
use serde_json::Value;

/// Rewrites `v` (already checked against `shape`) in place.
pub fn make_whole_ints(shape: &ReplyShape, v: &mut Value) {
    match (shape, v) {
        (ReplyShape::Int { .. }, v @ Value::Number(_)) if v.is_f64() => {
            if let Some(n) = crate::reply_shape::whole(v) {
                *v = Value::from(n);
            }
        }
        (ReplyShape::List(item), Value::Array(items)) => {
            items.iter_mut().for_each(|x| make_whole_ints(item, x));
        }
        (ReplyShape::Object(fields), Value::Object(m)) => {
            for f in fields {
                if let Some(x) = m.get_mut(&f.name) {
                    make_whole_ints(&f.shape, x);
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

    #[test]
    fn whole_floats_become_ints_where_the_shape_says_int_and_nowhere_else() {
        let field = |name: &str, shape| ShapeField {
            name: name.into(),
            shape,
            optional: false,
        };
        let shape = ReplyShape::Object(vec![
            field(
                "n",
                ReplyShape::Int {
                    min: None,
                    max: None,
                },
            ),
            field(
                "x",
                ReplyShape::Number {
                    min: None,
                    max: None,
                },
            ),
            field(
                "ns",
                ReplyShape::List(Box::new(ReplyShape::Int {
                    min: None,
                    max: None,
                })),
            ),
        ]);
        let mut v = serde_json::json!({"n": 3.0, "x": 2.0, "ns": [1.0, 2]});
        make_whole_ints(&shape, &mut v);
        assert_eq!(v.to_string(), r#"{"n":3,"x":2.0,"ns":[1,2]}"#);
    }
}
