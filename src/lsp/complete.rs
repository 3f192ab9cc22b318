//! Completion from where the cursor is: a model block offers settings; after
//! `step x =` the kinds; inside a call its arguments, the steps and the fields
//! in scope; inside a template argument's string the prompt names.

use super::documents::Document;
use crate::model_settings::SETTINGS;
use crate::steps::KINDS;
use crate::syntax::ast::DeclKind;
use lsp_types::{CompletionItem, CompletionItemKind, InsertTextFormat};
use std::collections::BTreeSet;

const KEYWORDS: &[&str] = &[
    "workflow", "extends", "param", "model", "source", "pool", "step", "sink", "remove",
];

fn item(label: &str, kind: CompletionItemKind, detail: &str) -> CompletionItem {
    CompletionItem {
        label: label.into(),
        kind: Some(kind),
        detail: (!detail.is_empty()).then(|| detail.into()),
        ..Default::default()
    }
}

pub fn complete(doc: &Document, offset: usize) -> Vec<CompletionItem> {
    let text =
        &doc.text[..crate::diagnostic::floor_char_boundary(&doc.text, offset.min(doc.text.len()))];
    let line = &text[text.rfind('\n').map_or(0, |i| i + 1)..];
    if let Some(arg) = template_string_arg(line) {
        return prompt_names(doc)
            .into_iter()
            .map(|p| {
                item(
                    &p,
                    CompletionItemKind::FILE,
                    &format!("template for `{arg}:`"),
                )
            })
            .collect();
    }
    if in_model_block(text) {
        return SETTINGS
            .iter()
            .map(|s| item(s.name, CompletionItemKind::PROPERTY, s.doc))
            .collect();
    }
    if let Some(decl) = after_declaration(line) {
        return KINDS
            .iter()
            .filter(|k| k.decl() == decl)
            .map(|k| CompletionItem {
                insert_text: Some(format!("{}($0)", k.name())),
                insert_text_format: Some(InsertTextFormat::SNIPPET),
                ..item(k.name(), CompletionItemKind::FUNCTION, k.role())
            })
            .collect();
    }
    if let Some(fields) = shape_fields_after_dot(doc, text, line) {
        return fields;
    }
    if let Some(kind) = enclosing_call(text) {
        return in_call(doc, text, kind);
    }
    KEYWORDS
        .iter()
        .map(|k| item(k, CompletionItemKind::KEYWORD, ""))
        .collect()
}

/// After `verdict.`, where `verdict` holds a shaped reply: its shape's fields.
fn shape_fields_after_dot(doc: &Document, text: &str, line: &str) -> Option<Vec<CompletionItem>> {
    let before = line.strip_suffix('.')?;
    let start = before
        .rfind(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '.'))
        .map_or(0, |i| i + 1);
    let path: Vec<&str> = before[start..].split('.').collect();
    let checked = doc.checked.as_ref()?;
    let wf = &checked.workflow;
    // The shape that reaches the step being written, else any field of that name's.
    let mut shape = match being_written(wf, text) {
        Some(id) => crate::check::shaped_fields::shapes_in(wf, &checked.analysis)
            .get(id)?
            .get(path[0])?
            .clone(),
        None => wf
            .nodes
            .iter()
            .flat_map(|n| n.kind.shaped_fields(n))
            .find(|(f, _)| f == path[0])
            .map(|(_, s)| s)?,
    };
    for part in &path[1..] {
        shape = shape.field(part)?.shape.clone();
    }
    match &shape {
        crate::reply_shape::ReplyShape::Object(fields) => Some(
            fields
                .iter()
                .map(|f| item(&f.name, CompletionItemKind::FIELD, &f.shape.describe()))
                .collect(),
        ),
        _ => None,
    }
}

/// The step or sink whose declaration the cursor is in (the last one begun).
fn being_written(wf: &crate::workflow::Workflow, text: &str) -> Option<crate::workflow::NodeId> {
    let line_start = text
        .rfind("\nstep ")
        .or_else(|| text.rfind("\nsink "))
        .map_or(0, |i| i + 1);
    text[line_start..]
        .split_whitespace()
        .nth(1)
        .and_then(|name| wf.node(name))
}

/// Inside `name: "…` of a template argument (prompt, template, user).
fn template_string_arg(line: &str) -> Option<&'static str> {
    if line.matches('"').count().is_multiple_of(2) {
        return None;
    }
    let before = line[..line.rfind('"')?]
        .trim_end()
        .strip_suffix(':')?
        .trim_end();
    ["prompt", "template", "user"]
        .into_iter()
        .find(|a| before.ends_with(a))
}

fn in_model_block(text: &str) -> bool {
    let Some(open) = text.rfind('{') else {
        return false;
    };
    if text[open..].contains('}') || text[open.saturating_sub(1)..].starts_with("{{") {
        return false;
    }
    let head = text[..open].trim_end();
    let line = &head[head.rfind('\n').map_or(0, |i| i + 1)..];
    line.trim_start().starts_with("model ")
}

fn after_declaration(line: &str) -> Option<DeclKind> {
    let mut words = line.split_whitespace();
    let decl = match words.next()? {
        "step" => DeclKind::Step,
        "source" => DeclKind::Source,
        "pool" => DeclKind::Pool,
        "sink" => DeclKind::Sink,
        _ => return None,
    };
    let rest: Vec<&str> = words.collect();
    let eq_last = line.trim_end().ends_with('=')
        || rest.len() >= 2 && rest[1] == "=" && rest.len() <= 3 && !line.contains('(');
    eq_last.then_some(decl)
}

/// The kind whose argument list the cursor is in (the last unclosed `(`).
fn enclosing_call(text: &str) -> Option<&str> {
    let mut depth = 0i32;
    for (i, c) in text.char_indices().rev() {
        match c {
            ')' => depth += 1,
            '(' if depth == 0 => {
                let head = text[..i].trim_end();
                let start = head
                    .rfind(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                    .map_or(0, |j| j + 1);
                return Some(&head[start..]).filter(|k| !k.is_empty());
            }
            '(' => depth -= 1,
            _ => {}
        }
    }
    None
}

fn in_call(doc: &Document, text: &str, kind: &str) -> Vec<CompletionItem> {
    let mut out = Vec::new();
    if let Some(k) = KINDS.iter().find(|k| k.name() == kind) {
        for a in k.args() {
            out.push(CompletionItem {
                insert_text: Some(format!("{}: ", a.name)),
                ..item(a.name, CompletionItemKind::PROPERTY, a.doc)
            });
        }
    }
    let Some(checked) = &doc.checked else {
        return out;
    };
    let wf = &checked.workflow;
    for n in &wf.nodes {
        if n.decl != DeclKind::Sink {
            out.push(item(
                &n.name,
                CompletionItemKind::VARIABLE,
                &format!("{} {}", n.decl.keyword(), n.kind.name()),
            ));
        }
    }
    // Fields reaching the step being written, else every field of the workflow.
    let fields: BTreeSet<&String> = match being_written(wf, text) {
        Some(id) => checked
            .analysis
            .fields_in
            .get(id)
            .into_iter()
            .flatten()
            .collect(),
        None => checked.analysis.fields_out.iter().flatten().collect(),
    };
    for f in fields {
        out.push(item(f, CompletionItemKind::FIELD, "field"));
    }
    for p in &wf.params {
        out.push(item(
            &p.name,
            CompletionItemKind::CONSTANT,
            &format!("param {}", p.ty.name()),
        ));
    }
    out
}

/// Template names from the project's `prompts/` and the stdlib's.
fn prompt_names(doc: &Document) -> BTreeSet<String> {
    let stdlib = crate::check::find_stdlib(&doc.path);
    let dirs: Vec<_> = [
        doc.path.parent().map(|d| d.join("prompts")),
        Some(stdlib.join("prompts")),
    ]
    .into_iter()
    .flatten()
    .collect();
    crate::check::templates::known_prompts(&dirs)
        .into_iter()
        .collect()
}
