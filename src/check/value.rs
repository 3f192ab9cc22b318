//! One check of a value against its declared type and range, shared by step
//! arguments and model settings. A `--set` param is checked here too: it
//! reaches an argument or a setting as the value the checker folds in.

use crate::arg_spec::ArgType;
use crate::diagnostic::did_you_mean;
use serde_json::Value;

/// Why a value does not fit: a diagnostic code, a message, and a suggestion.
pub struct Rejected {
    pub code: &'static str,
    pub message: String,
    pub help: Option<String>,
}

fn wrong(message: String) -> Rejected {
    Rejected {
        code: "wrong-type",
        message,
        help: None,
    }
}

/// The value as stored (whole numbers as integers), or why it is rejected.
pub fn check(key: &str, ty: ArgType, v: Value) -> Result<Value, Rejected> {
    let out_of_range = |x: f64, min: String, max: String| Rejected {
        code: "out-of-range",
        message: format!("`{key}` is {x}, outside {min}..={max}"),
        help: None,
    };
    Ok(match ty {
        ArgType::Int { min, max } => match v.as_f64() {
            Some(x) if x.fract() == 0.0 && x >= min as f64 && x <= max as f64 => {
                Value::from(x as i64)
            }
            Some(x) if x.fract() == 0.0 => {
                return Err(out_of_range(x, min.to_string(), max.to_string()))
            }
            _ => return Err(wrong(format!("`{key}` expects a whole number"))),
        },
        ArgType::Float { min, max } => match v.as_f64() {
            Some(x) if x >= min && x <= max => v,
            Some(x) => return Err(out_of_range(x, min.to_string(), max.to_string())),
            None => return Err(wrong(format!("`{key}` expects a number"))),
        },
        ArgType::Bool if !v.is_boolean() => {
            return Err(wrong(format!("`{key}` expects true or false")))
        }
        ArgType::Str | ArgType::FieldIn | ArgType::FieldOut if !v.is_string() => {
            return Err(wrong(format!("`{key}` expects a string")))
        }
        ArgType::Enum(options) => match v.as_str() {
            Some(s) if options.contains(&s) => v,
            _ => {
                let shown = v.as_str().map_or(v.to_string(), str::to_string);
                let help = did_you_mean(&shown, options.iter().copied())
                    .unwrap_or_else(|| format!("one of: {}", options.join(", ")));
                return Err(Rejected {
                    code: "invalid-value",
                    message: format!("`{key}` cannot be `{shown}`"),
                    help: Some(help),
                });
            }
        },
        ArgType::StrList => match &v {
            Value::Array(items) if !items.is_empty() && items.iter().all(Value::is_string) => v,
            _ => {
                return Err(wrong(format!(
                    "`{key}` expects a list of strings: [\"…\", \"…\"]"
                )))
            }
        },
        ArgType::FieldMap => match &v {
            Value::Object(m) if m.values().all(Value::is_string) => v,
            _ => {
                return Err(wrong(format!(
                    "`{key}` maps fields to columns: {{question: \"Problem\"}}"
                )))
            }
        },
        _ => v,
    })
}
