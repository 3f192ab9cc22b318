//! The end-of-run summary and the progress line.

use super::exec::Ctx;
use super::stats::Stats;
use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};
use serde_json::{json, Value};
use std::io::IsTerminal;
use std::sync::Arc;
use std::time::Duration;

/// The end-of-run summary: JSON kept in the store, and the text a person reads,
/// rendered from that JSON so `regen show` prints the same.
pub fn summary(cx: &Ctx, wall: Duration, http_calls: u64) -> (String, Value) {
    let mut steps = Vec::new();
    for (id, n) in cx.wf.nodes.iter().enumerate() {
        let s = cx.stats.step(id);
        let fails = s.failures.lock().map(|f| f.clone()).unwrap_or_default();
        let removed = s.removed.lock().map(|r| r.clone()).unwrap_or_default();
        let funnel: Vec<Value> = super::funnel::labels(&cx.wf, id)
            .into_iter()
            .enumerate()
            .map(|(i, (reason, condition))| json!({"reason": reason, "condition": condition, "removed": removed.get(i).copied().unwrap_or(0)}))
            .collect();
        steps.push(json!({
            "step": n.name, "kind": n.kind.name(), "llm": n.is_llm(), "received": Stats::get(&s.received), "calls": Stats::get(&s.calls),
            "cache_hits": Stats::get(&s.cache_hits), "prompt_tokens": Stats::get(&s.prompt_tokens),
            "completion_tokens": Stats::get(&s.completion_tokens), "failures": fails, "funnel": funnel,
        }));
    }
    let mut models = Vec::new();
    for (m, model) in cx.models.iter().enumerate() {
        let mine = cx.wf.nodes.iter().enumerate().filter(|(_, n)| n.is_llm() && n.model.unwrap_or(0) == m);
        let (mut calls, mut hits, mut prompt, mut completion) = (0, 0, 0, 0);
        for (id, _) in mine {
            let s = cx.stats.step(id);
            calls += Stats::get(&s.calls);
            hits += Stats::get(&s.cache_hits);
            prompt += Stats::get(&s.prompt_tokens);
            completion += Stats::get(&s.completion_tokens);
        }
        models.push(json!({"alias": model.alias, "model": model.model, "calls": calls, "cache_hits": hits,
            "prompt_tokens": prompt, "completion_tokens": completion}));
    }
    let sinks = cx.stats.sink_records.lock().map(|s| s.clone()).unwrap_or_default();
    let sink_sources = cx.stats.sink_sources.lock().map(|s| s.clone()).unwrap_or_default();
    let guidelines = guideline_table(cx);
    let json = json!({ "run": cx.run_id, "workflow": cx.wf.name, "wall_s": wall.as_secs_f64(), "http_requests": http_calls,
        "failures": cx.stats.total_failures(), "skipped_rows": Stats::get(&cx.stats.skipped_rows),
        "source_records": Stats::get(&cx.stats.source_records), "steps": steps, "models": models, "sinks": sinks,
        "sink_sources": sink_sources, "guidelines": guidelines });
    (super::report::text(&json), json)
}

/// Kept records per seed guideline, for each sink whose records name guidelines:
/// every pool guideline in pool order (zeros included), then any unattributed.
fn guideline_table(cx: &Ctx) -> Value {
    let per_sink = cx.stats.sink_guidelines.lock().map(|s| s.clone()).unwrap_or_default();
    let mut out = serde_json::Map::new();
    for (sink, counts) in per_sink.into_iter().filter(|(_, c)| !c.is_empty()) {
        let mut rows = Vec::new();
        let mut listed = std::collections::HashSet::new();
        for pool in cx.wf.nodes.iter().filter(|n| n.decl == crate::syntax::ast::DeclKind::Pool) {
            for g in &pool.pool_items {
                let id = g.get("id").and_then(Value::as_str).unwrap_or_default().to_string();
                if listed.insert(id.clone()) {
                    let title = g.get("title").and_then(Value::as_str).unwrap_or_default();
                    rows.push(json!({"id": id, "title": title, "kept": counts.get(&id).copied().unwrap_or(0)}));
                }
            }
        }
        for (id, n) in counts.iter().filter(|(id, _)| !listed.contains(*id)) {
            rows.push(json!({"id": id, "title": "", "kept": n}));
        }
        out.insert(sink, Value::Array(rows));
    }
    Value::Object(out)
}

/// Progress on stderr: an indicatif bar per LLM step on a terminal (done of
/// known, cache hits, in flight, failures, tokens, ETA), a plain line every ten
/// seconds otherwise (logs, CI).
pub fn progress(cx: Arc<Ctx>) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let llm: Vec<(usize, String, u64)> = cx
            .wf
            .nodes
            .iter()
            .enumerate()
            .filter(|(_, n)| n.is_llm())
            .map(|(id, n)| (id, n.name.clone(), n.int_arg("samples").unwrap_or(1).max(1) as u64))
            .collect();
        if std::io::stderr().is_terminal() {
            bars(&cx, &llm).await
        } else {
            lines(&cx, &llm).await
        }
    })
}

async fn bars(cx: &Ctx, llm: &[(usize, String, u64)]) {
    let multi = MultiProgress::with_draw_target(ProgressDrawTarget::stderr_with_hz(4));
    let width = llm.iter().map(|(_, n, _)| n.len()).max().unwrap_or(8);
    let style = ProgressStyle::with_template(&format!("{{prefix:<{width}}} [{{bar:24}}] {{pos:>6}}/{{len:<6}} {{msg}} eta {{eta}}"))
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars("=> ");
    let shown: Vec<(usize, u64, ProgressBar)> = llm
        .iter()
        .map(|(id, name, samples)| {
            let b = multi.add(ProgressBar::new(0).with_style(style.clone()).with_prefix(name.clone()));
            (*id, *samples, b)
        })
        .collect();
    let mut tick = tokio::time::interval(Duration::from_millis(250));
    loop {
        tick.tick().await;
        for (id, samples, bar) in &shown {
            let s = cx.stats.step(*id);
            let fails: u64 = s.failures.lock().map(|f| f.values().sum()).unwrap_or(0);
            let (calls, hits) = (Stats::get(&s.calls), Stats::get(&s.cache_hits));
            bar.set_length(Stats::get(&s.received) * samples);
            bar.set_position(calls + hits + fails);
            bar.set_message(format!(
                "{hits} hit · {} in flight · {fails} failed · {} tok",
                Stats::get(&s.inflight),
                Stats::get(&s.prompt_tokens) + Stats::get(&s.completion_tokens)
            ));
        }
    }
}

async fn lines(cx: &Ctx, llm: &[(usize, String, u64)]) {
    let mut tick = tokio::time::interval(Duration::from_secs(10));
    tick.tick().await;
    loop {
        tick.tick().await;
        let parts: Vec<String> = llm
            .iter()
            .map(|(id, name, _)| {
                let s = cx.stats.step(*id);
                format!("{name} {} calls + {} hits, {} in flight", Stats::get(&s.calls), Stats::get(&s.cache_hits), Stats::get(&s.inflight))
            })
            .collect();
        eprintln!("progress: {}", parts.join("; "));
    }
}
