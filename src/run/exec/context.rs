//! What every running step shares: the workflow, the store, the models, the
//! counters, the compiled templates; and the helpers that need only that
//! (rendering, cache keys, recording a failure).

use crate::call_settings::ReplyRequest;
use crate::record::Rec;
use crate::run::client::ModelClient;
use crate::run::exec::failure::{CallError, FailReason};
use crate::run::exec::stats::Stats;
use crate::run::store::{CacheKey, Store};
use crate::workflow::{NodeId, Workflow};
use serde_json::{Map, Value};
use std::sync::Arc;

pub struct Ctx {
    pub wf: Arc<Workflow>,
    pub store: Arc<Store>,
    pub models: Vec<Arc<ModelClient>>,
    pub stats: Arc<Stats>,
    pub run_id: i64,
    pub refresh: Vec<bool>,
    pub templates: Arc<minijinja::Environment<'static>>,
    pub pools: Arc<Map<String, Value>>,
    pub run_dir: std::path::PathBuf,
    /// Each node's position in the plan's order (deeper steps come later).
    pub depth: Vec<u32>,
    /// Run stage by stage (each step waits for all its input), as batch scripts do.
    pub barrier: bool,
    /// Every model's uncached calls go through the Batch API (`--batch`).
    pub batch: bool,
    /// `regen batch export`: this step's calls are written to this file, not made.
    pub export: Option<(NodeId, std::path::PathBuf)>,
    /// The steps whose calls this run makes: all of them, except in an export,
    /// where only the exported step and those it reads from are asked (the
    /// other branches, the hint pass or later steps, are not the export's business).
    pub in_scope: Vec<bool>,
    /// The worker pools of `python` and `command` steps, by node.
    pub workers: Vec<Option<crate::run::worker::StepWorkers>>,
    /// Stops the run (signals, budgets, a step's `on_error: stop`).
    pub halt: Arc<crate::run::exec::halt::Halt>,
}

/// The export step and everything upstream of it (its inputs and the steps its arguments name).
pub fn upstream_of(wf: &Workflow, step: NodeId) -> Vec<bool> {
    let mut seen = vec![false; wf.nodes.len()];
    let mut stack = vec![step];
    while let Some(id) = stack.pop() {
        if std::mem::replace(&mut seen[id], true) {
            continue;
        }
        stack.extend(wf.nodes[id].inputs.iter().copied());
        stack.extend(wf.nodes[id].refs.values().copied());
    }
    seen
}

impl Ctx {
    /// Render a step's template argument (compiled once per run) over `fields`,
    /// plus the pools and params the template names that the record does not have.
    ///
    /// The context borrows the record's fields, and holds only those the
    /// template reads or may read (`check::template_reads`): minijinja converts
    /// every value it is given, and a record carries all its upstream text.
    /// (Undefined names are errors, so a name missed here would fail loudly,
    /// never render empty.)
    pub fn render(
        &self,
        id: NodeId,
        arg: &str,
        fields: &Map<String, Value>,
    ) -> Result<String, minijinja::Error> {
        let node = &self.wf.nodes[id];
        let Some(p) = node.prompts.get(arg) else {
            return self.templates.render_str("", fields);
        };
        let mut context: std::collections::BTreeMap<&str, &Value> =
            (p.reads.iter().chain(&p.may_read))
                .filter_map(|name| fields.get_key_value(name.as_str()))
                .map(|(k, v)| (k.as_str(), v))
                .collect();
        for name in &p.reads {
            if !context.contains_key(name.as_str()) {
                if let Some(v) = self
                    .pools
                    .get(name)
                    .or_else(|| self.wf.param(name).map(|p| &p.value))
                {
                    context.insert(name.as_str(), v);
                }
            }
        }
        match self.templates.get_template(&template_name(&node.name, arg)) {
            Ok(t) => t.render(&context),
            // Not registered (it did not compile): render it once more for the error.
            Err(_) => self.templates.render_str(&p.text, &context),
        }
    }

    /// Calls of older source records first; within one, the deepest step first.
    pub fn priority(&self, id: NodeId, lineage: u64) -> crate::run::client::gate::Priority {
        (
            lineage & ((1 << 40) - 1),
            u32::MAX - self.depth.get(id).copied().unwrap_or(0),
        )
    }
}

/// The name a step's template is registered under in the run's environment.
pub fn template_name(step: &str, arg: &str) -> String {
    format!("{step}#{arg}")
}

pub fn cache_key(
    cx: &Ctx,
    id: NodeId,
    r: &Rec,
    messages: Vec<(String, String)>,
    sample: u32,
) -> CacheKey {
    let s = &cx.wf.nodes[id].call;
    let model = &cx.models[cx.wf.nodes[id].model.unwrap_or(0)];
    let (response_format, structured_outputs) = match &s.reply {
        ReplyRequest::ResponseFormat(v) => (Some(v.clone()), None),
        ReplyRequest::StructuredOutputs(v) => (None, Some(v.clone())),
        ReplyRequest::None | ReplyRequest::Prompt(_) => (None, None),
    };
    // Only greedy calls (temperature 0) with the same prompt are one call; a
    // server-default temperature counts as random.
    let random = s.temperature != Some(0.0);
    CacheKey {
        record: random.then(|| r.key.clone()),
        endpoint_alias: model.alias.clone(),
        model: model.model.clone(),
        messages,
        temperature: s.temperature,
        top_p: s.top_p,
        max_tokens: s.max_tokens,
        seed: s.seed,
        sample,
        response_format,
        structured_outputs,
        attempt: 0,
    }
}

/// A record the step could not finish: a recorded failure, or "not run" when the run was stopping.
pub fn failure(cx: &Ctx, id: NodeId, r: &Rec, e: &CallError) {
    match e {
        CallError::Failed { reason, raw } => record(cx, id, &r.key, *reason, raw),
        CallError::Stopped => {
            cx.stats
                .step(id)
                .not_run
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        }
    }
}

/// Count a failure and keep it in the store. If the store cannot take it, the
/// run ends "failed" all the same (the count is in memory) and the log says why.
pub fn record(cx: &Ctx, id: NodeId, key: &str, reason: FailReason, raw: &str) {
    cx.stats.fail(id, &reason.to_string());
    if let Err(e) = cx.store.record_failure(
        cx.run_id,
        &cx.wf.nodes[id].name,
        key,
        &reason.to_string(),
        raw,
    ) {
        cx.stats.fail(id, &FailReason::Store.to_string());
        tracing::error!(step = %cx.wf.nodes[id].name, record = key, "the run store did not take a failure ({reason}: {raw}): {e}");
    }
}
