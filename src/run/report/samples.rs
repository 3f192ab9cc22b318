//! Samples of what each step did, kept in the run store so a person can read
//! them: the first records a filter kept and removed (with the reason), the
//! first lines a sink wrote, and, per filter, the rejected record that passed
//! the most conditions — the one to show when nothing was kept. Records carry
//! every upstream field, so a sample is its whole lineage (question → guideline
//! → adapted → structure → path → verdict).

use crate::record::Rec;
use crate::run::exec::context::Ctx;
use crate::run::store::SampleRow;
use crate::workflow::NodeId;
use serde_json::{Map, Value};
use std::sync::atomic::Ordering;
use std::sync::Arc;

/// Samples kept per step and outcome.
pub const PER_STEP: u64 = 25;

pub fn kept(cx: &Ctx, id: NodeId, r: &Rec) {
    if cx
        .stats
        .step(id)
        .sampled_kept
        .fetch_add(1, Ordering::Relaxed)
        < PER_STEP
    {
        save(cx, id, r, "kept", "", 0);
    }
}

pub fn written(cx: &Ctx, id: NodeId, r: &Rec) {
    if cx
        .stats
        .step(id)
        .sampled_kept
        .fetch_add(1, Ordering::Relaxed)
        < PER_STEP
    {
        save(cx, id, r, "written", "", 0);
    }
}

/// A record the filter's condition number `failed` removed (so it passed the ones before).
pub fn removed(cx: &Ctx, id: NodeId, r: &Arc<Rec>, failed: usize) {
    let s = cx.stats.step(id);
    if s.sampled_removed.fetch_add(1, Ordering::Relaxed) < PER_STEP {
        save(cx, id, r, "removed", &reason(cx, id, failed), failed);
    }
    let mut best = s.best_rejected.lock().unwrap_or_else(|p| p.into_inner());
    if best.as_ref().is_none_or(|(p, _)| failed > *p) {
        *best = Some((failed, r.clone()));
    }
}

/// At the end of the run: each filter's best rejected record, marked `best`.
pub fn finish(cx: &Ctx) {
    for id in 0..cx.wf.nodes.len() {
        let best = cx
            .stats
            .step(id)
            .best_rejected
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .take();
        if let Some((failed, r)) = best {
            save(cx, id, &r, "best-rejected", &reason(cx, id, failed), failed);
        }
    }
}

/// The funnel's label of a filter's condition (only for the records kept as samples).
fn reason(cx: &Ctx, id: NodeId, condition: usize) -> String {
    crate::run::report::funnel::labels(&cx.wf, id)
        .into_iter()
        .nth(condition)
        .map(|l| l.0)
        .unwrap_or_default()
}

fn save(cx: &Ctx, id: NodeId, r: &Rec, outcome: &str, reason: &str, depth: usize) {
    let row = SampleRow {
        record: r.key.clone(),
        outcome: outcome.into(),
        reason: reason.into(),
        depth: depth as i64,
        fields: Value::Object(shortened(&r.fields)).to_string(),
    };
    // Samples are for reading; losing one loses no data, but it is logged.
    if let Err(e) = cx
        .store
        .record_sample(cx.run_id, &cx.wf.nodes[id].name, row)
    {
        tracing::warn!(step = %cx.wf.nodes[id].name, "a sample was not stored: {e}");
    }
}

/// Long texts cut to a readable size (the full text is in the sinks and the cache).
fn shortened(fields: &Map<String, Value>) -> Map<String, Value> {
    fields
        .iter()
        .map(|(k, v)| {
            let v = match v {
                Value::String(s) if s.chars().count() > 4000 => {
                    Value::String(s.chars().take(4000).collect::<String>() + " …")
                }
                other => other.clone(),
            };
            (k.clone(), v)
        })
        .collect()
}
