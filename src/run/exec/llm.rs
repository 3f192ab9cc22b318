//! One LLM or judge call for one record: render, ask (cache first), parse.

use crate::record::{child_of, Rec};
use crate::run::client::Reply;
use crate::run::exec::context::{cache_key, failure, Ctx};
use crate::run::exec::failure::{CallError, FailReason};
use crate::workflow::NodeId;
use std::sync::atomic::Ordering;
use std::sync::Arc;

/// All `samples` of one record: one output (or a recorded failure) per sample.
pub async fn call(cx: &Ctx, id: NodeId, parent: Arc<Rec>, samples: u32) -> Vec<Option<Rec>> {
    let node = &cx.wf.nodes[id];
    let r = &*parent;
    let keys = match keys(cx, id, r, samples) {
        Ok(k) if !k.is_empty() => k,
        Ok(_) => return (0..samples).map(|_| None).collect(),
        Err(e) => {
            let err = CallError::failed(FailReason::Template, e.to_string());
            failure(cx, id, r, &err);
            return (0..samples).map(|_| None).collect();
        }
    };
    let model = &cx.models[node.model.unwrap_or(0)];
    let stats = cx.stats.step(id);
    stats
        .inflight
        .fetch_add(u64::from(samples), Ordering::Relaxed);
    let results = model
        .call_samples(&keys, &cx.store, cx.refresh[id], cx.priority(id, r.lineage))
        .await;
    let results = match &node.reply {
        Some(shape) => super::reply::read_all(cx, id, r, &keys, results, shape).await,
        None => results
            .into_iter()
            .map(|res| res.map(|reply| (reply, None)))
            .collect(),
    };
    stats
        .inflight
        .fetch_sub(u64::from(samples), Ordering::Relaxed);
    // The last sample's record takes the parent's fields when nothing else holds them.
    let mut parent = Some(parent);
    let last = results.len().saturating_sub(1);
    let mut out = Vec::with_capacity(results.len());
    for (sample, result) in results.into_iter().enumerate() {
        let p = if sample == last {
            parent.take()
        } else {
            parent.clone()
        };
        if let Some(p) = p {
            out.push(outcome(cx, id, p, sample as u32, samples, result));
        }
    }
    out
}

/// The calls one record makes: its prompt rendered, one cache key per sample
/// (none for a step without a prompt).
pub fn keys(
    cx: &Ctx,
    id: NodeId,
    r: &Rec,
    samples: u32,
) -> Result<Vec<crate::run::store::CacheKey>, minijinja::Error> {
    let Some(prompt) = cx.wf.nodes[id]
        .kind
        .call_prompt()
        .filter(|p| cx.wf.nodes[id].prompts.contains_key(*p))
    else {
        return Ok(vec![]);
    };
    let mut user = cx.render(id, prompt, &r.fields)?;
    if let crate::call_settings::ReplyRequest::Prompt(shape) = &cx.wf.nodes[id].call.reply {
        user.push_str(shape);
    }
    let mut messages = Vec::new();
    if let Some(system) = &cx.wf.nodes[id].call.system {
        messages.push(("system".to_string(), system.clone()));
    }
    messages.push(("user".to_string(), user));
    // The last sample takes the messages; the others a copy.
    let mut keys = Vec::with_capacity(samples as usize);
    for i in 0..samples {
        let m = if i + 1 == samples {
            std::mem::take(&mut messages)
        } else {
            messages.clone()
        };
        keys.push(cache_key(cx, id, r, m, i));
    }
    Ok(keys)
}

fn outcome(
    cx: &Ctx,
    id: NodeId,
    parent: Arc<Rec>,
    sample: u32,
    samples: u32,
    result: Result<(Reply, Option<serde_json::Value>), CallError>,
) -> Option<Rec> {
    let node = &cx.wf.nodes[id];
    let r = &*parent;
    let stats = cx.stats.step(id);
    match result {
        // A reply cut off at max_tokens is a failure for kinds that say so, unless the model says keep.
        Ok((reply, _))
            if reply.truncated && node.kind.truncation_fails() && !node.call.keep_truncated =>
        {
            stats.count_reply(&reply);
            let raw = reply.text;
            failure(
                cx,
                id,
                r,
                &CallError::failed(
                    FailReason::Truncated,
                    format!("cut off at max_tokens: {raw}"),
                ),
            );
            None
        }
        Ok((reply, parsed)) => {
            stats.count_reply(&reply);
            let suffix = if samples > 1 {
                format!("{}:{sample}", node.name)
            } else {
                node.name.clone()
            };
            let add = match parsed {
                Some(value) => node.kind.shaped_reply(node, reply.text, value),
                None => node.kind.reply(node, reply.text),
            };
            stats.emitted.fetch_add(1, Ordering::Relaxed);
            Some(child_of(parent, &suffix, add))
        }
        Err(e) => {
            failure(cx, id, r, &e);
            None
        }
    }
}
