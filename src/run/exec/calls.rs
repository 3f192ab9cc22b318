//! Starting a step's calls: each record's model call (all its samples) or
//! function call runs as its own task and comes back on the step's `done`
//! channel, a panic included (as a recorded failure), so the step never waits
//! for a call that will not come.

use super::panics::{injected_panic, record_panic};
use super::StepRun;
use crate::record::Rec;
use futures::FutureExt;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;

impl StepRun {
    /// A model-calling step's record: `samples` completions.
    pub(super) fn start_model_call(&mut self, r: Arc<Rec>, samples: u32) {
        self.inflight_total += samples as usize;
        let (cx, id, lineage, tx) = (self.cx.clone(), self.id, r.lineage, self.done_tx.clone());
        tokio::spawn(async move {
            let call = async {
                injected_panic(&cx, id, &r);
                crate::run::exec::llm::call(&cx, id, r.clone(), samples).await
            };
            let outs = match AssertUnwindSafe(call).catch_unwind().await {
                Ok(outs) => outs,
                Err(p) => {
                    record_panic(&cx, id, &r.key, &*p);
                    (0..samples).map(|_| None).collect()
                }
            };
            for out in outs {
                // The step's loop holds the receiver until every call is back.
                let _ = tx.send((lineage, out));
            }
        });
    }

    /// A `python`/`command` step's record: one call of its code.
    pub(super) fn start_function_call(&mut self, r: Arc<Rec>) {
        self.inflight_total += 1;
        let (cx, id, lineage, tx) = (self.cx.clone(), self.id, r.lineage, self.done_tx.clone());
        tokio::spawn(async move {
            let call = async {
                injected_panic(&cx, id, &r);
                crate::run::exec::function::call(&cx, id, r.clone()).await
            };
            let out = match AssertUnwindSafe(call).catch_unwind().await {
                Ok(out) => out,
                Err(p) => {
                    record_panic(&cx, id, &r.key, &*p);
                    None
                }
            };
            // The step's loop holds the receiver until every call is back.
            let _ = tx.send((lineage, out));
        });
    }
}
