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
        self.d
            .help
            .as_ref()
            .map(|h| Box::new(h.clone()) as Box<dyn fmt::Display>)
    }
    fn source_code(&self) -> Option<&dyn miette::SourceCode> {
        Some(&self.source)
    }
    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        let mut v = vec![LabeledSpan::new_primary_with_span(
            Some("here".into()),
            self.clamp(self.d.span),
        )];
        for l in &self.d.labels {
            v.push(LabeledSpan::new_with_span(
                Some(l.message.clone()),
                self.clamp(l.span),
            ));
        }
        Some(Box::new(v.into_iter()))
    }
}

/// Lines longer than this are shown as a window around the span: a generated
/// 2 MB line must not print 2 MB of source and a 6 MB underline.
const LONG_LINE: usize = 400;
/// Characters shown on each side of a span on a long line, and of the span itself.
const WINDOW: usize = 60;
const SPAN_SHOWN: usize = 120;

/// Messages quote the source (`no prompt template named `…``): a quoted
/// 2 MB string is cut to its start, with the count of what was left out.
const LONGEST_MESSAGE: usize = 300;

fn shorten(s: &str) -> String {
    match s.char_indices().nth(LONGEST_MESSAGE) {
        None => s.to_string(),
        Some((cut, _)) => format!(
            "{}… ({} more characters)",
            &s[..cut],
            s[cut..].chars().count()
        ),
    }
}

/// The diagnostic with its message, help and labels cut to a readable length.
fn shortened(d: &Diagnostic) -> Diagnostic {
    let mut d = d.clone();
    d.message = shorten(&d.message);
    d.help = d.help.as_deref().map(shorten);
    for l in &mut d.labels {
        l.message = shorten(&l.message);
    }
    d
}

pub fn human(d: &Diagnostic, sources: &SourceMap, color: bool) -> String {
    let d = &shortened(d);
    let text = sources.text(d.file);
    if let Some(out) = windowed(d, sources) {
        return out;
    }
    let report = Report {
        d,
        source: NamedSource::new(sources.path(d.file).display().to_string(), text.to_string()),
        len: text.len(),
        text,
    };
    let theme = if color {
        GraphicalTheme::unicode()
    } else {
        GraphicalTheme::unicode_nocolor()
    };
    let handler = GraphicalReportHandler::new_themed(theme)
        .with_width(100)
        .with_links(false);
    let mut out = String::new();
    if handler.render_report(&mut out, &report).is_err() {
        let (line, col) = sources.line_col(d.file, d.span.start);
        out = format!(
            "{}:{line}:{col}: {:?}[{}]: {}\n",
            sources.path(d.file).display(),
            d.severity,
            d.code,
            d.message
        );
    }
    out
}

/// The diagnostic with a window of its line, when a line miette would show
/// (the span's, or one beside it) is too long to print whole.
fn windowed(d: &Diagnostic, sources: &SourceMap) -> Option<String> {
    let text = sources.text(d.file);
    let start = floor_char_boundary(text, d.span.start.min(text.len()));
    let end = floor_char_boundary(text, d.span.end.min(text.len())).max(start);
    // From the line before the span's first line to the line after its last.
    let mut region_start = text[..start].rfind('\n').unwrap_or(0);
    region_start = text[..region_start].rfind('\n').map_or(0, |i| i + 1);
    let after = |from: usize| text[from..].find('\n').map_or(text.len(), |i| from + i);
    let region_end = after((after(end) + 1).min(text.len()));
    if text[region_start..region_end]
        .split('\n')
        .all(|l| l.len() <= LONG_LINE)
    {
        return None;
    }
    let line_start = text[..start].rfind('\n').map_or(0, |i| i + 1);
    let line_end = after(start);
    let (line, col) = sources.line_col(d.file, start);
    let shown_end = floor_char_boundary(text, end.min(line_end).min(start + SPAN_SHOWN));
    let from = floor_char_boundary(text, start.saturating_sub(WINDOW).max(line_start));
    let mut to = (shown_end + WINDOW).min(line_end);
    while !text.is_char_boundary(to) {
        to += 1;
    }
    let (lead, tail) = (
        if from > line_start { "…" } else { "" },
        if to < line_end { "…" } else { "" },
    );
    let pad = lead.chars().count() + text[from..start].chars().count();
    let width = text[start..shown_end].chars().count().max(1);
    let gutter = line.to_string().len();
    let mut out = format!(
        "regen::{}\n\n  × {}\n{:gutter$} ╭─[{}:{line}:{col}]\n{line} │ {lead}{}{tail}\n{:gutter$} · {}{}\n{:gutter$} · {}╰── here (line {line} is {} characters long; shown in part)\n{:gutter$} ╰────\n",
        d.code,
        d.message,
        "",
        sources.path(d.file).display(),
        text[from..to].replace('\t', " "),
        "",
        " ".repeat(pad),
        "─".repeat(width),
        "",
        " ".repeat(pad),
        text[line_start..line_end].chars().count(),
        "",
    );
    for l in &d.labels {
        let (ll, lc) = sources.line_col(d.file, l.span.start);
        out.push_str(&format!("  note: {} (line {ll}, column {lc})\n", l.message));
    }
    if let Some(h) = &d.help {
        out.push_str(&format!("  help: {h}\n"));
    }
    Some(out)
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
        "message": shorten(&d.message),
        "help": d.help.as_deref().map(shorten),
        "labels": d.labels.iter().map(|l| {
            let (line, column) = sources.line_col(d.file, l.span.start);
            json!({"line": line, "column": column, "message": shorten(&l.message)})
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
