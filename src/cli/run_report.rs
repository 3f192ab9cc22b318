//! `regen show RUN --html FILE` (and `regen run --report`): one self-contained
//! page about a run — the step table, the filter funnel, calls and tokens over
//! time, kept paths per seed guideline, and a browsable table of kept and
//! rejected samples, each unfolding its whole lineage (question → guideline →
//! adapted → structure → path → verdict) with the reason it was dropped.

use super::html::{chart, esc, lines};
use crate::run::report::run_summary::{Example, RunSummary};
use crate::run::report::LINEAGE;
use crate::run::store::SampleRow;
use serde_json::Value;

pub fn html(
    run: i64,
    workflow: &str,
    status: &str,
    j: &RunSummary,
    samples: &[(String, SampleRow)],
) -> String {
    let mut h = String::from(
        "<!doctype html>\n<html><head><meta charset=\"utf-8\"><title>regen run report</title>\n<style>\
         body{font-family:system-ui,sans-serif;margin:2em;color:#222;max-width:1100px}table{border-collapse:collapse}\
         td,th{padding:4px 10px;border-bottom:1px solid #ddd;text-align:right;vertical-align:top}\
         td:first-child,th:first-child{text-align:left}.chart{display:inline-block;margin:1em 2em 1em 0;vertical-align:top}\
         h2{font-size:1em}details{border:1px solid #ddd;border-radius:4px;margin:4px 0;padding:4px 8px}\
         summary{cursor:pointer}dl{display:grid;grid-template-columns:9em 1fr;gap:2px 12px}dt{font-weight:600}\
         dd{margin:0;white-space:pre-wrap}.kept{color:#1a7f37}.removed{color:#b3261e}</style></head><body>\n",
    );
    let kept: u64 = j.sinks.values().copied().max().unwrap_or(0);
    h.push_str(&format!(
        "<h1>run {run} of <code>{}</code></h1>\n<p id=\"totals\">status <b>{}</b> · {:.1} s · <span id=\"requests\">{}</span> HTTP requests · \
         <span id=\"failures\">{}</span> records failed · <span id=\"kept\">{kept}</span> training records · {} questions</p>\n",
        esc(workflow),
        esc(status),
        j.wall_s,
        j.http_requests,
        j.failures,
        j.source_records
    ));
    if let Some(e) = &j.error {
        h.push_str(&format!(
            "<p id=\"error\"><b>the run ended in error:</b> {}</p>\n",
            esc(e)
        ));
    }
    h.push_str("<h2>steps</h2>\n<table id=\"steps\"><tr><th>step</th><th>kind</th><th>records</th><th>calls</th><th>cache hits</th><th>prompt tok</th><th>completion tok</th><th>failures</th></tr>\n");
    for s in &j.steps {
        let fails: Vec<String> = s
            .failures
            .iter()
            .map(|(k, v)| format!("{k}: {v}"))
            .collect();
        h.push_str(&format!(
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>\n",
            esc(&s.step),
            esc(&s.kind),
            s.received,
            s.calls,
            s.cache_hits,
            s.prompt_tokens,
            s.completion_tokens,
            esc(&fails.join(", "))
        ));
    }
    h.push_str("</table>\n<h2>filter funnel</h2>\n");
    for s in j.steps.iter().filter(|s| s.received > 0) {
        let rows: Vec<(String, f64)> = s
            .funnel
            .iter()
            .map(|f| (f.reason.clone(), f.removed as f64))
            .collect();
        if !rows.is_empty() {
            h.push_str(&chart(
                &format!("{}: {} in, removed by each condition", s.step, s.received),
                &rows,
            ));
        }
    }
    let timeline: Vec<(f64, f64, f64)> = j
        .timeline
        .iter()
        .map(|&(t, c, k)| (t, c as f64, k as f64))
        .collect();
    if !timeline.is_empty() {
        let calls = timeline.iter().map(|p| (p.0, p.1)).collect();
        let tokens = timeline.iter().map(|p| (p.0, p.2)).collect();
        h.push_str(&lines(
            "calls and tokens over time",
            "seconds",
            &[("calls", "#4a7bd0", calls), ("tokens", "#d07a4a", tokens)],
        ));
    }
    for (sink, rows) in &j.guidelines {
        let data: Vec<(String, f64)> = rows.iter().map(|g| (g.id.clone(), g.kept as f64)).collect();
        h.push_str(&chart(&format!("kept per seed guideline ({sink})"), &data));
    }
    h.push_str(&sample_table(samples, j.example.as_ref()));
    h.push_str("</body></html>\n");
    h
}

/// Kept and rejected samples; the summary's example (a kept line, else the
/// closest rejected candidate) is unfolded, or the first sample when it has none.
fn sample_table(samples: &[(String, SampleRow)], example: Option<&Example>) -> String {
    let mut h = String::from(
        "<h2>samples: kept and rejected, with their lineage</h2>\n<div id=\"samples\">\n",
    );
    let is_example = |step: &str, s: &SampleRow| {
        example.is_some_and(|e| e.step == step && e.record == s.record && e.outcome == s.outcome)
    };
    let open_at = samples
        .iter()
        .position(|(step, s)| is_example(step, s))
        .or((!samples.is_empty()).then_some(0));
    // The unfolded one first, then the rest in the order they were kept.
    let order: Vec<usize> = open_at
        .into_iter()
        .chain((0..samples.len()).filter(|i| Some(*i) != open_at))
        .collect();
    for i in order {
        let (step, s) = &samples[i];
        let fields: Value = serde_json::from_str(&s.fields).unwrap_or(Value::Null);
        let class = if s.outcome == "removed" || s.outcome == "best-rejected" {
            "removed"
        } else {
            "kept"
        };
        let verdict = match s.outcome.as_str() {
            "removed" => format!("removed: {}", s.reason),
            "best-rejected" => format!("closest rejected: {}", s.reason),
            other => other.to_string(),
        };
        let question: String = fields["question"]
            .as_str()
            .unwrap_or("")
            .chars()
            .take(90)
            .collect();
        h.push_str(&format!(
            "<details class=\"lineage\"{}><summary><b>{}</b> <span class=\"{class}\">{}</span> · {}</summary><dl>",
            if Some(i) == open_at { " open" } else { "" },
            esc(step),
            esc(&verdict),
            esc(&question)
        ));
        h.push_str(&format!("<dt>record</dt><dd>{}</dd>", esc(&s.record)));
        for key in LINEAGE {
            if let Some(v) = fields.get(*key).filter(|v| !v.is_null()) {
                h.push_str(&format!(
                    "<dt>{key}</dt><dd>{}</dd>",
                    esc(&crate::expr::text(v))
                ));
            }
        }
        h.push_str("</dl></details>\n");
    }
    h.push_str("</div>\n");
    h
}
