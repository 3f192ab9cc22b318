//! The end-of-run summary (`RunSummary`, kept in the store; text through `report`).

use crate::run::exec::context::Ctx;
use crate::run::exec::stats::{read, Stats};
use crate::run::report::run_summary::{
    BatchSummary, Example, FunnelRow, GuidelineRow, ModelSummary, RunSummary, StepSummary,
};
use serde_json::Value;
use std::collections::BTreeMap;
use std::time::Duration;

/// The end-of-run summary, and the text a person reads, rendered from it so
/// `regen show` prints the same.
pub fn summary(
    cx: &Ctx,
    wall: Duration,
    http_calls: u64,
    stopped: Option<&crate::run::exec::halt::StopReason>,
    outcome: (&str, Option<&str>),
) -> (String, RunSummary) {
    let mut steps = Vec::new();
    for (id, n) in cx.wf.nodes.iter().enumerate() {
        let s = cx.stats.step(id);
        let removed = read(&s.removed);
        let funnel = crate::run::report::funnel::labels(&cx.wf, id)
            .into_iter()
            .enumerate()
            .map(|(i, (reason, condition))| FunnelRow {
                reason,
                condition,
                removed: removed.get(i).copied().unwrap_or(0),
            })
            .collect();
        steps.push(StepSummary {
            step: n.name.clone(),
            kind: n.kind.name().to_string(),
            llm: n.is_llm(),
            // A pool's records are its items (it receives none).
            received: if n.decl == crate::syntax::ast::DeclKind::Pool {
                n.pool_items.len() as u64
            } else {
                Stats::get(&s.received)
            },
            calls: Stats::get(&s.calls),
            cache_hits: Stats::get(&s.cache_hits),
            prompt_tokens: Stats::get(&s.prompt_tokens),
            completion_tokens: Stats::get(&s.completion_tokens),
            failures: read(&s.failures).into_iter().collect(),
            funnel,
            not_run: Stats::get(&s.not_run),
            reasked: Stats::get(&s.reasked),
        });
    }
    let mut models = Vec::new();
    for (m, model) in cx.models.iter().enumerate() {
        let mine = cx
            .wf
            .nodes
            .iter()
            .enumerate()
            .filter(|(_, n)| n.is_llm() && n.model.unwrap_or(0) == m);
        let (mut calls, mut hits, mut prompt, mut completion) = (0, 0, 0, 0);
        for (id, _) in mine {
            let s = cx.stats.step(id);
            calls += Stats::get(&s.calls);
            hits += Stats::get(&s.cache_hits);
            prompt += Stats::get(&s.prompt_tokens);
            completion += Stats::get(&s.completion_tokens);
        }
        models.push(ModelSummary {
            alias: model.alias.clone(),
            model: model.model.clone(),
            calls,
            cache_hits: hits,
            prompt_tokens: prompt,
            completion_tokens: completion,
            endpoints: model.endpoint_report(),
            retried: model.retried.load(std::sync::atomic::Ordering::Relaxed),
        });
    }
    let summary = RunSummary {
        version: crate::run::report::run_summary::VERSION,
        run: cx.run_id,
        workflow: cx.wf.name.clone(),
        wall_s: wall.as_secs_f64(),
        http_requests: http_calls,
        failures: cx.stats.total_failures(),
        skipped_rows: Stats::get(&cx.stats.skipped_rows),
        source_records: Stats::get(&cx.stats.source_records),
        steps,
        models,
        sinks: read(&cx.stats.sink_records),
        sink_sources: read(&cx.stats.sink_sources),
        guidelines: guideline_table(cx),
        stopped: stopped.map(ToString::to_string),
        status: outcome.0.to_string(),
        error: outcome
            .1
            .map(crate::secrets::redact)
            .map(|e| e.into_owned()),
        timeline: read(&cx.stats.timeline),
        example: example(cx),
        batch: BatchSummary {
            requests: Stats::get(&cx.stats.batch[0]),
            batches: Stats::get(&cx.stats.batch[1]),
            resent: Stats::get(&cx.stats.batch[2]),
            online: Stats::get(&cx.stats.batch[3]),
        },
    };
    (crate::run::report::text(&summary), summary)
}

/// Kept records per seed guideline, for each sink whose records name guidelines:
/// every pool guideline in pool order (zeros included), then any unattributed.
fn guideline_table(cx: &Ctx) -> BTreeMap<String, Vec<GuidelineRow>> {
    let per_sink = read(&cx.stats.sink_guidelines);
    let mut out = BTreeMap::new();
    for (sink, counts) in per_sink.into_iter().filter(|(_, c)| !c.is_empty()) {
        let mut rows = Vec::new();
        let mut listed = std::collections::HashSet::new();
        for pool in cx
            .wf
            .nodes
            .iter()
            .filter(|n| n.decl == crate::syntax::ast::DeclKind::Pool)
        {
            for g in &pool.pool_items {
                let id = g
                    .get("id")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_string();
                if listed.insert(id.clone()) {
                    let title = g.get("title").and_then(Value::as_str).unwrap_or_default();
                    rows.push(GuidelineRow {
                        kept: counts.get(&id).copied().unwrap_or(0),
                        id,
                        title: title.to_string(),
                    });
                }
            }
        }
        for (id, n) in counts.iter().filter(|(id, _)| !listed.contains(*id)) {
            rows.push(GuidelineRow {
                id: id.clone(),
                title: String::new(),
                kept: *n,
            });
        }
        out.insert(sink, rows);
    }
    out
}

/// One record to show at the end: a line the training sink wrote, else the
/// rejected candidate that passed the most filter conditions.
fn example(cx: &Ctx) -> Option<Example> {
    let rows = match cx.store.samples(cx.run_id) {
        Ok(rows) => rows,
        Err(e) => {
            tracing::warn!("cannot read the run's samples: {e}");
            return None;
        }
    };
    let training: Vec<&str> = cx
        .wf
        .nodes
        .iter()
        .filter(|n| n.decl == crate::syntax::ast::DeclKind::Sink && n.kind.writes_chat(n))
        .map(|n| n.name.as_str())
        .collect();
    let chosen = rows
        .iter()
        .find(|(step, s)| s.outcome == "written" && training.contains(&step.as_str()))
        .or_else(|| {
            rows.iter()
                .filter(|(_, s)| s.outcome == "best-rejected")
                .max_by_key(|(_, s)| s.depth)
        });
    chosen.map(|(step, s)| Example {
        step: step.clone(),
        record: s.record.clone(),
        outcome: s.outcome.clone(),
        reason: s.reason.clone(),
        fields: serde_json::from_str::<Value>(&s.fields).unwrap_or(Value::Null),
    })
}
