//! Compile syntax expressions: constants (argument values, with params and
//! `env()` folded in) and record expressions (filters, which also read fields).

use crate::diagnostic::{did_you_mean, Diagnostic, FileId};
use crate::expr::{Func, RecordExpr};
use crate::syntax::ast::{Expr, ExprKind};
use serde_json::{Map, Value};
use std::collections::HashMap;

pub struct Scope<'a> {
    pub params: &'a HashMap<String, Value>,
    pub file: FileId,
    /// Whether bare names that are not params are record fields (filters) or errors (constants).
    pub fields_allowed: bool,
}

pub fn compile(e: &Expr, scope: &Scope, diags: &mut Vec<Diagnostic>) -> Option<RecordExpr> {
    Some(match &e.kind {
        ExprKind::Str { value, .. } => RecordExpr::Const(Value::String(value.clone())),
        ExprKind::Num { value, .. } => {
            if !value.is_finite() {
                diags.push(Diagnostic::error(
                    "invalid-number",
                    scope.file,
                    e.span,
                    "this number is out of range",
                ));
                return None;
            }
            RecordExpr::Const(crate::expr::json_num(*value))
        }
        ExprKind::Bool(b) => RecordExpr::Const(Value::Bool(*b)),
        ExprKind::Null => RecordExpr::Const(Value::Null),
        ExprKind::Ref(parts) => {
            let first = &parts[0].text;
            if let Some(v) = scope.params.get(first) {
                let v = parts[1..]
                    .iter()
                    .try_fold(v, |v, k| v.get(&k.text))
                    .cloned()
                    .unwrap_or(Value::Null);
                RecordExpr::Const(v)
            } else if scope.fields_allowed {
                RecordExpr::Field(parts.iter().map(|p| p.text.clone()).collect())
            } else {
                let mut d = Diagnostic::error(
                    "unknown-param",
                    scope.file,
                    parts[0].span,
                    format!("`{first}` is not a param"),
                );
                d.help = Some(
                    did_you_mean(first, scope.params.keys().map(String::as_str)).unwrap_or_else(
                        || {
                            "declare it with `param name = value`, or quote it to mean the text"
                                .into()
                        },
                    ),
                );
                diags.push(d);
                return None;
            }
        }
        ExprKind::Call { func, args } => {
            if func.text == "env" {
                return env_call(e, args, scope, diags);
            }
            let Some((f, least, most)) = Func::parse(&func.text) else {
                let mut d = Diagnostic::error(
                    "unknown-function",
                    scope.file,
                    func.span,
                    format!("there is no function `{}`", func.text),
                );
                d.help = Some(
                    did_you_mean(&func.text, Func::NAMES.iter().copied())
                        .unwrap_or_else(|| format!("functions: {}", Func::NAMES.join(", "))),
                );
                diags.push(d);
                return None;
            };
            if args.len() < least || args.len() > most {
                let takes = if least == most {
                    format!("{least}")
                } else {
                    format!("{least} to {most}")
                };
                diags.push(Diagnostic::error(
                    "wrong-arity",
                    scope.file,
                    e.span,
                    format!(
                        "`{}` takes {takes} argument(s), got {}",
                        func.text,
                        args.len()
                    ),
                ));
                return None;
            }
            let compiled: Option<Vec<_>> = args.iter().map(|a| compile(a, scope, diags)).collect();
            RecordExpr::Call(f, compiled?)
        }
        ExprKind::List(items) => {
            let values = items
                .iter()
                .map(|i| constant_of(i, scope, diags))
                .collect::<Option<Vec<_>>>()?;
            RecordExpr::Const(Value::Array(values))
        }
        ExprKind::Map(entries) => {
            let mut m = Map::new();
            for (k, v) in entries {
                m.insert(k.text.clone(), constant_of(v, scope, diags)?);
            }
            RecordExpr::Const(Value::Object(m))
        }
        ExprKind::Unary(op, inner) => fold(RecordExpr::Unary(
            *op,
            Box::new(compile(inner, scope, diags)?),
        )),
        ExprKind::Binary(crate::syntax::ast::BinOp::Alt, _, _) => {
            diags.push(
                Diagnostic::error(
                    "misplaced-alternative",
                    scope.file,
                    e.span,
                    "`|` joins the words a reply shape allows; it is not an operator here",
                )
                .with_help(
                    "use `or` for a condition; `\"yes\" | \"no\"` belongs in `reply:` or a `shape`",
                ),
            );
            return None;
        }
        ExprKind::Binary(op, l, r) => {
            let (l, r) = (compile(l, scope, diags), compile(r, scope, diags));
            fold(RecordExpr::Binary(*op, Box::new(l?), Box::new(r?)))
        }
    })
}

/// Evaluate sub-trees that read no field, so params fold into constants.
fn fold(e: RecordExpr) -> RecordExpr {
    let mut fields = Vec::new();
    e.fields(&mut fields);
    if fields.is_empty() {
        RecordExpr::Const(e.eval(&Value::Null))
    } else {
        e
    }
}

fn constant_of(e: &Expr, scope: &Scope, diags: &mut Vec<Diagnostic>) -> Option<Value> {
    let inner = Scope {
        params: scope.params,
        file: scope.file,
        fields_allowed: false,
    };
    constant(e, &inner, diags)
}

/// A value known before the run.
pub fn constant(e: &Expr, scope: &Scope, diags: &mut Vec<Diagnostic>) -> Option<Value> {
    let scope = Scope {
        params: scope.params,
        file: scope.file,
        fields_allowed: false,
    };
    match compile(e, &scope, diags)? {
        RecordExpr::Const(v) => Some(v),
        _ => {
            diags.push(Diagnostic::error(
                "not-constant",
                scope.file,
                e.span,
                "this value must be known before the run",
            ));
            None
        }
    }
}

fn env_call(
    e: &Expr,
    args: &[Expr],
    scope: &Scope,
    diags: &mut Vec<Diagnostic>,
) -> Option<RecordExpr> {
    if args.is_empty() || args.len() > 2 {
        diags.push(
            Diagnostic::error(
                "wrong-arity",
                scope.file,
                e.span,
                "`env` takes a variable name and an optional default",
            )
            .with_help("write env(\"NAME\", \"default\")"),
        );
        return None;
    }
    let name = constant_of(&args[0], scope, diags)?;
    let Some(name) = name.as_str() else {
        diags.push(Diagnostic::error(
            "wrong-type",
            scope.file,
            args[0].span,
            "`env` needs the variable name as a string",
        ));
        return None;
    };
    let default = match args.get(1) {
        Some(d) => constant_of(d, scope, diags)?,
        None => Value::Null,
    };
    let value = match std::env::var(name) {
        Ok(v) => match &default {
            Value::Number(_) => v
                .parse::<f64>()
                .map(crate::expr::json_num)
                .unwrap_or(Value::String(v)),
            Value::Bool(_) => v
                .parse::<bool>()
                .map(Value::Bool)
                .unwrap_or(Value::String(v)),
            _ => Value::String(v),
        },
        Err(_) if default.is_null() => {
            diags.push(
                Diagnostic::error(
                    "missing-env",
                    scope.file,
                    e.span,
                    format!("environment variable `{name}` is not set and has no default"),
                )
                .with_help(format!(
                    "set {name}, or give a default: env(\"{name}\", \"…\")"
                )),
            );
            return None;
        }
        Err(_) => default,
    };
    Some(RecordExpr::Const(value))
}
