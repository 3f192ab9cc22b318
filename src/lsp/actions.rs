//! Quick fixes: a did-you-mean diagnostic offers its suggestion as an edit.

use super::text;
use lsp_types::{
    CodeAction, CodeActionKind, CodeActionOrCommand, Diagnostic, TextEdit, Url, WorkspaceEdit,
};
use std::collections::HashMap;

pub fn quick_fixes(
    doc_text: &str,
    uri: &Url,
    diagnostics: &[Diagnostic],
) -> Vec<CodeActionOrCommand> {
    let mut out = Vec::new();
    for d in diagnostics {
        let Some(suggestion) = d
            .message
            .split("did you mean `")
            .nth(1)
            .and_then(|s| s.split('`').next())
        else {
            continue;
        };
        let (start, end) = (
            text::offset(doc_text, d.range.start),
            text::offset(doc_text, d.range.end),
        );
        let Some(span_text) = doc_text.get(start..end) else {
            continue;
        };
        // The misspelt word is one the message quotes; replace its whole-word occurrence in the span.
        let quoted: Vec<&str> = d
            .message
            .split('`')
            .skip(1)
            .step_by(2)
            .filter(|w| *w != suggestion)
            .collect();
        let Some((a, b)) = quoted.iter().find_map(|w| whole_word(span_text, w)) else {
            continue;
        };
        let edit = TextEdit::new(
            text::range(doc_text, start + a, start + b),
            suggestion.to_string(),
        );
        out.push(CodeActionOrCommand::CodeAction(CodeAction {
            title: format!("Replace with `{suggestion}`"),
            kind: Some(CodeActionKind::QUICKFIX),
            diagnostics: Some(vec![d.clone()]),
            edit: Some(WorkspaceEdit {
                changes: Some(HashMap::from([(uri.clone(), vec![edit])])),
                ..Default::default()
            }),
            is_preferred: Some(true),
            ..Default::default()
        }));
    }
    out
}

fn whole_word(hay: &str, word: &str) -> Option<(usize, usize)> {
    let is_word = |c: Option<char>| c.is_some_and(|c| c.is_ascii_alphanumeric() || c == '_');
    let mut from = 0;
    while let Some(i) = hay[from..].find(word).map(|i| from + i) {
        let (before, after) = (
            hay[..i].chars().next_back(),
            hay[i + word.len()..].chars().next(),
        );
        if !is_word(before) && !is_word(after) {
            return Some((i, i + word.len()));
        }
        from = i + word.len();
    }
    None
}
