//! Record expressions (`keep(where: …)`): compiled from the syntax tree with
//! params folded in, evaluated per record at run time.

use crate::answer::{self, AnswerKind};
use crate::syntax::ast::{BinOp, UnOp};
use serde::Serialize;
use serde_json::Value;

#[derive(Debug, Clone, Serialize, PartialEq)]
pub enum RecordExpr {
    Const(Value),
    Field(Vec<String>),
    Unary(#[serde(skip)] UnOp, Box<RecordExpr>),
    Binary(
        #[serde(with = "binop_name")] BinOp,
        Box<RecordExpr>,
        Box<RecordExpr>,
    ),
    Call(Func, Vec<RecordExpr>),
}

mod binop_name {
    use crate::syntax::ast::BinOp;
    pub fn serialize<S: serde::Serializer>(op: &BinOp, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(op.symbol())
    }
}

/// Functions callable in expressions. `env` is only for constants (folded at check time).
#[derive(Debug, Clone, Copy, Serialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Func {
    Len,
    Tokens,
    Lower,
    Contains,
    StartsWith,
    AnswerMatches,
    IsNull,
    HasBoxed,
    NumberedSteps,
    /// The authors' `check_results_em` on a whole reply (see `answer_em`).
    ExactMatch,
    /// The authors' "has a box" test: the text contains `boxed`.
    MentionsBoxed,
}

impl Func {
    pub const NAMES: &'static [&'static str] = &[
        "len",
        "tokens",
        "lower",
        "contains",
        "starts_with",
        "answer_matches",
        "is_null",
        "has_boxed",
        "numbered_steps",
        "exact_match",
        "mentions_boxed",
        "env",
    ];
    /// The function and how many arguments it takes (at least, at most).
    pub fn parse(name: &str) -> Option<(Func, usize, usize)> {
        Some(match name {
            "len" => (Func::Len, 1, 1),
            "tokens" => (Func::Tokens, 1, 1),
            "lower" => (Func::Lower, 1, 1),
            "contains" => (Func::Contains, 2, 2),
            "starts_with" => (Func::StartsWith, 2, 2),
            "answer_matches" => (Func::AnswerMatches, 3, 3),
            "is_null" => (Func::IsNull, 1, 1),
            "has_boxed" => (Func::HasBoxed, 1, 1),
            // numbered_steps(text, first_paragraph_counts = false)
            "numbered_steps" => (Func::NumberedSteps, 1, 2),
            // exact_match(reply, label, keep_sign = false)
            "exact_match" => (Func::ExactMatch, 2, 3),
            "mentions_boxed" => (Func::MentionsBoxed, 1, 1),
            _ => return None,
        })
    }
}

impl RecordExpr {
    /// Field paths this expression reads, whole (`verdict.same_answer`).
    pub fn paths(&self, out: &mut Vec<Vec<String>>) {
        match self {
            RecordExpr::Const(_) => {}
            RecordExpr::Field(p) => out.push(p.clone()),
            RecordExpr::Unary(_, e) => e.paths(out),
            RecordExpr::Binary(_, l, r) => {
                l.paths(out);
                r.paths(out);
            }
            RecordExpr::Call(_, args) => args.iter().for_each(|a| a.paths(out)),
        }
    }

    /// Fields this expression reads (first path segment).
    pub fn fields(&self, out: &mut Vec<String>) {
        match self {
            RecordExpr::Const(_) => {}
            RecordExpr::Field(p) => out.push(p[0].clone()),
            RecordExpr::Unary(_, e) => e.fields(out),
            RecordExpr::Binary(_, l, r) => {
                l.fields(out);
                r.fields(out);
            }
            RecordExpr::Call(_, args) => args.iter().for_each(|a| a.fields(out)),
        }
    }

    /// The conditions of a top-level `a and b and c`, in order (the filter funnel's rows).
    pub fn conjuncts(&self) -> Vec<&RecordExpr> {
        match self {
            RecordExpr::Binary(BinOp::And, l, r) => {
                let mut v = l.conjuncts();
                v.extend(r.conjuncts());
                v
            }
            other => vec![other],
        }
    }

    /// Which condition removes the record (the first that is false), or `None` when it passes.
    pub fn first_failing(&self, record: &Value) -> Option<usize> {
        self.conjuncts()
            .iter()
            .position(|c| !truthy(&c.eval(record)))
    }

    /// Source-like text of the expression, params folded in (`tokens(path) < 800`).
    pub fn describe(&self) -> String {
        match self {
            RecordExpr::Binary(op, l, r) => format!(
                "{} {} {}",
                l.describe_inner(),
                op.symbol(),
                r.describe_inner()
            ),
            other => other.describe_inner(),
        }
    }

    fn describe_inner(&self) -> String {
        match self {
            RecordExpr::Const(v) => v.to_string(),
            RecordExpr::Field(p) => p.join("."),
            RecordExpr::Unary(UnOp::Not, e) => format!("not {}", e.describe_inner()),
            RecordExpr::Unary(UnOp::Neg, e) => format!("-{}", e.describe_inner()),
            RecordExpr::Binary(..) => format!("({})", self.describe()),
            RecordExpr::Call(f, args) => {
                let name = serde_json::to_value(f)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_string))
                    .unwrap_or_default();
                format!(
                    "{name}({})",
                    args.iter()
                        .map(RecordExpr::describe)
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            }
        }
    }

    pub fn eval(&self, record: &Value) -> Value {
        match self {
            RecordExpr::Const(v) => v.clone(),
            RecordExpr::Field(path) => path
                .iter()
                .try_fold(record, |v, k| v.get(k))
                .cloned()
                .unwrap_or(Value::Null),
            RecordExpr::Unary(UnOp::Not, e) => Value::Bool(!truthy(&e.eval(record))),
            RecordExpr::Unary(UnOp::Neg, e) => {
                num(&e.eval(record)).map_or(Value::Null, |n| json_num(-n))
            }
            RecordExpr::Binary(op, l, r) => binary(*op, l, r, record),
            RecordExpr::Call(f, args) => {
                let a: Vec<Value> = args.iter().map(|x| x.eval(record)).collect();
                call(*f, &a)
            }
        }
    }
}

fn binary(op: BinOp, l: &RecordExpr, r: &RecordExpr, record: &Value) -> Value {
    match op {
        BinOp::And => return Value::Bool(truthy(&l.eval(record)) && truthy(&r.eval(record))),
        BinOp::Or => return Value::Bool(truthy(&l.eval(record)) || truthy(&r.eval(record))),
        _ => {}
    }
    let (a, b) = (l.eval(record), r.eval(record));
    match op {
        BinOp::Eq => Value::Bool(loose_eq(&a, &b)),
        BinOp::Ne => Value::Bool(!loose_eq(&a, &b)),
        BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge => {
            let ord = match (num(&a), num(&b)) {
                (Some(x), Some(y)) => x.partial_cmp(&y),
                _ => match (a.as_str(), b.as_str()) {
                    (Some(x), Some(y)) => Some(x.cmp(y)),
                    _ => None,
                },
            };
            Value::Bool(ord.is_some_and(|o| match op {
                BinOp::Lt => o.is_lt(),
                BinOp::Le => o.is_le(),
                BinOp::Gt => o.is_gt(),
                _ => o.is_ge(),
            }))
        }
        BinOp::Add if a.is_string() || b.is_string() => {
            Value::String(format!("{}{}", text(&a), text(&b)))
        }
        _ => match (num(&a), num(&b)) {
            (Some(x), Some(y)) => match op {
                BinOp::Add => json_num(x + y),
                BinOp::Sub => json_num(x - y),
                BinOp::Mul => json_num(x * y),
                BinOp::Div if y != 0.0 => json_num(x / y),
                BinOp::Rem if y != 0.0 => json_num(x % y),
                _ => Value::Null,
            },
            _ => Value::Null,
        },
    }
}

fn call(f: Func, a: &[Value]) -> Value {
    let arg = |i: usize| a.get(i).unwrap_or(&Value::Null);
    match f {
        Func::Len => match arg(0) {
            Value::String(s) => json_num(s.chars().count() as f64),
            Value::Array(v) => json_num(v.len() as f64),
            Value::Object(m) => json_num(m.len() as f64),
            _ => json_num(0.0),
        },
        Func::Tokens => json_num(crate::tokens::cl100k(&text(arg(0))) as f64),
        Func::Lower => Value::String(text(arg(0)).to_lowercase()),
        Func::Contains => Value::Bool(
            text(arg(0))
                .to_lowercase()
                .contains(&text(arg(1)).to_lowercase()),
        ),
        Func::StartsWith => Value::Bool(
            text(arg(0))
                .trim_start()
                .to_lowercase()
                .starts_with(&text(arg(1)).to_lowercase()),
        ),
        Func::AnswerMatches => {
            let kind = AnswerKind::parse(&text(arg(2))).unwrap_or(AnswerKind::Text);
            Value::Bool(!arg(0).is_null() && answer::matches(&text(arg(0)), &text(arg(1)), kind))
        }
        Func::IsNull => Value::Bool(arg(0).is_null()),
        Func::HasBoxed => Value::Bool(answer::last_boxed(&text(arg(0))).is_some()),
        Func::NumberedSteps => Value::Bool(crate::training_text::has_numbered_steps(
            &text(arg(0)),
            truthy(arg(1)),
        )),
        Func::ExactMatch => Value::Bool(
            !arg(0).is_null()
                && crate::answer_em::exact_match(&text(arg(0)), &text(arg(1)), truthy(arg(2))),
        ),
        Func::MentionsBoxed => Value::Bool(text(arg(0)).contains("boxed")),
    }
}

pub fn truthy(v: &Value) -> bool {
    match v {
        Value::Null => false,
        Value::Bool(b) => *b,
        Value::Number(n) => n.as_f64().is_some_and(|x| x != 0.0),
        Value::String(s) => !s.is_empty(),
        Value::Array(a) => !a.is_empty(),
        Value::Object(o) => !o.is_empty(),
    }
}

pub fn text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

fn num(v: &Value) -> Option<f64> {
    match v {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse().ok(),
        Value::Bool(b) => Some(*b as u8 as f64),
        _ => None,
    }
}

fn loose_eq(a: &Value, b: &Value) -> bool {
    match (num(a), num(b)) {
        (Some(x), Some(y)) if !(a.is_string() && b.is_string()) => x == y,
        _ => a == b,
    }
}

pub fn json_num(x: f64) -> Value {
    if x.fract() == 0.0 && x.abs() < 9e15 {
        Value::from(x as i64)
    } else {
        serde_json::Number::from_f64(x).map_or(Value::Null, Value::Number)
    }
}

#[cfg(test)]
mod tests {
    use super::{call, Func};
    use serde_json::{json, Value};

    /// Text whose lower case is longer than itself (`İ` → `i̇`, 2 bytes → 3) and
    /// text with no lower case at all: every text function stays in bounds and right.
    #[test]
    fn every_text_function_is_safe_on_non_ascii_case_folding() {
        let s = |t: &str| Value::String(t.into());
        let tricky = [
            "İİİİİİİİ so the answer is 5",
            "ǅǄǆ ẞ ΣΑΣ",
            "1. İlk adım\n2. İkinci\n\\boxed{İ}",
            "",
            "\u{301}",
        ];
        for t in tricky {
            for f in [
                Func::Len,
                Func::Tokens,
                Func::Lower,
                Func::IsNull,
                Func::HasBoxed,
                Func::NumberedSteps,
                Func::MentionsBoxed,
            ] {
                call(f, &[s(t)]);
            }
            for f in [Func::Contains, Func::StartsWith] {
                call(f, &[s(t), s("İ")]);
                call(f, &[s("İ"), s(t)]);
            }
            for kind in ["number", "choice", "bool", "text"] {
                call(Func::AnswerMatches, &[s(t), s(t), s(kind)]);
            }
            call(Func::ExactMatch, &[s(t), s(t)]);
            call(Func::ExactMatch, &[s(t), s("İ")]);
        }
        assert_eq!(call(Func::Len, &[s("İİ")]), json!(2));
        assert_eq!(
            call(Func::Contains, &[s("İSTANBUL"), s("i̇stanbul")]),
            json!(true)
        );
        assert_eq!(
            call(Func::StartsWith, &[s("  İzmir"), s("i̇z")]),
            json!(true)
        );
        assert_eq!(
            call(
                Func::AnswerMatches,
                &[s("İİ so the answer is 12"), s("12"), s("number")]
            ),
            json!(true)
        );
        assert_eq!(call(Func::HasBoxed, &[s("İİ \\boxed{İ}")]), json!(true));
        assert_eq!(
            call(Func::NumberedSteps, &[s("İntro\n\n1. İlk\n2. İkinci")]),
            json!(true)
        );
    }
}
