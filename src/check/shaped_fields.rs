//! Fields that hold a shaped reply (`reply:`): which shape reaches each step,
//! and every read of `field.sub` — in a condition or a template — checked
//! against it. A condition that is a shaped non-bool field is a type error.

use super::fields::Analysis;
use crate::diagnostic::{did_you_mean, Diagnostic, FileId, Span};
use crate::expr::RecordExpr;
use crate::reply_shape::ReplyShape;
use crate::syntax::ast::{BinOp, UnOp};
use crate::workflow::Workflow;
use std::collections::BTreeMap;

pub type Shapes = BTreeMap<String, ReplyShape>;

/// The shaped fields of the records each node receives.
pub fn shapes_in(wf: &Workflow, a: &Analysis) -> Vec<Shapes> {
    let n = wf.nodes.len();
    let (mut ins, mut outs) = (vec![Shapes::new(); n], vec![Shapes::new(); n]);
    for &id in &a.order {
        let node = &wf.nodes[id];
        // A field's shape is known when every input that provides it agrees.
        let mut sin: Option<Shapes> = None;
        for i in node
            .inputs
            .iter()
            .filter(|i| a.fields_out[**i].iter().next().is_some())
        {
            sin = Some(match sin {
                None => outs[*i].clone(),
                Some(s) => s
                    .into_iter()
                    .filter(|(k, v)| outs[*i].get(k) == Some(v))
                    .collect(),
            });
        }
        let sin = sin.unwrap_or_default();
        let mut sout = sin.clone();
        for f in node.kind.adds(node, wf) {
            sout.remove(&f);
        }
        sout.extend(node.kind.shaped_fields(node));
        ins[id] = sin;
        outs[id] = sout;
    }
    ins
}

pub fn check(wf: &Workflow, a: &Analysis, diags: &mut Vec<Diagnostic>) {
    let shapes = shapes_in(wf, a);
    for &id in &a.order {
        let node = &wf.nodes[id];
        let have = &shapes[id];
        if let Some(filter) = &node.filter {
            let span = node.arg_span("where");
            let mut paths = Vec::new();
            filter.paths(&mut paths);
            for p in paths {
                walk(have, &p, node.file, span, &node.name, diags);
            }
            condition(filter, have, node.file, span, diags);
        }
        for p in node.prompts.values() {
            for (field, attr) in &p.attr_reads {
                walk(
                    have,
                    &[field.clone(), attr.clone()],
                    node.file,
                    p.span,
                    &node.name,
                    diags,
                );
            }
        }
    }
}

/// The shape at the end of `path`, reporting the first part no shape has.
fn walk<'s>(
    have: &'s Shapes,
    path: &[String],
    file: FileId,
    span: Span,
    step: &str,
    diags: &mut Vec<Diagnostic>,
) -> Option<&'s ReplyShape> {
    let mut shape = have.get(&path[0])?;
    for (i, part) in path.iter().enumerate().skip(1) {
        let at = path[..i].join(".");
        match shape {
            ReplyShape::Object(_) => match shape.field(part) {
                Some(f) => shape = &f.shape,
                None => {
                    let names = shape.field_names();
                    let mut d = Diagnostic::error(
                        "unknown-field",
                        file,
                        span,
                        format!("`{step}` reads `{at}.{part}`, but `{at}` has no field `{part}`"),
                    );
                    d.help = Some(match did_you_mean(part, names.iter().copied()) {
                        Some(dym) => format!("{dym} (its shape: {})", shape.describe()),
                        None => format!("its shape: {}", shape.describe()),
                    });
                    diags.push(d);
                    return None;
                }
            },
            other => {
                diags.push(
                    Diagnostic::error(
                        "unknown-field",
                        file,
                        span,
                        format!(
                            "`{step}` reads `{at}.{part}`, but `{at}` is {}, with no fields",
                            other.a_type()
                        ),
                    )
                    .with_help(format!("its shape: {}", other.describe())),
                );
                return None;
            }
        }
    }
    Some(shape)
}

/// A condition's parts that must be true or false: a shaped field that is
/// not a bool there is a type error.
fn condition(e: &RecordExpr, have: &Shapes, file: FileId, span: Span, diags: &mut Vec<Diagnostic>) {
    match e {
        RecordExpr::Binary(BinOp::And | BinOp::Or, l, r) => {
            condition(l, have, file, span, diags);
            condition(r, have, file, span, diags);
        }
        RecordExpr::Unary(UnOp::Not, inner) => condition(inner, have, file, span, diags),
        RecordExpr::Field(path) if have.contains_key(&path[0]) => {
            let mut quiet = Vec::new();
            let Some(shape) = walk(have, path, file, span, "", &mut quiet) else {
                return;
            };
            if *shape != ReplyShape::Bool {
                let name = path.join(".");
                diags.push(
                    Diagnostic::error(
                        "wrong-type",
                        file,
                        span,
                        format!(
                            "`{name}` is {}; a condition needs true or false",
                            shape.a_type()
                        ),
                    )
                    .with_help(match shape {
                        ReplyShape::Text | ReplyShape::OneOf(_) => {
                            format!("compare it: `{name} == \"…\"`")
                        }
                        ReplyShape::Int { .. } | ReplyShape::Number { .. } => {
                            format!("compare it: `{name} >= 1`")
                        }
                        _ => format!("test one of its parts: its shape is {}", shape.describe()),
                    }),
                );
            }
        }
        _ => {}
    }
}
