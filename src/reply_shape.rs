//! A reply's declared shape (`reply: {same_answer: bool, reason: string}`, or a
//! named `shape Verdict { … }`): the checker types downstream fields with it,
//! every backend is asked for it (as a JSON Schema, or in the prompt), and a
//! parsed reply is checked against it.

use serde_json::{json, Map, Value};

/// How the prompt form (`reply_format = "prompt"`) starts the schema's line.
pub const SCHEMA_LINE: &str = "JSON Schema: ";

#[derive(Debug, Clone, PartialEq)]
pub enum ReplyShape {
    Bool,
    Text,
    Int {
        min: Option<i64>,
        max: Option<i64>,
    },
    Number {
        min: Option<f64>,
        max: Option<f64>,
    },
    /// One of fixed words (`"yes" | "no"`).
    OneOf(Vec<String>),
    List(Box<ReplyShape>),
    Object(Vec<ShapeField>),
}

#[derive(Debug, Clone, PartialEq)]
pub struct ShapeField {
    pub name: String,
    pub shape: ReplyShape,
    /// May be missing or null (`optional(string)`).
    pub optional: bool,
}

impl ReplyShape {
    /// The type's name in messages and hover.
    pub fn type_name(&self) -> &'static str {
        match self {
            ReplyShape::Bool => "bool",
            ReplyShape::Text => "string",
            ReplyShape::Int { .. } => "int",
            ReplyShape::Number { .. } => "number",
            ReplyShape::OneOf(_) => "choice of words",
            ReplyShape::List(_) => "list",
            ReplyShape::Object(_) => "object",
        }
    }

    /// The type's name with its article, for messages: "an int", "a bool".
    pub fn a_type(&self) -> String {
        let t = self.type_name();
        let article = if t.starts_with(['a', 'e', 'i', 'o', 'u']) {
            "an"
        } else {
            "a"
        };
        format!("{article} {t}")
    }

    /// As written in a workflow: `{same_answer: bool, reason: optional(string)}`.
    pub fn describe(&self) -> String {
        let range = |lo: Option<String>, hi: Option<String>| match (lo, hi) {
            (None, None) => String::new(),
            (lo, hi) => format!(
                "({}, {})",
                lo.unwrap_or("null".into()),
                hi.unwrap_or("null".into())
            ),
        };
        match self {
            ReplyShape::Bool | ReplyShape::Text => self.type_name().to_string(),
            ReplyShape::Int { min, max } => {
                format!(
                    "int{}",
                    range(min.map(|m| m.to_string()), max.map(|m| m.to_string()))
                )
            }
            ReplyShape::Number { min, max } => {
                format!(
                    "number{}",
                    range(min.map(|m| m.to_string()), max.map(|m| m.to_string()))
                )
            }
            ReplyShape::OneOf(words) => words
                .iter()
                .map(|w| format!("{w:?}"))
                .collect::<Vec<_>>()
                .join(" | "),
            ReplyShape::List(item) => format!("[{}]", item.describe()),
            ReplyShape::Object(fields) => {
                let inner: Vec<String> = fields
                    .iter()
                    .map(|f| {
                        let t = f.shape.describe();
                        if f.optional {
                            format!("{}: optional({t})", f.name)
                        } else {
                            format!("{}: {t}", f.name)
                        }
                    })
                    .collect();
                format!("{{{}}}", inner.join(", "))
            }
        }
    }

    /// An object's field by name.
    pub fn field(&self, name: &str) -> Option<&ShapeField> {
        match self {
            ReplyShape::Object(fields) => fields.iter().find(|f| f.name == name),
            _ => None,
        }
    }

    /// The field names of an object shape (for did-you-mean).
    pub fn field_names(&self) -> Vec<&str> {
        match self {
            ReplyShape::Object(fields) => fields.iter().map(|f| f.name.as_str()).collect(),
            _ => vec![],
        }
    }

    /// The shape as a JSON Schema inside OpenAI's strict subset: every
    /// property required and no others; an optional field is required but
    /// may be null.
    pub fn json_schema(&self) -> Value {
        match self {
            ReplyShape::Bool => json!({"type": "boolean"}),
            ReplyShape::Text => json!({"type": "string"}),
            ReplyShape::Int { min, max } => bounded(
                json!({"type": "integer"}),
                min.map(Value::from),
                max.map(Value::from),
            ),
            ReplyShape::Number { min, max } => bounded(
                json!({"type": "number"}),
                min.map(Value::from),
                max.map(Value::from),
            ),
            ReplyShape::OneOf(words) => json!({"type": "string", "enum": words}),
            ReplyShape::List(item) => json!({"type": "array", "items": item.json_schema()}),
            ReplyShape::Object(fields) => {
                let mut props = Map::new();
                for f in fields {
                    let mut s = f.shape.json_schema();
                    if f.optional {
                        s = json!({"anyOf": [s, {"type": "null"}]});
                    }
                    props.insert(f.name.clone(), s);
                }
                let required: Vec<&str> = fields.iter().map(|f| f.name.as_str()).collect();
                json!({"type": "object", "properties": props, "required": required, "additionalProperties": false})
            }
        }
    }

    /// The request's `response_format` asking for this shape. The schema's
    /// name is fixed, so renaming a step keeps its cache.
    pub fn response_format(&self, strict: bool) -> Value {
        json!({"type": "json_schema", "json_schema": {"name": "reply", "schema": self.json_schema(), "strict": strict}})
    }

    /// The shape in words, for a server that takes no schema
    /// (`reply_format = "prompt"`): appended to the prompt.
    pub fn prompt_instructions(&self) -> String {
        format!(
            "\n\nAnswer with JSON only, no other text, of this shape: {}\n{SCHEMA_LINE}{}",
            self.describe(),
            self.json_schema()
        )
    }

    /// Why a model marked `strict` cannot be asked for this shape, if it
    /// cannot: OpenAI's strict mode wants an object at the top.
    pub fn strict_problem(&self) -> Option<String> {
        match self {
            ReplyShape::Object(fields) if fields.is_empty() => {
                Some("an object with no fields asks for nothing".into())
            }
            ReplyShape::Object(_) => None,
            other => Some(format!(
                "OpenAI's strict structured outputs take an object at the top, and this reply is {}",
                other.a_type()
            )),
        }
    }

    /// Checks a parsed reply: Err names the first place that does not fit
    /// (`reason: expected a string, found 3`).
    pub fn validate(&self, v: &Value) -> Result<(), ReplyProblem> {
        self.check_at(v, "")
    }

    fn check_at(&self, v: &Value, at: &str) -> Result<(), ReplyProblem> {
        let place = || {
            if at.is_empty() {
                "the reply".to_string()
            } else {
                format!("`{at}`")
            }
        };
        let here = |what: &str| {
            Err(ReplyProblem::Mismatch {
                at: place(),
                expected: what.to_string(),
                found: shown(v),
            })
        };
        match self {
            ReplyShape::Bool if v.is_boolean() => Ok(()),
            ReplyShape::Bool => here("true or false"),
            ReplyShape::Text if v.is_string() => Ok(()),
            ReplyShape::Text => here("a string"),
            ReplyShape::Int { min, max } => match v.as_i64().or_else(|| whole(v)) {
                Some(n) if min.is_none_or(|m| n >= m) && max.is_none_or(|m| n <= m) => Ok(()),
                Some(_) => here(&format!(
                    "an int in {}",
                    self.describe().trim_start_matches("int")
                )),
                None => here("an int"),
            },
            ReplyShape::Number { min, max } => match v.as_f64() {
                Some(n) if min.is_none_or(|m| n >= m) && max.is_none_or(|m| n <= m) => Ok(()),
                Some(_) => here(&format!(
                    "a number in {}",
                    self.describe().trim_start_matches("number")
                )),
                None => here("a number"),
            },
            ReplyShape::OneOf(words) => match v.as_str() {
                Some(s) if words.iter().any(|w| w == s) => Ok(()),
                _ => here(&format!("one of {}", self.describe())),
            },
            ReplyShape::List(item) => match v.as_array() {
                Some(items) => items
                    .iter()
                    .enumerate()
                    .try_for_each(|(i, x)| item.check_at(x, &format!("{at}[{i}]"))),
                None => here("a list"),
            },
            ReplyShape::Object(fields) => {
                let Some(m) = v.as_object() else {
                    return here("an object");
                };
                for f in fields {
                    let path = if at.is_empty() {
                        f.name.clone()
                    } else {
                        format!("{at}.{}", f.name)
                    };
                    match m.get(&f.name) {
                        None | Some(Value::Null) if f.optional => {}
                        None => return Err(ReplyProblem::Missing(path)),
                        Some(x) => f.shape.check_at(x, &path)?,
                    }
                }
                if let Some(extra) = m.keys().find(|k| fields.iter().all(|f| &f.name != *k)) {
                    return Err(ReplyProblem::Extra {
                        at: place(),
                        field: extra.clone(),
                    });
                }
                Ok(())
            }
        }
    }
}

/// Why a reply does not fit its shape.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ReplyProblem {
    #[error("no JSON value in the reply")]
    NoJson,
    #[error("{at}: expected {expected}, found {found}")]
    Mismatch {
        at: String,
        expected: String,
        found: String,
    },
    #[error("`{0}` is missing")]
    Missing(String),
    #[error("{at} has a field `{field}` the shape does not declare")]
    Extra { at: String, field: String },
}

fn bounded(mut s: Value, min: Option<Value>, max: Option<Value>) -> Value {
    if let Some(m) = min {
        s["minimum"] = m;
    }
    if let Some(m) = max {
        s["maximum"] = m;
    }
    s
}

/// A float that is a whole number (`3.0`), as JSON Schema's `integer` accepts it.
pub(crate) fn whole(v: &Value) -> Option<i64> {
    v.as_f64()
        .filter(|f| f.fract() == 0.0 && f.abs() < 9e15)
        .map(|f| f as i64)
}

/// A value in a message, cut short.
fn shown(v: &Value) -> String {
    let s = v.to_string();
    if s.chars().count() > 60 {
        format!("{}…", s.chars().take(60).collect::<String>())
    } else {
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
            ShapeField {
                name: "score".into(),
                shape: ReplyShape::Int {
                    min: Some(0),
                    max: Some(10),
                },
                optional: false,
            },
        ])
    }

    #[test]
    fn a_shape_validates_and_says_where_a_reply_does_not_fit() {
        let s = verdict();
        assert!(s
            .validate(&json!({"same_answer": true, "score": 3}))
            .is_ok());
        assert!(s
            .validate(&json!({"same_answer": true, "reason": null, "score": 3.0}))
            .is_ok());
        let e = s
            .validate(&json!({"same_answer": "yes", "score": 3}))
            .unwrap_err()
            .to_string();
        assert!(e.contains("`same_answer`: expected true or false"), "{e}");
        assert!(s
            .validate(&json!({"same_answer": true, "score": 11}))
            .unwrap_err()
            .to_string()
            .contains("in (0, 10)"));
        assert!(s
            .validate(&json!({"score": 1}))
            .unwrap_err()
            .to_string()
            .contains("`same_answer` is missing"));
        assert!(s
            .validate(&json!({"same_answer": true, "score": 1, "x": 1}))
            .unwrap_err()
            .to_string()
            .contains("`x`"));
        let list = ReplyShape::List(Box::new(ReplyShape::OneOf(vec!["a".into(), "b".into()])));
        assert!(list.validate(&json!(["a", "b"])).is_ok());
        assert!(list
            .validate(&json!(["a", "c"]))
            .unwrap_err()
            .to_string()
            .contains("`[1]`"));
    }

    #[test]
    fn the_schema_is_in_openais_strict_subset() {
        let s = verdict().json_schema();
        assert_eq!(s["additionalProperties"], false);
        assert_eq!(s["required"], json!(["same_answer", "reason", "score"]));
        assert_eq!(s["properties"]["reason"]["anyOf"][1]["type"], "null");
        assert_eq!(s["properties"]["score"]["maximum"], 10);
        assert!(verdict().strict_problem().is_none());
        assert!(ReplyShape::Bool.strict_problem().is_some());
        assert_eq!(
            verdict().describe(),
            "{same_answer: bool, reason: optional(string), score: int(0, 10)}"
        );
    }
}
