//! A shaped step's replies (`reply:`): each parsed leniently and checked
//! against the shape; one that does not fit is asked again (each re-ask a
//! cached call of its own, `attempt` in its key) up to the model's
//! `reply_retries`, then becomes a `reply-shape` failure holding the raw text.

use crate::record::Rec;
use crate::reply_shape::ReplyShape;
use crate::run::client::Reply;
use crate::run::exec::context::Ctx;
use crate::run::exec::failure::{CallError, FailReason};
use crate::run::store::CacheKey;
use crate::workflow::NodeId;
use serde_json::Value;
use std::sync::atomic::Ordering;

type Parsed = Result<(Reply, Option<Value>), CallError>;

/// Every sample's reply with its parsed value (None where the reply is cut
/// off and the step fails truncated replies: that failure is reported as such).
pub async fn read_all(
    cx: &Ctx,
    id: NodeId,
    r: &Rec,
    keys: &[CacheKey],
    results: Vec<Result<Reply, CallError>>,
    shape: &ReplyShape,
) -> Vec<Parsed> {
    let mut out = Vec::with_capacity(results.len());
    for (key, result) in keys.iter().zip(results) {
        out.push(match result {
            Ok(reply) => read_one(cx, id, r, key, reply, shape).await,
            Err(e) => Err(e),
        });
    }
    out
}

async fn read_one(
    cx: &Ctx,
    id: NodeId,
    r: &Rec,
    key: &CacheKey,
    mut reply: Reply,
    shape: &ReplyShape,
) -> Parsed {
    let node = &cx.wf.nodes[id];
    let model = &cx.models[node.model.unwrap_or(0)];
    let stats = cx.stats.step(id);
    for attempt in 1..=node.call.reply_retries + 1 {
        if reply.truncated && node.kind.truncation_fails() && !node.call.keep_truncated {
            return Ok((reply, None));
        }
        let problem = match crate::reply_parse::parse(&reply.text, shape) {
            Ok(value) => return Ok((reply, Some(value))),
            Err(problem) => problem,
        };
        if attempt > node.call.reply_retries {
            let raw: String = reply.text.chars().take(4000).collect();
            let asked = node.call.reply_retries;
            stats.count_reply(&reply);
            return Err(CallError::failed(
                FailReason::ReplyShape,
                format!("{problem} (asked {} time(s)): {raw}", asked + 1),
            ));
        }
        // The reply that did not fit is a call made all the same.
        stats.count_reply(&reply);
        stats.reasked.fetch_add(1, Ordering::Relaxed);
        tracing::debug!(step = %node.name, record = %r.key, "re-asking a reply that does not fit its shape: {problem}");
        // The re-ask says what did not fit (and moves the seed): the same
        // request would get the same reply from a greedy or seeded server.
        let mut again = key.clone();
        again.attempt = attempt;
        if let Some((_, last)) = again.messages.last_mut() {
            last.push_str(&format!(
                "\n\n(Your previous reply did not fit: {problem}. Reply with JSON of this shape only: {}.)",
                shape.describe()
            ));
        }
        let refresh = cx.refresh[id];
        let priority = cx.priority(id, r.lineage);
        match model
            .call_samples(&[again], &cx.store, refresh, priority)
            .await
            .pop()
        {
            Some(Ok(next)) => reply = next,
            Some(Err(e)) => return Err(e),
            None => {
                return Err(CallError::failed(
                    FailReason::Client,
                    "the re-ask returned nothing",
                ))
            }
        }
    }
    Err(CallError::failed(
        FailReason::ReplyShape,
        "no reply fit the shape",
    ))
}
