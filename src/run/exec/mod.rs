//! The streaming executor: one tokio task per step, bounded channels between
//! them. A record moves on as soon as its step finishes it; per-source-record
//! steps (cap, vote, missing) fire when `Done(lineage)` says that record's
//! upstream work is complete. No stage waits for the whole dataset. What a
//! step does to records is its kind's ([`crate::workflow::StepKind`]); this
//! file only drives the kind's [`Shape`]. Beside it: `source` and `sink` (rows in
//! and out, `sink_target` for where files may go), `context` (what every step
//! shares), `llm` (one model-calling step's record), `failure` (why a record
//! failed), `halt` (stopping cleanly), `stats` (counters) and `shard`.

mod calls;
mod code_identity;
pub(crate) mod context;
mod env;
pub(crate) mod failure;
mod flatten;
pub(crate) mod function;
pub(crate) mod halt;
pub(crate) mod llm;
mod panics;
mod reply;
use panics::{injected_panic, record_panic};
pub(crate) mod shard;
pub(crate) mod sink;
pub(crate) mod sink_error;
pub(crate) mod sink_target;
pub(crate) mod source;
pub(crate) mod stats;

use crate::record::{Event, Msg, Rec};
pub use crate::run::exec::context::{failure, Ctx};
use crate::syntax::ast::DeclKind;
use crate::workflow::{NodeId, Shape, Workflow};
use std::collections::HashMap;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use tokio::sync::mpsc;

pub const CHANNEL: usize = 1024;

pub type Outputs = Vec<(mpsc::Sender<Msg>, usize)>;

pub async fn send(outs: &Outputs, ev: Event) {
    // The last output takes the event itself: a record nothing else holds can
    // then give its fields to its child instead of having them copied.
    let Some(((last_tx, last_port), rest)) = outs.split_last() else {
        return;
    };
    for (tx, port) in rest {
        let _ = tx
            .send(Msg {
                port: *port,
                event: ev.clone(),
            })
            .await;
    }
    let _ = last_tx
        .send(Msg {
            port: *last_port,
            event: ev,
        })
        .await;
}

/// Per-lineage bookkeeping shared by every step kind.
#[derive(Default)]
struct Lineage {
    done_ports: usize,
    inflight: usize,
    /// Per-source-record steps: the records held, and those only counted.
    buffer: Vec<Arc<Rec>>,
    counted: usize,
}

/// One running step's state between messages.
struct StepRun {
    cx: Arc<Ctx>,
    id: NodeId,
    lin: HashMap<u64, Lineage>,
    /// Inputs that carry lineage (`Done` events), and all inputs (`Eof` events).
    lineage_ports: usize,
    outs: Outputs,
    /// Finished model calls come back here: (lineage, the record made, if any).
    done_tx: mpsc::UnboundedSender<(u64, Option<Rec>)>,
    inflight_total: usize,
    /// The side input's records (`cross` with a step), read before the rest.
    other: Vec<Arc<Rec>>,
    eofs: usize,
    sink: Option<crate::run::exec::sink::Sink>,
}

/// Runs one non-source step until all its inputs have ended.
pub async fn run_step(
    cx: Arc<Ctx>,
    id: NodeId,
    mut inbox: mpsc::Receiver<Msg>,
    outs: Outputs,
    lineage_ports: usize,
    ports: usize,
) {
    let node = &cx.wf.nodes[id];
    let (done_tx, mut done_rx) = mpsc::unbounded_channel::<(u64, Option<Rec>)>();
    // A side input (cross with a step): the other ports wait until it has ended.
    let side_port = side_port(&cx.wf, id);
    let cross_stream = side_port.is_some();
    let mut other_done = !cross_stream;
    let mut held: Vec<Msg> = Vec::new();
    let mut closed = false;
    let max_inflight = match node.settings.get::<crate::steps::FunctionStep>() {
        Some(f) => f.in_flight(),
        None => node
            .model
            .and_then(|m| cx.models.get(m))
            .map_or(1024, |m| m.limit.size.max(16) * 2),
    };
    let sink = if node.decl == DeclKind::Sink {
        Some(crate::run::exec::sink::Sink::open(&cx, id).await)
    } else {
        None
    };
    // `--barrier` (for comparison only): hold everything until every input has ended.
    let mut barrier_waiting = cx.barrier && !cross_stream;
    let mut barrier_held: Vec<Msg> = Vec::new();
    let mut st = StepRun {
        cx: cx.clone(),
        id,
        // A model step keeps up to `max_inflight` source records open, one entry
        // each, and opens and closes one per record: room for twice that keeps
        // the table from rehashing over and over as entries come and go.
        lin: HashMap::with_capacity(if node.model.is_some() {
            2 * max_inflight
        } else {
            0
        }),
        lineage_ports,
        outs,
        done_tx,
        inflight_total: 0,
        other: Vec::new(),
        eofs: 0,
        sink,
    };

    loop {
        if barrier_waiting && st.eofs >= ports {
            barrier_waiting = false;
            if let Some(file) = cx
                .export
                .as_ref()
                .filter(|(step, _)| *step == id)
                .map(|(_, f)| f)
            {
                let records: Vec<Arc<Rec>> = barrier_held
                    .iter()
                    .filter_map(|m| {
                        if let Event::Rec(r) = &m.event {
                            Some(r.clone())
                        } else {
                            None
                        }
                    })
                    .collect();
                match crate::run::client::batch::export(&cx, id, &records, file).await {
                    // The CLI says what was written once the export stands (a refusal writes nothing).
                    Ok(n) => {
                        tracing::debug!(step = %node.name, "wrote {n} requests to {}", file.display())
                    }
                    Err(e) => {
                        let err = crate::run::exec::failure::CallError::failed(
                            crate::run::exec::failure::FailReason::Request,
                            e.to_string(),
                        );
                        if let Some(r) = records.first() {
                            failure(&cx, id, r, &err);
                        }
                    }
                }
                // The exported step answers nothing in this run: its records stop here.
                barrier_held.retain(|m| !matches!(m.event, Event::Rec(_)));
            } else if crate::run::client::batch::batched(&cx, id) {
                let records: Vec<Arc<Rec>> = barrier_held
                    .iter()
                    .filter_map(|m| {
                        if let Event::Rec(r) = &m.event {
                            Some(r.clone())
                        } else {
                            None
                        }
                    })
                    .collect();
                // What the Batch API could not answer is asked online as the records are handled.
                if let Err(e) = crate::run::client::batch::prefill(&cx, id, &records).await {
                    tracing::error!(step = %node.name, "batch mode: {e}; the step's calls go online");
                }
            }
            for m in std::mem::take(&mut barrier_held) {
                st.handle(m).await;
            }
        }
        if st.eofs >= ports && st.inflight_total == 0 {
            break;
        }
        // Biased: finished calls first (they free in-flight room), and no random
        // draw for the branch order on every message.
        let msg = tokio::select! {
            biased;
            Some((l, rec)) = done_rx.recv() => {
                st.inflight_total -= 1;
                if let Some(r) = rec { send(&st.outs, Event::Rec(Arc::new(r))).await; }
                if let Some(s) = st.lin.get_mut(&l) { s.inflight -= 1; }
                st.finish_if_done(l).await;
                continue;
            }
            // Bounded memory: take no new input while this step has enough in flight.
            // A closed inbox answers at once: stop polling it, or the loop spins while calls are in flight.
            m = inbox.recv(), if st.inflight_total < max_inflight && !closed => match m { Some(m) => m, None => { closed = true; st.eofs = ports; continue; } },
        };
        if barrier_waiting {
            match msg.event {
                Event::Eof => st.eofs += 1,
                _ => barrier_held.push(msg),
            }
            continue;
        }
        if Some(msg.port) == side_port {
            match msg.event {
                Event::Rec(r) => st.other.push(r),
                Event::Eof => {
                    other_done = true;
                    st.eofs += 1;
                    for m in std::mem::take(&mut held) {
                        st.handle(m).await;
                    }
                }
                Event::Done(_) => {}
            }
            continue;
        }
        if !other_done {
            held.push(msg);
            continue;
        }
        st.handle(msg).await;
    }
    if let Some(s) = st.sink.take() {
        s.close(&cx).await;
    }
    send(&st.outs, Event::Eof).await;
}

impl StepRun {
    async fn handle(&mut self, msg: Msg) {
        let (cx, id) = (&self.cx, self.id);
        let node = &cx.wf.nodes[id];
        match msg.event {
            Event::Eof => self.eofs += 1,
            Event::Done(l) => {
                self.lin.entry(l).or_default().done_ports += 1;
                self.finish_if_done(l).await;
            }
            Event::Rec(r) => {
                cx.stats
                    .step(id)
                    .received
                    .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                let st = self.lin.entry(r.lineage).or_default();
                match node.kind.shape() {
                    Shape::Sink => {
                        if let Some(s) = self.sink.as_mut() {
                            if let Err(p) = std::panic::catch_unwind(AssertUnwindSafe(|| {
                                injected_panic(cx, id, &r);
                                s.write(cx, &r)
                            })) {
                                record_panic(cx, id, &r.key, &*p);
                            }
                        }
                    }
                    Shape::ModelCall => {
                        let samples = node.kind.samples(node);
                        if samples == 0 || !cx.in_scope[id] {
                            return;
                        }
                        st.inflight += samples as usize;
                        self.start_model_call(r, samples);
                    }
                    Shape::FunctionCall => {
                        if !cx.in_scope[id] {
                            return;
                        }
                        st.inflight += 1;
                        self.start_function_call(r);
                    }
                    Shape::PerSourceRecord if node.kind.holds(msg.port) => st.buffer.push(r),
                    Shape::PerSourceRecord => st.counted += 1,
                    Shape::PerRecord | Shape::Source | Shape::Pool => {
                        let mapped = std::panic::catch_unwind(AssertUnwindSafe(|| {
                            injected_panic(cx, id, &r);
                            node.kind.map(id, node, &cx.wf, &r, &self.other, &**cx)
                        }));
                        match mapped {
                            Ok(outs) => {
                                for out in outs {
                                    send(&self.outs, Event::Rec(Arc::new(out))).await;
                                }
                            }
                            // The record goes no further; its lineage still finishes, so
                            // the question reaches `missing` and the hint pass.
                            Err(p) => record_panic(cx, id, &r.key, &*p),
                        }
                    }
                }
            }
        }
    }
}

impl StepRun {
    /// When source record `l` is finished here: release what the step kept for
    /// it, emit what a per-source-record step gathered, and pass `Done` on.
    async fn finish_if_done(&mut self, l: u64) {
        let ready = self
            .lin
            .get(&l)
            .is_some_and(|s| s.done_ports >= self.lineage_ports && s.inflight == 0);
        if !ready {
            return;
        }
        let Some(st) = self.lin.remove(&l) else {
            return;
        };
        let node = &self.cx.wf.nodes[self.id];
        if node.kind.shape() == Shape::PerSourceRecord {
            let first = st.buffer.first().cloned();
            let gather = || {
                if let Some(r) = &first {
                    injected_panic(&self.cx, self.id, r);
                }
                node.kind.gather(node, l, st.buffer, st.counted)
            };
            match std::panic::catch_unwind(AssertUnwindSafe(gather)) {
                Ok(out) => {
                    for r in out {
                        send(&self.outs, Event::Rec(r)).await;
                    }
                }
                Err(p) => {
                    let key = first.map_or_else(|| format!("lineage {l}"), |r| r.key.clone());
                    record_panic(&self.cx, self.id, &key, &*p);
                }
            }
        }
        if let Some(sink) = self.sink.as_mut() {
            sink.release(l);
        }
        send(&self.outs, Event::Done(l)).await;
    }
}

/// The port of a step's side input, when that input is a record stream (a
/// pool sends no records, so it has no port).
pub fn side_port(wf: &Workflow, id: NodeId) -> Option<usize> {
    let node = &wf.nodes[id];
    let side = node.kind.side_input()?;
    let is_stream = |i: &NodeId| wf.nodes[*i].decl != DeclKind::Pool;
    node.inputs.get(side).filter(|i| is_stream(i))?;
    Some(node.inputs[..side].iter().filter(|i| is_stream(i)).count())
}

/// Which steps `--refresh STEP` re-asks: the step and everything downstream.
pub fn refresh_set(wf: &Workflow, order: &[NodeId], steps: &[String]) -> Vec<bool> {
    let mut out = vec![false; wf.nodes.len()];
    for &id in order {
        out[id] = steps.contains(&wf.nodes[id].name) || wf.nodes[id].inputs.iter().any(|i| out[*i]);
    }
    out
}
