//! One LLM or judge call for one record: render, ask (cache first), parse.

use super::exec::{cache_key, failure, Ctx};
use super::record::{child, Rec};
use crate::workflow::NodeId;
use serde_json::Value;
use std::sync::atomic::Ordering;

pub async fn call(cx: &Ctx, id: NodeId, r: &Rec, sample: u32, samples: u32) -> Option<Rec> {
    let node = &cx.wf.nodes[id];
    let prompt = node.prompts.get("prompt")?;
    let mut ctx = (*cx.pools).clone();
    ctx.extend(r.fields.clone());
    let user = match cx.templates.render_str(&prompt.text, Value::Object(ctx)) {
        Ok(t) => t,
        Err(e) => {
            let err = super::client::CallError::Failed { reason: "template".into(), raw: e.to_string() };
            failure(cx, id, r, &err);
            return None;
        }
    };
    let mut messages = Vec::new();
    if let Some(system) = cx.wf.setting(id, "system").and_then(Value::as_str) {
        messages.push(("system".to_string(), system.to_string()));
    }
    messages.push(("user".to_string(), user));
    let key = cache_key(cx, id, messages, sample);
    let model = &cx.models[node.model.unwrap_or(0)];
    let stats = cx.stats.step(id);
    stats.inflight.fetch_add(1, Ordering::Relaxed);
    let result = model.call(&key, &cx.store, cx.refresh[id]).await;
    stats.inflight.fetch_sub(1, Ordering::Relaxed);
    match result {
        Ok(reply) => {
            if reply.cached {
                stats.cache_hits.fetch_add(1, Ordering::Relaxed);
            } else {
                stats.calls.fetch_add(1, Ordering::Relaxed);
                stats.prompt_tokens.fetch_add(reply.prompt_tokens, Ordering::Relaxed);
                stats.completion_tokens.fetch_add(reply.completion_tokens, Ordering::Relaxed);
            }
            let into = crate::steps::into_field(node);
            let suffix = if samples > 1 { format!("{}:{sample}", node.name) } else { node.name.clone() };
            let add = if node.kind.name() == "judge" {
                let verdict = reply.text.trim_start().trim_start_matches(['*', '"', '\'']).to_lowercase().starts_with("yes");
                vec![(format!("{into}_reply"), Value::String(reply.text)), (into, Value::Bool(verdict))]
            } else {
                vec![(into, Value::String(reply.text))]
            };
            stats.emitted.fetch_add(1, Ordering::Relaxed);
            Some(child(r, &suffix, add))
        }
        Err(e) => {
            failure(cx, id, r, &e);
            None
        }
    }
}
