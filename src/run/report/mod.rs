//! Reporting a run. `run_summary` is the typed summary the store keeps, built
//! by `summary`; `funnel`, `samples` and `timeline` feed it; `progress` is the
//! live line on stderr. This file renders the summary as text, so `regen run`
//! and `regen show` print the same tables: steps, the filter funnel, kept paths
//! per seed guideline, models and sinks.

pub(crate) mod funnel;
pub(crate) mod progress;
pub(crate) mod run_summary;
pub(crate) mod samples;
pub(crate) mod summary;
pub(crate) mod timeline;

use crate::run::report::run_summary::{Example, GuidelineRow, RunSummary, StepSummary};
use serde_json::Value;
use std::collections::BTreeMap;

pub fn text(j: &RunSummary) -> String {
    let run = j.run;
    let mut t = format!(
        "run {run} of `{}` finished in {:.1}s\n",
        j.workflow, j.wall_s
    );
    t.push_str(&format!(
        "{:<18} {:>8} {:>8} {:>10} {:>12} {:>14}  failures\n",
        "step", "records", "calls", "cache hits", "prompt tok", "completion tok"
    ));
    for s in &j.steps {
        let fails: Vec<String> = s
            .failures
            .iter()
            .map(|(k, v)| format!("{k}: {v}"))
            .collect();
        // Model steps, and function steps (calls without tokens).
        if s.llm || s.calls > 0 || s.cache_hits > 0 || !fails.is_empty() {
            let tokens = |n: u64| if s.llm { n.to_string() } else { "-".into() };
            t.push_str(&format!(
                "{:<18} {:>8} {:>8} {:>10} {:>12} {:>14}  {}\n",
                s.step,
                s.received,
                s.calls,
                s.cache_hits,
                tokens(s.prompt_tokens),
                tokens(s.completion_tokens),
                if fails.is_empty() {
                    "-".into()
                } else {
                    fails.join(", ")
                }
            ));
        }
    }
    t.push_str(&funnel(&j.steps));
    t.push_str(&guidelines(&j.guidelines));
    if let Some(e) = &j.example {
        t.push_str(&example(e, run));
    }
    for m in &j.models {
        t.push_str(&format!(
            "model {} ({}): {} calls, {} cache hits, {} prompt + {} completion tokens\n",
            m.alias, m.model, m.calls, m.cache_hits, m.prompt_tokens, m.completion_tokens
        ));
        if m.retried > 0 {
            t.push_str(&format!(
                "  {} requests sent again after an error that retrying fixes (what still failed is under failures)\n",
                m.retried
            ));
        }
        // Replicas: the split, the latency and the failures of each.
        if m.endpoints.len() > 1 {
            for e in &m.endpoints {
                let ms = |v: Option<u64>| v.map_or("-".to_string(), |v| format!("{v} ms"));
                t.push_str(&format!(
                    "  endpoint {}: {} requests, {} failed · latency p50 {} · p95 {} · p99 {}\n",
                    e.endpoint,
                    e.calls,
                    e.failures,
                    ms(e.p50_ms),
                    ms(e.p95_ms),
                    ms(e.p99_ms)
                ));
            }
        }
    }
    let batch = &j.batch;
    if batch.batches > 0 {
        t.push_str(&format!(
            "batch API: {} requests in {} batches ({} sent again after errors or expiry, {} left to online calls)\n",
            batch.requests, batch.batches, batch.resent, batch.online
        ));
    }
    for (path, count) in &j.sinks {
        t.push_str(&format!("wrote {count} records to {path}\n"));
    }
    if j.skipped_rows > 0 {
        t.push_str(&format!(
            "skipped {} bad dataset rows (on_bad_row: skip; listed by `regen show {run}`)\n",
            j.skipped_rows
        ));
    }
    let not_run: u64 = j.steps.iter().map(|s| s.not_run).sum();
    if not_run > 0 {
        t.push_str(&format!(
            "{not_run} records not run: the run stopped early ({})\n",
            j.stopped.as_deref().unwrap_or("stopped")
        ));
    }
    t.push_str(&format!(
        "{} HTTP requests; {} records failed (see `regen show {run}`)\n",
        j.http_requests, j.failures
    ));
    for s in j.steps.iter().filter(|s| s.reasked > 0) {
        t.push_str(&format!(
            "re-asked {} replies of `{}` that did not fit its `reply:` shape\n",
            s.reasked, s.step
        ));
    }
    if let Some(e) = &j.error {
        t.push_str(&format!("the run ended in error: {e}\n"));
    }
    t
}

/// For each filter: records in, then what each condition removed, then what passed.
pub fn funnel(steps: &[StepSummary]) -> String {
    let mut t = String::new();
    for s in steps
        .iter()
        .filter(|s| !s.funnel.is_empty() && s.received > 0)
    {
        let removed: u64 = s.funnel.iter().map(|r| r.removed).sum();
        t.push_str(&format!(
            "filter {}: {} in, {} kept\n",
            s.step,
            s.received,
            s.received.saturating_sub(removed)
        ));
        for r in &s.funnel {
            t.push_str(&format!(
                "  {:>8} removed: {} ({})\n",
                r.removed, r.reason, r.condition
            ));
        }
    }
    t
}

/// Characters per line of the guideline table.
const GUIDELINE_WIDTH: usize = 96;

/// Kept records per seed guideline, most productive first, for each sink that has them.
pub fn guidelines(g: &BTreeMap<String, Vec<GuidelineRow>>) -> String {
    let mut t = String::new();
    for (sink, rows) in g {
        let mut rows = rows.clone();
        rows.sort_by_key(|r| std::cmp::Reverse(r.kept));
        let shown: Vec<String> = rows
            .iter()
            .filter(|r| r.kept > 0)
            .map(|r| format!("{} {}", r.id, r.kept))
            .collect();
        let none = rows.iter().filter(|r| r.kept == 0).count();
        let head = format!("kept per seed guideline ({sink}):");
        t.push_str(&head);
        if shown.is_empty() {
            t.push_str(" none");
        }
        // Wrapped to terminal-table width, like the other tables (a pipe gets no 1,000-character line).
        let mut width = head.chars().count();
        for (i, item) in shown.iter().enumerate() {
            let sep = if i + 1 < shown.len() { "," } else { "" };
            if width + item.len() + 2 > GUIDELINE_WIDTH && width > 1 {
                t.push_str("\n ");
                width = 1;
            }
            t.push(' ');
            t.push_str(item);
            t.push_str(sep);
            width += item.len() + 1 + sep.len();
        }
        if none > 0 {
            t.push_str(&format!("\n  {none} guidelines produced none"));
        }
        t.push('\n');
    }
    t
}

/// Fields shown for a sample, in lineage order (the terminal and the HTML report).
pub const LINEAGE: &[&str] = &[
    "question",
    "answer",
    "guideline",
    "adapted",
    "structure",
    "path",
    "predicted",
    "verdict_reply",
    "text",
];

/// The end-of-run example: a kept training line, or the closest rejected candidate and why it was dropped.
fn example(e: &Example, run: i64) -> String {
    let mut t = if e.outcome == "written" {
        format!("a kept example (sink `{}`):\n", e.step)
    } else {
        format!(
            "nothing was kept; the candidate that came closest (filter `{}`, dropped: {}):\n",
            e.step, e.reason
        )
    };
    t.push_str(&fields(&e.fields, 400));
    t.push_str(&format!(
        "more: `regen show {run} --samples 5` prints 5 candidates per step with their verdicts\n"
    ));
    t
}

/// A sample's lineage fields, each cut to `width` characters on one line.
pub fn fields(f: &Value, width: usize) -> String {
    let mut t = String::new();
    for key in LINEAGE {
        if let Some(v) = f.get(*key).filter(|v| !v.is_null()) {
            let text = crate::expr::text(v)
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" ");
            let cut: String = text.chars().take(width).collect();
            let more = if text.chars().count() > width {
                " …"
            } else {
                ""
            };
            t.push_str(&format!("  {key:<13} {cut}{more}\n"));
        }
    }
    t
}

/// `regen show RUN --samples K`: K samples per step, kept and removed, with the reason.
pub fn samples(rows: &[(String, crate::run::store::SampleRow)], k: usize) -> String {
    let mut t = String::new();
    let mut steps: Vec<&str> = Vec::new();
    for (step, _) in rows {
        if !steps.contains(&step.as_str()) {
            steps.push(step);
        }
    }
    for step in steps {
        t.push_str(&format!("== {step}\n"));
        let mine = rows
            .iter()
            .filter(|(s, r)| s == step && r.outcome != "best-rejected");
        for (_, r) in mine.take(k) {
            let verdict = if r.outcome == "removed" {
                format!("removed: {}", r.reason)
            } else {
                r.outcome.clone()
            };
            t.push_str(&format!("-- {} [{verdict}]\n", r.record));
            t.push_str(&fields(
                &serde_json::from_str(&r.fields).unwrap_or(Value::Null),
                160,
            ));
        }
    }
    if t.is_empty() {
        t.push_str("(no samples: the run kept none)\n");
    }
    t
}

#[cfg(test)]
mod tests {
    use super::GuidelineRow;

    #[test]
    fn the_guideline_table_wraps_at_table_width_and_loses_no_guideline() {
        let row = |id: String, kept: u64| GuidelineRow {
            id,
            title: String::new(),
            kept,
        };
        let mut all: Vec<GuidelineRow> = (0..60)
            .map(|i| row(format!("guideline-{i:02}"), 60 - i))
            .collect();
        all.push(row("unused".into(), 0));
        let t = super::guidelines(
            &[("runs/x/train.jsonl".to_string(), all)]
                .into_iter()
                .collect(),
        );
        assert!(t.lines().count() > 5, "{t}");
        assert!(
            t.lines()
                .all(|l| l.chars().count() <= super::GUIDELINE_WIDTH),
            "{t}"
        );
        assert!(
            (0..60).all(|i| t.contains(&format!("guideline-{i:02} {}", 60 - i))),
            "{t}"
        );
        assert!(t.contains("1 guidelines produced none"), "{t}");
    }
}
