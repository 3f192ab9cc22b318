//! Go to definition and rename.

use super::documents::Document;
use super::text;
use crate::syntax::ast::DeclKind;
use lsp_types::{Location, Position, Range, TextEdit, Url, WorkspaceEdit};
use std::collections::HashMap;
use std::path::Path;

fn location(path: &Path, file_text: &str, start: usize, end: usize) -> Option<Location> {
    Some(Location {
        uri: Url::from_file_path(std::fs::canonicalize(path).ok()?).ok()?,
        range: text::range(file_text, start, end),
    })
}

fn whole_file(path: &Path) -> Option<Location> {
    let uri = Url::from_file_path(std::fs::canonicalize(path).ok()?).ok()?;
    Some(Location {
        uri,
        range: Range::new(Position::new(0, 0), Position::new(0, 0)),
    })
}

/// Steps, sources, pools, models and params go to their declaration; a prompt
/// name opens its template; an `extends` path opens the base.
pub fn definition(doc: &Document, offset: usize) -> Option<Location> {
    let checked = doc.checked.as_ref()?;
    let wf = &checked.workflow;
    let src = &checked.sources;
    if let Some((_, _, s)) = text::string_at(&doc.text, offset) {
        if let Some(p) = wf
            .nodes
            .iter()
            .flat_map(|n| n.prompts.values())
            .find(|p| p.name == s)
        {
            return whole_file(p.path.as_deref()?);
        }
        let line_start = doc.text[..offset].rfind('\n').map_or(0, |i| i + 1);
        if doc.text[line_start..].trim_start().starts_with("extends") {
            return whole_file(&doc.path.parent()?.join(s));
        }
        return None;
    }
    let (_, _, word) = text::word_at(&doc.text, offset)?;
    let (file, start, end) = if let Some(id) = wf.node(word) {
        let n = &wf.nodes[id];
        (n.file, n.name_span.start, n.name_span.end)
    } else if let Some(m) = wf.models.iter().find(|m| m.name == word) {
        (m.file, m.span.start, m.span.end)
    } else if let Some(p) = wf.param(word) {
        (p.file, p.span.start, p.span.end)
    } else {
        return None;
    };
    location(src.path(file), src.text(file), start, end)
}

/// Renames a step (or source, pool) across its file: the declaration, every
/// reference, and — when its records carry a field of the same name (an LLM
/// step's reply without `into:`) — that field where this file and its prompt
/// files read it.
pub fn rename(
    doc: &Document,
    uri: &Url,
    offset: usize,
    new_name: &str,
) -> Result<WorkspaceEdit, super::RequestError> {
    let valid = new_name
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && new_name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_');
    if !valid {
        return Err(super::RequestError::BadName(new_name.to_string()));
    }
    let checked = doc
        .checked
        .as_ref()
        .ok_or(super::RequestError::NotChecked)?;
    let wf = &checked.workflow;
    let (_, _, old) = text::word_at(&doc.text, offset).ok_or(super::RequestError::NoName)?;
    let id = wf
        .node(old)
        .ok_or_else(|| super::RequestError::NotANode(old.to_string()))?;
    if wf.node(new_name).is_some() {
        return Err(super::RequestError::Taken(new_name.to_string()));
    }
    let edits = |t: &str| -> Vec<TextEdit> {
        text::identifier_occurrences(t, old)
            .into_iter()
            .map(|(a, b)| TextEdit::new(text::range(t, a, b), new_name.to_string()))
            .collect()
    };
    let mut changes = HashMap::new();
    changes.insert(uri.clone(), edits(&doc.text));
    let n = &wf.nodes[id];
    let field_is_name = n.decl != DeclKind::Source && n.kind.adds(n, wf).iter().any(|f| f == old);
    if field_is_name {
        for p in wf
            .nodes
            .iter()
            .flat_map(|n| n.prompts.values())
            .filter(|p| p.reads.iter().any(|r| r == old))
        {
            let Some(path) = &p.path else { continue };
            let Ok(t) = std::fs::read_to_string(path) else {
                continue;
            };
            let Some(url) = std::fs::canonicalize(path)
                .ok()
                .and_then(|c| Url::from_file_path(c).ok())
            else {
                continue;
            };
            // A template file is all template: every identifier in a tag.
            let wrapped: Vec<TextEdit> = template_occurrences(&t, old)
                .into_iter()
                .map(|(a, b)| TextEdit::new(text::range(&t, a, b), new_name.to_string()))
                .collect();
            changes.insert(url, wrapped);
        }
    }
    Ok(WorkspaceEdit {
        changes: Some(changes),
        ..Default::default()
    })
}

/// Identifier occurrences inside `{{ }}` and `{% %}` of a template file.
fn template_occurrences(t: &str, name: &str) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut from = 0;
    while let Some(open) = t[from..].find(['{']).map(|i| from + i) {
        let tag = &t[open..];
        let close = match (tag.starts_with("{{"), tag.starts_with("{%")) {
            (true, _) => tag.find("}}"),
            (_, true) => tag.find("%}"),
            _ => {
                from = open + 1;
                continue;
            }
        };
        let Some(close) = close else { break };
        let inner = &t[open + 2..open + close];
        let mut i = 0;
        while let Some(pos) = inner[i..].find(name).map(|p| i + p) {
            let before = inner[..pos].chars().next_back();
            let after = inner[pos + name.len()..].chars().next();
            let is_word = |c: Option<char>| {
                c.is_some_and(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.')
            };
            if !is_word(before) && !after.is_some_and(|c| c.is_ascii_alphanumeric() || c == '_') {
                out.push((open + 2 + pos, open + 2 + pos + name.len()));
            }
            i = pos + name.len();
        }
        from = open + close + 2;
    }
    out
}
