//! `regen lint --format sarif|github`: findings in the forms code hosts read.
//! SARIF 2.1.0 for code-scanning uploads; GitHub's workflow commands
//! (`::error file=…,line=…::message`) for inline annotations in a job's log.

use crate::catalogue;
use crate::diagnostic::{Diagnostic, Severity, SourceMap};
use serde_json::{json, Value};
use std::path::Path;

/// One finding with the sources it points into.
pub struct Finding<'a> {
    pub diagnostic: &'a Diagnostic,
    pub sources: &'a SourceMap,
}

/// A path as the code host shows it: relative to the current folder when it is inside it.
fn shown_path(p: &Path) -> String {
    let cwd = std::env::current_dir()
        .ok()
        .and_then(|c| c.canonicalize().ok());
    let abs = p.canonicalize().unwrap_or_else(|_| p.to_path_buf());
    let rel = cwd
        .as_deref()
        .and_then(|c| abs.strip_prefix(c).ok())
        .unwrap_or(p);
    rel.to_string_lossy().replace('\\', "/")
}

fn full_message(d: &Diagnostic) -> String {
    match &d.help {
        Some(h) => format!("{}\nhelp: {h}", d.message),
        None => d.message.clone(),
    }
}

/// A SARIF 2.1.0 log: one run, the catalogue's codes as rules, one result per finding.
pub fn sarif(findings: &[Finding]) -> Value {
    let mut codes: Vec<&str> = findings.iter().map(|f| f.diagnostic.code).collect();
    codes.sort();
    codes.dedup();
    let rules: Vec<Value> = codes
        .iter()
        .map(|code| {
            let entry = catalogue::find(code);
            let mut rule = json!({
                "id": code,
                "name": code,
            });
            if let Some(e) = entry {
                rule["shortDescription"] = json!({ "text": e.summary });
                rule["fullDescription"] =
                    json!({ "text": format!("{} Example: {}", e.summary, e.example) });
                rule["help"] = json!({ "text": e.fix });
                rule["defaultConfiguration"] =
                    json!({ "level": if e.severity == "error" { "error" } else { "warning" } });
            }
            rule
        })
        .collect();
    let results: Vec<Value> = findings
        .iter()
        .map(|f| {
            let d = f.diagnostic;
            let (line, column) = f.sources.line_col(d.file, d.span.start);
            let (end_line, end_column) = f.sources.line_col(d.file, d.span.end.max(d.span.start));
            let rule_index = codes.iter().position(|c| *c == d.code).unwrap_or(0);
            json!({
                "ruleId": d.code,
                "ruleIndex": rule_index,
                "level": level(d),
                "message": { "text": full_message(d) },
                "locations": [{
                    "physicalLocation": {
                        "artifactLocation": { "uri": shown_path(f.sources.path(d.file)) },
                        "region": {
                            "startLine": line,
                            "startColumn": column,
                            "endLine": end_line,
                            "endColumn": end_column.max(if end_line == line { column } else { 1 }),
                        }
                    }
                }],
            })
        })
        .collect();
    json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": { "driver": {
                "name": "regen",
                "version": env!("CARGO_PKG_VERSION"),
                "rules": rules,
            }},
            "columnKind": "unicodeCodePoints",
            "results": results,
        }],
    })
}

fn level(d: &Diagnostic) -> &'static str {
    match d.severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
    }
}

/// GitHub workflow commands: one `::error`/`::warning` line per finding.
pub fn github(f: &Finding) -> String {
    let d = f.diagnostic;
    let (line, col) = f.sources.line_col(d.file, d.span.start);
    let (end_line, end_col) = f.sources.line_col(d.file, d.span.end.max(d.span.start));
    let command = match d.severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
    };
    let path = shown_path(f.sources.path(d.file));
    format!(
        "::{command} file={},line={line},col={col},endLine={end_line},endColumn={end_col},title={}::{}",
        escape_property(&path),
        escape_property(&format!("regen {}", d.code)),
        escape_data(&full_message(d))
    )
}

/// The escapes GitHub's runner undoes in a command's message.
fn escape_data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// ... and in a property value, where `:` and `,` separate properties.
fn escape_property(s: &str) -> String {
    escape_data(s).replace(':', "%3A").replace(',', "%2C")
}
