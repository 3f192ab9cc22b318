//! Reply shapes as written (`{same_answer: bool, reason: optional(string)}`,
//! `"yes" | "no"`, `int(1, 5)`, `[string]`, a named `shape`) → [`ReplyShape`],
//! with a diagnostic for every part that names no type.

use crate::diagnostic::{did_you_mean, Diagnostic, FileId};
use crate::reply_shape::{ReplyShape, ShapeField};
use crate::syntax::ast::{BinOp, Expr, ExprKind};
use std::collections::BTreeMap;

/// The type names a shape may use, for messages and completion.
pub const TYPES: &[&str] = &["bool", "string", "int", "number", "optional", "one_of"];

/// A built-in type by name (a `shape` may not take one of these names).
pub fn builtin(name: &str) -> Option<ReplyShape> {
    match name {
        "bool" => Some(ReplyShape::Bool),
        "string" | "text" => Some(ReplyShape::Text),
        "int" => Some(ReplyShape::Int {
            min: None,
            max: None,
        }),
        "number" | "float" => Some(ReplyShape::Number {
            min: None,
            max: None,
        }),
        _ => None,
    }
}

/// Named shapes declared so far (a shape may use the ones declared before it).
pub type Named = BTreeMap<String, ReplyShape>;

pub fn compile(
    e: &Expr,
    named: &Named,
    file: FileId,
    diags: &mut Vec<Diagnostic>,
) -> Option<ReplyShape> {
    // A name that is no type is `unknown-type`; every other misuse `invalid-shape`.
    let fail = |diags: &mut Vec<Diagnostic>, e: &Expr, what: String, help: String| {
        diags.push(Diagnostic::error("invalid-shape", file, e.span, what).with_help(help));
        None
    };
    match &e.kind {
        ExprKind::Ref(parts) if parts.len() == 1 => {
            let t = parts[0].text.as_str();
            match builtin(t) {
                Some(s) => Some(s),
                None => match named.get(t) {
                    Some(s) => Some(s.clone()),
                    None => {
                        let known: Vec<&str> =
                            TYPES.iter().copied().chain(named.keys().map(String::as_str)).collect();
                        let help = did_you_mean(t, known.iter().copied()).unwrap_or_else(|| {
                            format!(
                                "types: bool, string, int, number, a list `[T]`, an object `{{name: T}}`, words `\"a\" | \"b\"`{}",
                                if named.is_empty() { String::new() } else { format!(", or a shape: {}", named.keys().cloned().collect::<Vec<_>>().join(", ")) }
                            )
                        });
                        diags.push(
                            Diagnostic::error("unknown-type", file, e.span, format!("`{t}` is not a type or a declared shape"))
                                .with_help(help),
                        );
                        None
                    }
                },
            }
        }
        ExprKind::Str { value, .. } => Some(ReplyShape::OneOf(vec![value.clone()])),
        ExprKind::Binary(BinOp::Alt, l, r) => {
            let (l, r) = (compile(l, named, file, diags)?, compile(r, named, file, diags)?);
            match (l, r) {
                (ReplyShape::OneOf(mut a), ReplyShape::OneOf(b)) => {
                    a.extend(b.into_iter().filter(|w| !a.contains(w)).collect::<Vec<_>>());
                    Some(ReplyShape::OneOf(a))
                }
                _ => fail(diags, e, "`|` joins quoted words only".into(), "write the words a reply may be: `\"yes\" | \"no\"`".into()),
            }
        }
        ExprKind::List(items) if items.len() == 1 => {
            Some(ReplyShape::List(Box::new(compile(&items[0], named, file, diags)?)))
        }
        ExprKind::List(_) => fail(diags, e, "a list shape names one item type".into(), "write `[string]`, `[{name: string}]`".into()),
        ExprKind::Map(entries) if entries.is_empty() => fail(diags, e, "an object shape with no fields asks for nothing".into(), "name its fields: `{answer: string}`".into()),
        ExprKind::Map(entries) => {
            let mut fields = Vec::new();
            let mut broken = false;
            for (k, v) in entries {
                if k.text.is_empty() || k.text.contains('.') {
                    diags.push(Diagnostic::error("invalid-shape", file, k.span, format!("field name {:?} cannot be read as `field.part`", k.text)).with_help("name fields with letters, digits and `_`"));
                    continue;
                }
                if fields.iter().any(|f: &ShapeField| f.name == k.text) {
                    diags.push(Diagnostic::error("duplicate-name", file, k.span, format!("field `{}` is declared twice", k.text)));
                    continue;
                }
                let (inner, optional) = match &v.kind {
                    ExprKind::Call { func, args } if func.text == "optional" && args.len() == 1 => (&args[0], true),
                    _ => (v, false),
                };
                // Every field is checked, so one run reports every mistake.
                match compile(inner, named, file, diags) {
                    Some(shape) => fields.push(ShapeField { name: k.text.clone(), shape, optional }),
                    None => broken = true,
                }
            }
            (!broken).then_some(ReplyShape::Object(fields))
        }
        ExprKind::Call { func, args } => match func.text.as_str() {
            "int" | "number" => {
                let bound = |i: usize| -> Result<Option<f64>, ()> {
                    match args.get(i).map(|a| &a.kind) {
                        None | Some(ExprKind::Null) => Ok(None),
                        Some(ExprKind::Num { value, .. }) => Ok(Some(*value)),
                        Some(ExprKind::Unary(crate::syntax::ast::UnOp::Neg, x)) => match &x.kind {
                            ExprKind::Num { value, .. } => Ok(Some(-value)),
                            _ => Err(()),
                        },
                        Some(_) => Err(()),
                    }
                };
                let (Ok(lo), Ok(hi)) = (bound(0), bound(1)) else {
                    return fail(diags, e, format!("`{}(…)` takes two number bounds", func.text), format!("write `{}(1, 5)`, or `null` for no bound", func.text));
                };
                let int = func.text == "int";
                // An int range is whole: its bounds round inwards.
                let (lo, hi) = if int { (lo.map(f64::ceil), hi.map(f64::floor)) } else { (lo, hi) };
                let finite = lo.into_iter().chain(hi).all(|b| b.is_finite() && b.abs() < 9e15);
                if args.len() > 2 || !finite || lo.zip(hi).is_some_and(|(a, b)| a > b) {
                    return fail(diags, e, format!("`{}(…)` takes a low and a high bound, low first, that some value fits", func.text), format!("write `{}(1, 5)`, or `null` for no bound", func.text));
                }
                Some(if int {
                    ReplyShape::Int { min: lo.map(|v| v as i64), max: hi.map(|v| v as i64) }
                } else {
                    ReplyShape::Number { min: lo, max: hi }
                })
            }
            "one_of" => {
                let words: Option<Vec<String>> = args
                    .iter()
                    .map(|a| match &a.kind {
                        ExprKind::Str { value, .. } => Some(value.clone()),
                        _ => None,
                    })
                    .collect();
                match words {
                    Some(w) if !w.is_empty() => Some(ReplyShape::OneOf(w)),
                    _ => fail(diags, e, "`one_of(…)` takes quoted words".into(), "write `one_of(\"yes\", \"no\")`".into()),
                }
            }
            "optional" => fail(diags, e, "`optional(…)` marks an object's field".into(), "write it as a field's type: `{reason: optional(string)}`".into()),
            other => fail(diags, e, format!("`{other}(…)` is not a type"), "types: bool, string, int(lo, hi), number(lo, hi), one_of(\"a\", \"b\")".into()),
        },
        _ => fail(diags, e, "this is not a reply shape".into(), "a shape is a type (`bool`, `string`, `int`, `number`), words (`\"yes\" | \"no\"`), a list `[T]` or an object `{name: T}`".into()),
    }
}
