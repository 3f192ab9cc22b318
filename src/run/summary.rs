//! The end-of-run summary (JSON for the store; text through `report`).

use super::context::Ctx;
use super::stats::Stats;
use serde_json::{json, Value};
use std::time::Duration;

/// The end-of-run summary: JSON kept in the store, and the text a person reads,
/// rendered from that JSON so `regen show` prints the same.
pub fn summary(cx: &Ctx, wall: Duration, http_calls: u64, stopped: Option<&super::halt::StopReason>) -> (String, Value) {
    let mut steps = Vec::new();
    for (id, n) in cx.wf.nodes.iter().enumerate() {
        let s = cx.stats.step(id);
        let fails = super::stats::read(&s.failures);
        let removed = super::stats::read(&s.removed);
        let funnel: Vec<Value> = super::funnel::labels(&cx.wf, id)
            .into_iter()
            .enumerate()
            .map(|(i, (reason, condition))| json!({"reason": reason, "condition": condition, "removed": removed.get(i).copied().unwrap_or(0)}))
            .collect();
        steps.push(json!({
            "step": n.name, "kind": n.kind.name(), "llm": n.is_llm(),
            // A pool's records are its items (it receives none).
            "received": if n.decl == crate::syntax::ast::DeclKind::Pool { n.pool_items.len() as u64 } else { Stats::get(&s.received) }, "calls": Stats::get(&s.calls),
            "cache_hits": Stats::get(&s.cache_hits), "prompt_tokens": Stats::get(&s.prompt_tokens),
            "completion_tokens": Stats::get(&s.completion_tokens), "failures": fails, "funnel": funnel,
            "not_run": Stats::get(&s.not_run),
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
            "prompt_tokens": prompt, "completion_tokens": completion, "endpoints": model.endpoint_report(),
            "retried": model.retried.load(std::sync::atomic::Ordering::Relaxed)}));
    }
    let sinks = super::stats::read(&cx.stats.sink_records);
    let sink_sources = super::stats::read(&cx.stats.sink_sources);
    let guidelines = guideline_table(cx);
    let example = example(cx);
    let json = json!({ "run": cx.run_id, "workflow": cx.wf.name, "wall_s": wall.as_secs_f64(), "http_requests": http_calls,
        "failures": cx.stats.total_failures(), "skipped_rows": Stats::get(&cx.stats.skipped_rows),
        "source_records": Stats::get(&cx.stats.source_records), "steps": steps, "models": models, "sinks": sinks,
        "sink_sources": sink_sources, "guidelines": guidelines, "stopped": stopped.map(ToString::to_string),
        "timeline": super::stats::read(&cx.stats.timeline),
        "example": example,
        "batch": {"requests": Stats::get(&cx.stats.batch[0]), "batches": Stats::get(&cx.stats.batch[1]),
            "resent": Stats::get(&cx.stats.batch[2]), "online": Stats::get(&cx.stats.batch[3])} });
    (super::report::text(&json), json)
}

/// Kept records per seed guideline, for each sink whose records name guidelines:
/// every pool guideline in pool order (zeros included), then any unattributed.
fn guideline_table(cx: &Ctx) -> Value {
    let per_sink = super::stats::read(&cx.stats.sink_guidelines);
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

/// One record to show at the end: a line the training sink wrote, else the
/// rejected candidate that passed the most filter conditions.
fn example(cx: &Ctx) -> Value {
    let rows = match cx.store.samples(cx.run_id) {
        Ok(rows) => rows,
        Err(e) => {
            tracing::warn!("cannot read the run's samples: {e}");
            return Value::Null;
        }
    };
    let training: Vec<&str> = cx
        .wf
        .nodes
        .iter()
        .filter(|n| n.decl == crate::syntax::ast::DeclKind::Sink && n.str_arg("format") == Some("chat"))
        .map(|n| n.name.as_str())
        .collect();
    let chosen = rows
        .iter()
        .find(|(step, s)| s.outcome == "written" && training.contains(&step.as_str()))
        .or_else(|| rows.iter().filter(|(_, s)| s.outcome == "best-rejected").max_by_key(|(_, s)| s.depth));
    match chosen {
        Some((step, s)) => json!({"step": step, "record": s.record, "outcome": s.outcome, "reason": s.reason,
            "fields": serde_json::from_str::<Value>(&s.fields).unwrap_or(Value::Null)}),
        None => Value::Null,
    }
}
