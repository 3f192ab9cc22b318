//! The CLI edge: diagnostics (plain data) rendered with miette, or as JSON.

use crate::diagnostic::{floor_char_boundary, Diagnostic, Severity, SourceMap};
use miette::{GraphicalReportHandler, GraphicalTheme, LabeledSpan, NamedSource};
use serde_json::json;
use std::fmt;

struct Report<'a> {
    d: &'a Diagnostic,
    source: NamedSource<String>,
    len: usize,
    text: &'a str,
}

impl fmt::Debug for Report<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.d.message)
    }
}
impl fmt::Display for Report<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.d.message)
    }
}
impl std::error::Error for Report<'_> {}

impl Report<'_> {
    /// Spans clamped to the text and to character boundaries: rendering never panics.
    fn clamp(&self, s: crate::diagnostic::Span) -> (usize, usize) {
        let start = floor_char_boundary(self.text, s.start.min(self.len));
        let end = floor_char_boundary(self.text, s.end.min(self.len)).max(start);
        (start, end - start)
    }
}

impl miette::Diagnostic for Report<'_> {
    fn code<'b>(&'b self) -> Option<Box<dyn fmt::Display + 'b>> {
        Some(Box::new(format!("regen::{}", self.d.code)))
    }
    fn severity(&self) -> Option<miette::Severity> {
        Some(match self.d.severity {
            Severity::Error => miette::Severity::Error,
            Severity::Warning => miette::Severity::Warning,
        })
    }
    fn help<'b>(&'b self) -> Option<Box<dyn fmt::Display + 'b>> {
        self.d.help.as_ref().map(|h| Box::new(h.clone()) as Box<dyn fmt::Display>)
    }
    fn source_code(&self) -> Option<&dyn miette::SourceCode> {
        Some(&self.source)
    }
    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        let mut v = vec![LabeledSpan::new_primary_with_span(Some("here".into()), self.clamp(self.d.span))];
        for l in &self.d.labels {
            v.push(LabeledSpan::new_with_span(Some(l.message.clone()), self.clamp(l.span)));
        }
        Some(Box::new(v.into_iter()))
    }
}

pub fn human(d: &Diagnostic, sources: &SourceMap, color: bool) -> String {
    let text = sources.text(d.file);
    let report =
        Report { d, source: NamedSource::new(sources.path(d.file).display().to_string(), text.to_string()), len: text.len(), text };
    let theme = if color { GraphicalTheme::unicode() } else { GraphicalTheme::unicode_nocolor() };
    let handler = GraphicalReportHandler::new_themed(theme).with_width(100).with_links(false);
    let mut out = String::new();
    if handler.render_report(&mut out, &report).is_err() {
        let (line, col) = sources.line_col(d.file, d.span.start);
        out = format!("{}:{line}:{col}: {:?}[{}]: {}\n", sources.path(d.file).display(), d.severity, d.code, d.message);
    }
    out
}

pub fn json_value(d: &Diagnostic, sources: &SourceMap) -> serde_json::Value {
    let (line, column) = sources.line_col(d.file, d.span.start);
    let (end_line, end_column) = sources.line_col(d.file, d.span.end);
    json!({
        "file": sources.path(d.file).display().to_string(),
        "line": line,
        "column": column,
        "end_line": end_line,
        "end_column": end_column,
        "code": d.code,
        "severity": d.severity,
        "message": d.message,
        "help": d.help,
        "labels": d.labels.iter().map(|l| {
            let (line, column) = sources.line_col(d.file, l.span.start);
            json!({"line": line, "column": column, "message": l.message})
        }).collect::<Vec<_>>(),
    })
}

/// "2 errors, 1 warning"
pub fn summary(diags: &[Diagnostic]) -> String {
    let e = diags.iter().filter(|d| d.is_error()).count();
    let w = diags.len() - e;
    let plural = |n: usize, w: &str| format!("{n} {w}{}", if n == 1 { "" } else { "s" });
    format!("{}, {}", plural(e, "error"), plural(w, "warning"))
}
