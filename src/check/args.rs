//! One node's call → its inputs, references and typed argument values.

use super::exprs::{compile, constant, Scope};
use super::inputs::{check_pools, input_ref};
use super::templates;
use crate::diagnostic::{did_you_mean, Diagnostic, FileId};
use crate::steps::{ArgType, Positional};
use crate::syntax::ast::{Call, DeclKind, Expr};
use crate::workflow::{NodeId, Workflow};
use serde_json::Value;
use std::collections::HashMap;

pub fn resolve_args(
    wf: &mut Workflow,
    id: NodeId,
    file: FileId,
    call: &Call,
    params: &HashMap<String, Value>,
    diags: &mut Vec<Diagnostic>,
) {
    let kind = wf.nodes[id].kind;
    let scope = Scope {
        params,
        file,
        fields_allowed: false,
    };
    let positional: Vec<&Expr> = call.positional().map(|a| &a.value).collect();

    match kind.positional() {
        Positional::Location => match positional.as_slice() {
            [one] => {
                if let Some(v) = constant(one, &scope, diags) {
                    match v.as_str() {
                        Some(s) => {
                            wf.nodes[id]
                                .args
                                .insert("location".into(), Value::String(s.to_string()));
                            wf.nodes[id].arg_spans.insert("location".into(), one.span);
                        }
                        None => diags.push(Diagnostic::error(
                            "wrong-type",
                            file,
                            one.span,
                            "expected a path or name as a string",
                        )),
                    }
                }
            }
            _ => diags.push(
                Diagnostic::error(
                    "missing-argument",
                    file,
                    call.span,
                    format!("`{}` takes exactly one path or name first", call.func.text),
                )
                .with_help(format!(
                    "e.g. {}(\"stdlib/data/arith-100.jsonl\")",
                    call.func.text
                )),
            ),
        },
        Positional::Records { min, max } => {
            let mut inputs = Vec::new();
            for e in &positional {
                for op in e.union_operands() {
                    if let Some(n) = input_ref(wf, id, op, file, diags) {
                        inputs.push(n);
                    }
                }
            }
            let written: usize = positional.iter().map(|e| e.union_operands().len()).sum();
            if written < min {
                let what = if wf.nodes[id].decl == DeclKind::Sink {
                    "a sink fed by nothing"
                } else {
                    "too few inputs"
                };
                diags.push(
                    Diagnostic::error(
                        "missing-input",
                        file,
                        call.span,
                        format!("{what}: `{}` needs at least {min} input(s)", call.func.text),
                    )
                    .with_help("name the steps it reads first, e.g. `jsonl(kept + hinted, path: \"out/train.jsonl\")`"),
                );
            } else if inputs.len() > max {
                diags.push(Diagnostic::error(
                    "too-many-inputs",
                    file,
                    call.span,
                    format!("`{}` takes at most {max} input(s)", call.func.text),
                ));
            }
            check_pools(wf, id, &inputs, file, call, diags);
            wf.nodes[id].unresolved = inputs.len() < written;
            wf.nodes[id].inputs = inputs;
        }
    }

    for a in call.args.iter() {
        let Some(key) = &a.name else { continue };
        let Some(spec) = kind.args().iter().find(|s| s.name == key.text) else {
            let mut d = Diagnostic::error(
                "unknown-argument",
                file,
                key.span,
                format!("`{}` has no argument `{}`", call.func.text, key.text),
            );
            let names: Vec<&str> = kind.args().iter().map(|s| s.name).collect();
            d.help = Some(
                did_you_mean(&key.text, names.iter().copied())
                    .unwrap_or_else(|| format!("arguments: {}", names.join(", "))),
            );
            diags.push(d);
            continue;
        };
        if wf.nodes[id]
            .arg_spans
            .insert(key.text.clone(), a.value.span)
            .is_some()
        {
            diags.push(Diagnostic::error(
                "duplicate-argument",
                file,
                key.span,
                format!("`{}` is given twice", key.text),
            ));
            continue;
        }
        resolve_one(wf, id, spec.name, spec.ty, &a.value, &scope, diags);
    }
    for spec in kind.args().iter().filter(|s| s.required) {
        if call.named(spec.name).is_none() {
            diags.push(
                Diagnostic::error(
                    "missing-argument",
                    file,
                    call.span,
                    format!("`{}` needs `{}:`", call.func.text, spec.name),
                )
                .with_help(format!("{}: {}", spec.name, spec.doc)),
            );
        }
    }
    // Defaults the kind declares for what was left out: from here on, one value.
    for (key, value) in kind.defaults(&wf.nodes[id]) {
        if !wf.nodes[id].args.contains_key(key) {
            wf.nodes[id].args.insert(key.into(), value);
        }
    }
    // A model whose declaration did not parse was reported already.
    let broken_model = wf.models.is_empty() && wf.broken.iter().any(|b| b.starts_with("model:"));
    if kind.calls_llm()
        && wf.nodes[id].model.is_none()
        && call.named("model").is_none()
        && !broken_model
    {
        match wf.models.len() {
            1 => wf.nodes[id].model = Some(0),
            0 => diags.push(
                Diagnostic::error("no-model", file, call.span, "this step calls a model, but the workflow declares none")
                    .with_help("declare one: model gen { endpoint = \"http://127.0.0.1:8080/v1\"  name = \"…\" }"),
            ),
            _ => diags.push(
                Diagnostic::error("ambiguous-model", file, call.span, "several models are declared; say which this step calls")
                    .with_help(format!("add `model: {}`", wf.models[0].name)),
            ),
        }
    }
    if kind.decl() == DeclKind::Pool {
        super::pools::load_pool(wf, id, file, diags);
    }
    // A template may read a whole pool by name (`{% for g in seeds %}`): that is an edge.
    let reads: Vec<String> = wf.nodes[id]
        .prompts
        .values()
        .flat_map(|p| p.reads.clone())
        .collect();
    for r in reads {
        if let Some(p) = wf.node(&r).filter(|p| wf.nodes[*p].decl == DeclKind::Pool) {
            wf.nodes[id].refs.insert(format!("reads {r}"), p);
        }
    }
}

fn resolve_one(
    wf: &mut Workflow,
    id: NodeId,
    key: &str,
    ty: ArgType,
    e: &Expr,
    scope: &Scope,
    diags: &mut Vec<Diagnostic>,
) {
    let file = scope.file;
    let bare = e
        .as_ident()
        .filter(|n| !scope.params.contains_key(&n.text))
        .map(|n| n.text.clone());
    match ty {
        ArgType::Node | ArgType::Source => {
            let Some(name) = e.as_ident() else {
                diags.push(Diagnostic::error(
                    "wrong-type",
                    file,
                    e.span,
                    format!("`{key}` names a step"),
                ));
                return;
            };
            match wf.node(&name.text) {
                Some(n) if ty == ArgType::Source && wf.nodes[n].decl != DeclKind::Source => diags
                    .push(
                        Diagnostic::error(
                            "not-a-source",
                            file,
                            name.span,
                            format!(
                                "`{key}` must name a source; `{}` is a {}",
                                name.text,
                                wf.nodes[n].decl.keyword()
                            ),
                        )
                        .with_help(
                            "groups are the records of a source (lineage): `per: questions`",
                        ),
                    ),
                Some(n) if n == id => diags.push(Diagnostic::error(
                    "cycle",
                    file,
                    name.span,
                    format!("`{}` refers to itself", name.text),
                )),
                Some(n) => {
                    wf.nodes[id].refs.insert(key.to_string(), n);
                }
                None => {
                    let mut d = Diagnostic::error(
                        "unknown-step",
                        file,
                        name.span,
                        format!("no step or source named `{}`", name.text),
                    );
                    d.help = did_you_mean(&name.text, wf.nodes.iter().map(|x| x.name.as_str()));
                    diags.push(d);
                }
            }
        }
        ArgType::Model => {
            let Some(name) = e.as_ident() else {
                diags.push(Diagnostic::error(
                    "wrong-type",
                    file,
                    e.span,
                    "`model` names a model declaration",
                ));
                return;
            };
            match wf.models.iter().position(|m| m.name == name.text) {
                Some(m) => wf.nodes[id].model = Some(m),
                None => {
                    let mut d = Diagnostic::error(
                        "unknown-model",
                        file,
                        name.span,
                        format!("no model named `{}`", name.text),
                    );
                    d.help = Some(
                        did_you_mean(&name.text, wf.models.iter().map(|m| m.name.as_str()))
                            .unwrap_or_else(|| "declare it with `model name { … }`".into()),
                    );
                    diags.push(d);
                }
            }
        }
        ArgType::Shape => {
            if let Some(s) = super::shapes::compile(e, &wf.shapes, file, diags) {
                // The shape as text joins the arguments: step identity and `explain` see it.
                wf.nodes[id]
                    .args
                    .insert(key.into(), Value::String(s.describe()));
                wf.nodes[id].reply = Some(s);
            }
        }
        ArgType::Filter => {
            let scope = Scope {
                params: scope.params,
                file,
                fields_allowed: true,
            };
            if let Some(f) = compile(e, &scope, diags) {
                wf.nodes[id].filter = Some(f);
            }
        }
        // An enum given by a string param (`answers: answer_format`) takes the param's value.
        ArgType::Enum(options)
            if bare.as_ref().is_some_and(|b| {
                !options.contains(&b.as_str()) && scope.params.get(b).is_some_and(Value::is_string)
            }) =>
        {
            let value = scope
                .params
                .get(&bare.unwrap_or_default())
                .cloned()
                .unwrap_or_default();
            set_checked(wf, id, key, ty, value, e, file, diags);
        }
        ArgType::FieldIn | ArgType::FieldOut | ArgType::Enum(_) if bare.is_some() => {
            let value = bare.unwrap_or_default();
            set_checked(wf, id, key, ty, Value::String(value), e, file, diags);
        }
        ArgType::FieldList => {
            let items: Vec<Value> = match &e.kind {
                crate::syntax::ast::ExprKind::List(items) => items
                    .iter()
                    .filter_map(|i| {
                        i.as_ident()
                            .map(|n| Value::String(n.text.clone()))
                            .or_else(|| i.as_str().map(|s| Value::String(s.into())))
                    })
                    .collect(),
                _ => {
                    diags.push(Diagnostic::error(
                        "wrong-type",
                        file,
                        e.span,
                        format!("`{key}` is a list of field names: [question, path]"),
                    ));
                    return;
                }
            };
            wf.nodes[id].args.insert(key.into(), Value::Array(items));
        }
        _ => {
            if let Some(v) = constant(e, scope, diags) {
                set_checked(wf, id, key, ty, v, e, file, diags);
            }
        }
    }
}

#[allow(clippy::too_many_arguments)]
fn set_checked(
    wf: &mut Workflow,
    id: NodeId,
    key: &str,
    ty: ArgType,
    v: Value,
    e: &Expr,
    file: FileId,
    diags: &mut Vec<Diagnostic>,
) {
    let v = match super::value::check(key, ty, v) {
        Ok(v) => v,
        Err(r) => {
            let help = r.help.unwrap_or_else(|| arg_doc(wf, id, key));
            return diags.push(Diagnostic::error(r.code, file, e.span, r.message).with_help(help));
        }
    };
    if ty == ArgType::Template {
        let Some(s) = v.as_str() else {
            let d = Diagnostic::error(
                "wrong-type",
                file,
                e.span,
                format!("`{key}` expects a template name or text"),
            );
            return diags.push(d.with_help(arg_doc(wf, id, key)));
        };
        let (dir, stdlib, sandbox) = (wf.dir.clone(), wf.stdlib.clone(), wf.sandbox.clone());
        if let Some(p) = templates::load(s, &dir, &stdlib, &sandbox, file, e.span, diags) {
            wf.nodes[id].prompts.insert(key.into(), p);
        }
    }
    wf.nodes[id].args.insert(key.into(), v);
}

fn arg_doc(wf: &Workflow, id: NodeId, key: &str) -> String {
    wf.nodes[id]
        .kind
        .args()
        .iter()
        .find(|s| s.name == key)
        .map_or(String::new(), |s| format!("{key}: {}", s.doc))
}
