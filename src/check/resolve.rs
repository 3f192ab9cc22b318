//! Merged items → [`Workflow`]: params evaluated, models validated, every node's
//! kind, inputs and arguments resolved. Problems become diagnostics; resolution
//! goes on so one run reports them all.

use super::args::resolve_args;
use super::exprs::{constant, Scope};
use super::load::Loaded;
use crate::diagnostic::{did_you_mean, Diagnostic, SourceMap, Span};
use crate::model_settings::ModelSettings;
use crate::steps;
use crate::syntax::ast::ItemKind;
use crate::workflow::{ModelDef, NodeDef, ParamDef, ParamType, Workflow};
use serde_json::Value;
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, Default)]
pub struct Options {
    /// `--set name=value`, in order.
    pub sets: Vec<(String, String)>,
    pub stdlib: PathBuf,
    /// Let the workflow read outside its tree (`--allow-outside`).
    pub allow_outside: bool,
}

pub fn resolve(
    loaded: &Loaded,
    sources: &SourceMap,
    opts: &Options,
    sandbox: &super::sandbox::Sandbox,
    diags: &mut Vec<Diagnostic>,
) -> Workflow {
    let root = sources.path(loaded.root).to_path_buf();
    let dir = root.parent().map(Path::to_path_buf).unwrap_or_default();
    let mut wf = Workflow {
        name: root
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default(),
        root: root.clone(),
        dir,
        stdlib: opts.stdlib.clone(),
        params: vec![],
        models: vec![],
        nodes: vec![],
        broken: loaded.broken.clone(),
        shapes: Default::default(),
        sandbox: sandbox.clone(),
        dataset_rows: std::sync::OnceLock::new(),
        python: None,
    };
    let mut values: HashMap<String, Value> = HashMap::new();
    let mut sets: Vec<(String, String, bool)> = opts
        .sets
        .iter()
        .map(|(k, v)| (k.clone(), v.clone(), false))
        .collect();

    for l in &loaded.items {
        match &l.item.kind {
            ItemKind::Workflow(n) => wf.name = n.text.clone(),
            ItemKind::Python(value) => {
                let scope = Scope {
                    params: &values,
                    file: l.file,
                    fields_allowed: false,
                };
                match constant(value, &scope, diags) {
                    Some(Value::String(s)) if !s.trim().is_empty() => {
                        wf.python = Some(crate::interpreter::PythonSetting {
                            program: s,
                            file: l.file,
                            span: value.span,
                        })
                    }
                    Some(other) => diags.push(
                        Diagnostic::error(
                            "wrong-type",
                            l.file,
                            value.span,
                            format!(
                                "`python` names an interpreter; this is {}",
                                describe(&other)
                            ),
                        )
                        .with_help("a path or a command name: `python = \".venv/bin/python\"`"),
                    ),
                    None => {}
                }
            }
            ItemKind::Param { name, ty, value } => {
                let scope = Scope {
                    params: &values,
                    file: l.file,
                    fields_allowed: false,
                };
                let declared = ty.as_ref().and_then(|t| ParamType::parse(&t.text));
                let Some(mut v) = constant(value, &scope, diags) else {
                    continue;
                };
                let Some(ty) = declared.or_else(|| ParamType::of(&v)) else {
                    diags.push(
                        Diagnostic::error(
                            "param-type",
                            l.file,
                            value.span,
                            format!("param `{}` needs a number, bool or string", name.text),
                        )
                        .with_help(
                            "give it a type and a scalar default, e.g. `param keep: int = 5`",
                        ),
                    );
                    continue;
                };
                if !ty.accepts(&v) {
                    diags.push(
                        Diagnostic::error(
                            "param-type",
                            l.file,
                            value.span,
                            format!(
                                "param `{}` is declared {} but its default is {}",
                                name.text,
                                ty.name(),
                                describe(&v)
                            ),
                        )
                        .with_help(format!(
                            "write a {} value, or change the declared type",
                            ty.name()
                        )),
                    );
                    continue;
                }
                if let Some(set) = sets.iter_mut().find(|s| s.0 == name.text) {
                    set.2 = true;
                    match parse_set(&set.1, ty) {
                        Ok(x) => v = x,
                        Err(why) => diags.push(
                            Diagnostic::error(
                                "invalid-set",
                                l.file,
                                name.span,
                                format!("--set {}={}: {why}", set.0, set.1),
                            )
                            .with_help(format!(
                                "`{}` is a {} param",
                                name.text,
                                ty.name()
                            )),
                        ),
                    }
                }
                if ty == ParamType::Float {
                    v = v
                        .as_f64()
                        .map(|f| serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number))
                        .unwrap_or(v);
                }
                values.insert(name.text.clone(), v.clone());
                wf.params.push(ParamDef {
                    name: name.text.clone(),
                    ty,
                    value: v,
                    file: l.file,
                    span: l.item.span,
                });
            }
            ItemKind::Model { name, props } => {
                let values = super::models::settings(props, &values, diags);
                let settings = match ModelSettings::from_checked(&values) {
                    Ok(s) => s,
                    Err(e) => {
                        diags.push(
                            Diagnostic::error("wrong-type", l.file, name.span, format!("model settings: {e}"))
                                .with_help("a setting passed its check but has no typed field: please report this"),
                        );
                        ModelSettings::default()
                    }
                };
                wf.models.push(ModelDef {
                    name: name.text.clone(),
                    settings,
                    values,
                    file: l.file,
                    span: l.item.span,
                });
            }
            ItemKind::Shape { name, value } => {
                // The words `optional` and `one_of` are taken too: they read as calls.
                let taken = ["optional", "one_of"].contains(&name.text.as_str());
                if super::shapes::builtin(&name.text).is_some() || taken {
                    diags.push(
                        Diagnostic::error(
                            "invalid-shape",
                            l.file,
                            name.span,
                            format!(
                                "`{}` is a built-in type; a shape cannot take its name",
                                name.text
                            ),
                        )
                        .with_help("give the shape a name of its own, e.g. `Verdict`"),
                    );
                    continue;
                }
                if let Some(s) = super::shapes::compile(value, &wf.shapes, l.file, diags) {
                    wf.shapes.insert(name.text.clone(), s);
                }
            }
            _ => {}
        }
    }
    for (k, v, used) in &sets {
        if !used {
            let mut d = Diagnostic::error(
                "unknown-param",
                loaded.root,
                Span::new(0, 0),
                format!("--set {k}={v}: this workflow has no param `{k}`"),
            );
            d.help = Some(
                did_you_mean(k, wf.params.iter().map(|p| p.name.as_str())).unwrap_or_else(|| {
                    format!(
                        "params: {}",
                        wf.params
                            .iter()
                            .map(|p| p.name.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    )
                }),
            );
            diags.push(d);
        }
    }

    // Nodes: first their names (inputs may refer forward), then their arguments.
    let mut decls = Vec::new();
    for l in &loaded.items {
        let ItemKind::Decl { decl, name, call } = &l.item.kind else {
            continue;
        };
        let Some(kind) = steps::find(*decl, &call.func.text) else {
            let mut d = Diagnostic::error(
                "unknown-kind",
                l.file,
                call.func.span,
                format!("there is no {} kind `{}`", decl.keyword(), call.func.text),
            );
            let kinds: Vec<&str> = steps::names_for(*decl).collect();
            d.help = Some(
                did_you_mean(&call.func.text, kinds.iter().copied())
                    .unwrap_or_else(|| format!("{} kinds: {}", decl.keyword(), kinds.join(", "))),
            );
            diags.push(d);
            wf.broken.push(name.text.clone());
            continue;
        };
        decls.push((l.file, call, *decl));
        wf.nodes.push(NodeDef {
            name: name.text.clone(),
            decl: *decl,
            kind,
            file: l.file,
            span: l.item.span,
            name_span: name.span,
            inputs: vec![],
            refs: BTreeMap::new(),
            model: None,
            args: Default::default(),
            arg_spans: BTreeMap::new(),
            filter: None,
            prompts: BTreeMap::new(),
            pool_items: vec![],
            unresolved: false,
            call: Default::default(),
            settings: Default::default(),
            reply: None,
        });
    }
    for (id, (file, call, _)) in decls.into_iter().enumerate() {
        resolve_args(&mut wf, id, file, call, &values, diags);
    }
    // Each kind's typed settings, once; later stages read only these.
    for node in &mut wf.nodes {
        node.settings = node.kind.configure(node);
    }
    // Each model-calling step's call settings, once: its own, else its model's.
    for id in 0..wf.nodes.len() {
        if wf.nodes[id].is_llm() {
            let inherited = wf.nodes[id]
                .model
                .and_then(|m| wf.models.get(m))
                .map(|m| &m.values);
            let n = &wf.nodes[id];
            let call =
                crate::call_settings::CallSettings::resolve(&n.args, inherited, n.reply.as_ref());
            wf.nodes[id].call = call;
        }
        // A model marked strict guarantees OpenAI's strict subset only.
        let n = &wf.nodes[id];
        if let (Some(shape), true) = (&n.reply, n.call.strict) {
            if let Some(problem) = shape.strict_problem() {
                diags.push(
                    Diagnostic::error("shape-not-strict", n.file, n.arg_span("reply"), format!("`{}`'s reply cannot be asked for strictly: {problem}", n.name))
                        .with_help("wrap it in an object (`{answer: …}`), or set `strict = false` on the model"),
                );
            }
        }
    }
    if loaded.items.is_empty() && !diags.iter().any(|d| d.is_error()) {
        diags.push(
            Diagnostic::error("empty-workflow", loaded.root, Span::new(0, 0), "this file declares nothing")
                .with_help("a workflow needs at least a source, a step and a sink; see workflows/regenesis.regen"),
        );
    }
    wf
}

fn describe(v: &Value) -> String {
    match ParamType::of(v) {
        Some(t) => format!("{} `{v}`", t.name()),
        None => format!("`{v}`"),
    }
}

/// Why a `--set` value is not of its param's type.
#[derive(Debug, thiserror::Error)]
pub enum SetError {
    #[error("expected {0}")]
    Expected(&'static str),
}

/// Parse a `--set` value as the param's type.
pub fn parse_set(raw: &str, ty: ParamType) -> Result<Value, SetError> {
    match ty {
        ParamType::Int => raw
            .trim()
            .parse::<i64>()
            .map(Value::from)
            .map_err(|_| SetError::Expected("a whole number")),
        ParamType::Float => raw
            .trim()
            .parse::<f64>()
            .ok()
            .filter(|f| f.is_finite())
            .and_then(serde_json::Number::from_f64)
            .map(Value::Number)
            .ok_or(SetError::Expected("a number")),
        ParamType::Bool => raw
            .trim()
            .parse::<bool>()
            .map(Value::Bool)
            .map_err(|_| SetError::Expected("true or false")),
        ParamType::String => Ok(Value::String(raw.to_string())),
        // A path given on the command line is relative to where the user stands.
        ParamType::Path => {
            let p = Path::new(raw);
            let abs = if p.is_absolute() {
                p.to_path_buf()
            } else {
                std::env::current_dir()
                    .map(|d| d.join(p))
                    .unwrap_or_else(|_| p.to_path_buf())
            };
            Ok(Value::String(abs.to_string_lossy().into_owned()))
        }
    }
}
