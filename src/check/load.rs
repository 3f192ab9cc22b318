//! Read a workflow file and its `extends` chain; merge a variant onto its base.

use super::sandbox::Sandbox;
use crate::diagnostic::{did_you_mean, Diagnostic, FileId, SourceMap, Span};
use crate::syntax::ast::{Expr, ExprKind, Item, ItemKind, Name};
use crate::syntax::parse;
use std::path::{Path, PathBuf};

/// An item with the file it was written in.
#[derive(Debug, Clone)]
pub struct Located {
    pub file: FileId,
    pub item: Item,
}

#[derive(Debug, Clone)]
pub struct Loaded {
    pub root: FileId,
    pub items: Vec<Located>,
    /// Names declared on lines that did not parse (already reported).
    pub broken: Vec<String>,
}

/// Read a file as text; invalid UTF-8 becomes a diagnostic pointing at the first bad byte.
pub fn read_source(
    path: &Path,
    sources: &mut SourceMap,
    diags: &mut Vec<Diagnostic>,
) -> std::io::Result<FileId> {
    let bytes = sources.read(path)?;
    match String::from_utf8(bytes) {
        Ok(text) => Ok(sources.add(path, text)),
        Err(e) => {
            let at = e.utf8_error().valid_up_to();
            let text = String::from_utf8_lossy(e.as_bytes()).into_owned();
            let id = sources.add(path, text);
            diags.push(
                Diagnostic::error(
                    "invalid-utf8",
                    id,
                    Span::new(at, at + 1),
                    format!("the file is not valid UTF-8 (bad byte at offset {at})"),
                )
                .with_help("save the workflow file as UTF-8"),
            );
            Ok(id)
        }
    }
}

pub fn load(
    path: &Path,
    sources: &mut SourceMap,
    sandbox: &Sandbox,
    diags: &mut Vec<Diagnostic>,
) -> std::io::Result<Loaded> {
    let root = read_source(path, sources, diags)?;
    let mut stack = vec![canonical(path)];
    let mut broken = Vec::new();
    let items = load_file(root, sources, sandbox, diags, &mut stack, &mut broken);
    Ok(Loaded {
        root,
        items,
        broken,
    })
}

fn canonical(p: &Path) -> PathBuf {
    std::fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf())
}

fn load_file(
    file: FileId,
    sources: &mut SourceMap,
    sandbox: &Sandbox,
    diags: &mut Vec<Diagnostic>,
    stack: &mut Vec<PathBuf>,
    broken: &mut Vec<String>,
) -> Vec<Located> {
    if diags
        .iter()
        .any(|d| d.file == file && d.code == "invalid-utf8")
    {
        return vec![];
    }
    let parsed = parse(sources.text(file), file);
    diags.extend(parsed.diagnostics);
    broken.extend(parsed.file.broken);
    let own: Vec<Located> = parsed
        .file
        .items
        .into_iter()
        .map(|item| Located { file, item })
        .collect();
    duplicates(&own, diags);
    let extends: Vec<&Located> = own
        .iter()
        .filter(|l| matches!(l.item.kind, ItemKind::Extends { .. }))
        .collect();
    for extra in extends.iter().skip(1) {
        diags.push(
            Diagnostic::error(
                "duplicate-extends",
                file,
                extra.item.span,
                "a workflow extends at most one base",
            )
            .with_help("keep one `extends` line; chain variants instead"),
        );
    }
    let Some(ItemKind::Extends {
        path: base_rel,
        span,
    }) = extends.first().map(|l| l.item.kind.clone())
    else {
        return own;
    };
    let dir = sources
        .path(file)
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default();
    // `extends "@regenesis"`: a shipped workflow, from any folder (the copy built into regen).
    let shipped = base_rel.strip_prefix('@');
    let base_path = match shipped.map(crate::shipped::workflow) {
        None => dir.join(&base_rel),
        Some(Ok(p)) => p,
        Some(Err(e)) => {
            diags.push(
                Diagnostic::error("extends-not-found", file, span, e.to_string())
                    .with_help("`regen workflows` lists the shipped workflows"),
            );
            return own
                .into_iter()
                .filter(|l| !matches!(l.item.kind, ItemKind::Extends { .. }))
                .collect();
        }
    };
    let key = canonical(&base_path);
    if stack.contains(&key) {
        let chain: Vec<String> = stack
            .iter()
            .chain([&key])
            .map(|p| {
                p.file_name()
                    .map_or(String::new(), |f| f.to_string_lossy().into_owned())
            })
            .collect();
        diags.push(
            Diagnostic::error(
                "extends-cycle",
                file,
                span,
                format!("`extends` makes a cycle: {}", chain.join(" → ")),
            )
            .with_help("a variant must extend a base that does not extend it back"),
        );
        return own
            .into_iter()
            .filter(|l| !matches!(l.item.kind, ItemKind::Extends { .. }))
            .collect();
    }
    if shipped.is_none() && !sandbox.permits(&base_path) {
        diags.push(
            Diagnostic::error(
                "outside-sandbox",
                file,
                span,
                format!("`extends` reaches `{base_rel}`, outside the workflow's tree"),
            )
            .with_help(sandbox.help()),
        );
        return own
            .into_iter()
            .filter(|l| !matches!(l.item.kind, ItemKind::Extends { .. }))
            .collect();
    }
    let base_file = match read_source(&base_path, sources, diags) {
        Ok(id) => id,
        Err(e) => {
            diags.push(
                Diagnostic::error(
                    "extends-not-found",
                    file,
                    span,
                    format!("cannot read base workflow `{}`: {e}", base_path.display()),
                )
                .with_help("the path is relative to this file's folder"),
            );
            return own
                .into_iter()
                .filter(|l| !matches!(l.item.kind, ItemKind::Extends { .. }))
                .collect();
        }
    };
    stack.push(key);
    let base = load_file(base_file, sources, sandbox, diags, stack, broken);
    stack.pop();
    merge(base, own, diags)
}

/// Apply a variant's items to its base: same name replaces (model settings merge
/// key by key), `remove` deletes and rewires consumers to the removed step's inputs.
fn merge(
    mut base: Vec<Located>,
    variant: Vec<Located>,
    diags: &mut Vec<Diagnostic>,
) -> Vec<Located> {
    for v in variant {
        match &v.item.kind {
            ItemKind::Extends { .. } => {}
            ItemKind::Workflow(_) => {
                base.retain(|b| !matches!(b.item.kind, ItemKind::Workflow(_)));
                base.insert(0, v);
            }
            ItemKind::Remove(name) => remove(&mut base, name, v.file, diags),
            // A variant's interpreter replaces its base's.
            ItemKind::Python(_) => {
                base.retain(|b| !matches!(b.item.kind, ItemKind::Python(_)));
                base.push(v);
            }
            kind => {
                let name = kind
                    .declared_name()
                    .map(|n| n.text.clone())
                    .unwrap_or_default();
                match base
                    .iter()
                    .position(|b| b.item.kind.declared_name().is_some_and(|n| n.text == name))
                {
                    Some(i) => base[i] = override_item(&base[i], v),
                    None => base.push(v),
                }
            }
        }
    }
    base
}

fn override_item(old: &Located, new: Located) -> Located {
    match (&old.item.kind, &new.item.kind) {
        // A param override may omit the type; keep the base's.
        (
            ItemKind::Param { ty: Some(t), .. },
            ItemKind::Param {
                name,
                ty: None,
                value,
            },
        ) => {
            let kind = ItemKind::Param {
                name: name.clone(),
                ty: Some(t.clone()),
                value: value.clone(),
            };
            Located {
                file: new.file,
                item: Item {
                    kind,
                    span: new.item.span,
                },
            }
        }
        (
            ItemKind::Model {
                props: base_props, ..
            },
            ItemKind::Model { name, props },
        ) => {
            let mut merged = base_props.clone();
            // `endpoint` and `endpoints` are two shapes of one setting: a variant
            // setting either replaces whichever the base had (setting both in one
            // file is still a conflict, reported on that file).
            for (one, other) in [("endpoint", "endpoints"), ("endpoints", "endpoint")] {
                if props.iter().any(|p| p.name.text == one) {
                    merged.retain(|b| b.name.text != other);
                }
            }
            for p in props {
                match merged.iter().position(|b| b.name.text == p.name.text) {
                    Some(i) => merged[i] = p.clone(),
                    None => merged.push(p.clone()),
                }
            }
            let kind = ItemKind::Model {
                name: name.clone(),
                props: merged,
            };
            Located {
                file: new.file,
                item: Item {
                    kind,
                    span: new.item.span,
                },
            }
        }
        _ => new,
    }
}

fn remove(base: &mut Vec<Located>, name: &Name, file: FileId, diags: &mut Vec<Diagnostic>) {
    let Some(i) = base.iter().position(
        |b| matches!(&b.item.kind, ItemKind::Decl { name: n, .. } if n.text == name.text),
    ) else {
        let names: Vec<&str> = base
            .iter()
            .filter_map(|b| b.item.kind.declared_name())
            .map(|n| n.text.as_str())
            .collect();
        let mut d = Diagnostic::error(
            "unknown-step",
            file,
            name.span,
            format!("cannot remove `{}`: the base has no such step", name.text),
        );
        d.help = Some(
            did_you_mean(&name.text, names)
                .unwrap_or_else(|| "remove names a step, source, pool or sink of the base".into()),
        );
        diags.push(d);
        return;
    };
    let removed = base.remove(i);
    let ItemKind::Decl { call, .. } = &removed.item.kind else {
        return;
    };
    let replacement: Vec<String> = call
        .positional()
        .flat_map(|a| a.value.union_operands())
        .filter_map(|e| e.as_ident().map(|n| n.text.clone()))
        .collect();
    for b in base.iter_mut() {
        if let ItemKind::Decl { call, .. } = &mut b.item.kind {
            for a in call.args.iter_mut().filter(|a| a.name.is_none()) {
                rewire(&mut a.value, &name.text, &replacement);
            }
        }
    }
}

/// Replace `name` in a `+` chain with the removed step's inputs (spans kept at the use site).
fn rewire(e: &mut Expr, name: &str, replacement: &[String]) {
    let ops: Vec<Expr> = e.union_operands().into_iter().cloned().collect();
    if !ops
        .iter()
        .any(|o| o.as_ident().is_some_and(|n| n.text == name))
        || replacement.is_empty()
    {
        return;
    }
    let mut out: Vec<Expr> = Vec::new();
    for o in ops {
        match o.as_ident() {
            Some(n) if n.text == name => out.extend(replacement.iter().map(|r| Expr {
                kind: ExprKind::Ref(vec![Name {
                    text: r.clone(),
                    span: o.span,
                }]),
                span: o.span,
            })),
            _ => out.push(o),
        }
    }
    let mut it = out.into_iter();
    let Some(first) = it.next() else { return };
    *e = it.fold(first, |acc, x| {
        let span = acc.span.join(x.span);
        Expr {
            kind: ExprKind::Binary(crate::syntax::ast::BinOp::Add, Box::new(acc), Box::new(x)),
            span,
        }
    });
}

/// Two declarations of one name in one file (a variant overriding its base is not this).
fn duplicates(items: &[Located], diags: &mut Vec<Diagnostic>) {
    let mut seen: std::collections::HashMap<&str, Span> = std::collections::HashMap::new();
    for l in items {
        let Some(n) = l.item.kind.declared_name() else {
            continue;
        };
        if let Some(first) = seen.get(n.text.as_str()) {
            diags.push(
                Diagnostic::error("duplicate-name", l.file, n.span, format!("`{}` is declared twice", n.text))
                    .with_label(*first, "first declared here")
                    .with_help("params, models, shapes, sources, pools, steps and sinks share one namespace; rename one"),
            );
        } else {
            seen.insert(&n.text, n.span);
        }
    }
}
