//! The checker's diagnostics as the editor shows them: same codes, same spans.

use super::documents::{canonical, Document};
use super::text;
use crate::diagnostic::{Diagnostic, Severity};
use lsp_types::{DiagnosticSeverity, NumberOrString};

/// The diagnostics that point into this buffer (a variant's base reports its own).
pub fn for_document(doc: &Document) -> Vec<lsp_types::Diagnostic> {
    let Some(checked) = &doc.checked else {
        return vec![];
    };
    let me = canonical(&doc.path);
    checked
        .diagnostics
        .iter()
        .filter(|d| canonical(checked.sources.path(d.file)) == me)
        .map(|d| convert(d, &doc.text))
        .collect()
}

fn convert(d: &Diagnostic, text: &str) -> lsp_types::Diagnostic {
    let message = match &d.help {
        Some(h) => format!("{}\nhelp: {h}", d.message),
        None => d.message.clone(),
    };
    lsp_types::Diagnostic {
        range: text::range(text, d.span.start, d.span.end),
        severity: Some(match d.severity {
            Severity::Error => DiagnosticSeverity::ERROR,
            Severity::Warning => DiagnosticSeverity::WARNING,
        }),
        code: Some(NumberOrString::String(d.code.to_string())),
        source: Some("regen".into()),
        message,
        ..Default::default()
    }
}
