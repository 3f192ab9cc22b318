//! The streaming executor: one tokio task per step, bounded channels between
//! them. A record moves on as soon as its step finishes it; per-source-record
//! steps (cap, vote, missing) fire when `Done(lineage)` says that record's
//! upstream work is complete. No stage waits for the whole dataset.

pub use super::context::{failure, Ctx};
use super::failure::{CallError, FailReason};
use super::record::{child, Event, Msg, Rec};
use crate::answer::{self, AnswerKind};
use crate::syntax::ast::DeclKind;
use crate::workflow::{NodeId, Workflow};
use rand::seq::SliceRandom;
use rand::SeedableRng;
use serde_json::Value;
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use tokio::sync::mpsc;

pub const CHANNEL: usize = 1024;

pub type Outputs = Vec<(mpsc::Sender<Msg>, usize)>;

pub async fn send(outs: &Outputs, ev: Event) {
    for (tx, port) in outs {
        let _ = tx.send(Msg { port: *port, event: ev.clone() }).await;
    }
}

/// Per-lineage bookkeeping shared by every step kind.
#[derive(Default)]
struct Lineage {
    done_ports: usize,
    inflight: usize,
    buffer: Vec<Arc<Rec>>,
    source: Option<Arc<Rec>>,
    seen_from: bool,
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
    /// `cross` with a step: the other side's records.
    other: Vec<Arc<Rec>>,
    eofs: usize,
    sink: Option<super::sink::Sink>,
}

/// Runs one non-source step until all its inputs have ended.
pub async fn run_step(cx: Arc<Ctx>, id: NodeId, mut inbox: mpsc::Receiver<Msg>, outs: Outputs, lineage_ports: usize, ports: usize) {
    let node = &cx.wf.nodes[id];
    let (done_tx, mut done_rx) = mpsc::unbounded_channel::<(u64, Option<Rec>)>();
    // cross with a step: port-0 events wait until the other side has ended.
    let cross_stream = node.kind.name() == "cross" && node.inputs.get(1).is_some_and(|p| cx.wf.nodes[*p].decl != DeclKind::Pool);
    let mut other_done = !cross_stream;
    let mut held: Vec<Msg> = Vec::new();
    let mut closed = false;
    let max_inflight = node.model.and_then(|m| cx.models.get(m)).map_or(1024, |m| m.limit.size.max(16) * 2);
    let sink = if node.decl == DeclKind::Sink { Some(super::sink::Sink::open(&cx, id).await) } else { None };
    // `--barrier` (for comparison only): hold everything until every input has ended.
    let mut barrier_waiting = cx.barrier && !cross_stream;
    let mut barrier_held: Vec<Msg> = Vec::new();
    let mut st = StepRun {
        cx: cx.clone(),
        id,
        lin: HashMap::new(),
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
            for m in std::mem::take(&mut barrier_held) {
                st.handle(m).await;
            }
        }
        if st.eofs >= ports && st.inflight_total == 0 {
            break;
        }
        let msg = tokio::select! {
            Some((l, rec)) = done_rx.recv() => {
                st.inflight_total -= 1;
                if let Some(r) = rec { send(&st.outs, Event::Rec(Arc::new(r))).await; }
                if let Some(s) = st.lin.get_mut(&l) { s.inflight -= 1; }
                finish_if_done(&cx, id, l, &mut st.lin, lineage_ports, &st.outs).await;
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
        if cross_stream && msg.port == 1 {
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
        let kind = node.kind.name();
        match msg.event {
            Event::Eof => self.eofs += 1,
            Event::Done(l) => {
                self.lin.entry(l).or_default().done_ports += 1;
                finish_if_done(cx, id, l, &mut self.lin, self.lineage_ports, &self.outs).await;
            }
            Event::Rec(r) => {
                cx.stats.step(id).received.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                let st = self.lin.entry(r.lineage).or_default();
                match kind {
                    _ if node.decl == DeclKind::Sink => {
                        if let Some(s) = self.sink.as_mut() {
                            s.write(cx, &r).await;
                        }
                    }
                    // `samples: 0` (a singles-only variant) asks nothing and emits nothing.
                    "llm" if node.int_arg("samples") == Some(0) => {}
                    "llm" | "judge" => {
                        let samples = if kind == "llm" { node.int_arg("samples").unwrap_or(1).max(1) as u32 } else { 1 };
                        st.inflight += samples as usize;
                        self.inflight_total += samples as usize;
                        let (cx, r, tx) = (cx.clone(), r.clone(), self.done_tx.clone());
                        tokio::spawn(async move {
                            for out in super::llm::call(&cx, id, &r, samples).await {
                                // The step's loop holds the receiver until every call is back.
                                let _ = tx.send((r.lineage, out));
                            }
                        });
                    }
                    "missing" if msg.port == 1 => st.seen_from = true,
                    "missing" => st.source = Some(r),
                    "cap" | "vote" => st.buffer.push(r),
                    _ => {
                        for out in transform(cx, id, &r, &self.other) {
                            send(&self.outs, Event::Rec(Arc::new(out))).await;
                        }
                    }
                }
            }
        }
    }
}

/// Steps that map a record to zero or more records at once.
fn transform(cx: &Ctx, id: NodeId, r: &Arc<Rec>, other: &[Arc<Rec>]) -> Vec<Rec> {
    let node = &cx.wf.nodes[id];
    match node.kind.name() {
        "keep" => match &node.filter {
            Some(f) => match super::funnel::first_failing(f, &Value::Object(r.fields.clone())) {
                None => {
                    super::samples::kept(cx, id, r);
                    vec![(**r).clone()]
                }
                Some(condition) => {
                    cx.stats.removed(id, condition);
                    super::samples::removed(cx, id, r, condition);
                    vec![]
                }
            },
            None => vec![],
        },
        "render" => {
            let into = crate::steps::into_field(node);
            match cx.render(id, "template", r.fields.clone()) {
                Ok(text) => vec![child(r, &node.name, [(into, Value::String(text))])],
                Err(e) => {
                    let err = CallError::failed(FailReason::Template, e.to_string());
                    failure(cx, id, r, &err);
                    vec![]
                }
            }
        }
        "extract" => {
            let from = node.str_arg("from").unwrap_or("path");
            let kind = node.str_arg("answer").and_then(AnswerKind::parse).unwrap_or(AnswerKind::Number);
            let text = r.fields.get(from).map(crate::expr::text).unwrap_or_default();
            // `boxed: true` is the authors' strict mode: the last box's content or nothing.
            let found = if node.args.get("boxed").and_then(Value::as_bool) == Some(true) {
                answer::boxed_answer(&text)
            } else {
                answer::extract(&text, kind)
            };
            let v = found.map_or(Value::Null, Value::String);
            let mut out = (**r).clone();
            out.fields.insert(node.str_arg("into").unwrap_or("predicted").into(), v);
            vec![out]
        }
        "cross" => {
            let f = node.str_arg("as").unwrap_or("guideline").to_string();
            match node.inputs.get(1).map(|p| &cx.wf.nodes[*p]) {
                Some(pool) if pool.decl == DeclKind::Pool => pool
                    .pool_items
                    .iter()
                    .take(node.int_arg("take").map_or(usize::MAX, |t| t.max(0) as usize))
                    .map(|item| {
                        let gid = item.get("id").and_then(Value::as_str).unwrap_or("").to_string();
                        let text = format!(
                            "{}: {}",
                            item.get("title").and_then(Value::as_str).unwrap_or(""),
                            item.get("text").and_then(Value::as_str).unwrap_or("")
                        );
                        child(
                            r,
                            &format!("{}:{gid}", node.name),
                            [(f.clone(), Value::String(text)), (format!("{f}_id"), Value::String(gid))],
                        )
                    })
                    .collect(),
                _ => other
                    .iter()
                    .map(|o| child(r, &format!("{}:{}", node.name, o.key), [(f.clone(), Value::Object(o.fields.clone()))]))
                    .collect(),
            }
        }
        _ => vec![(**r).clone()],
    }
}

async fn finish_if_done(cx: &Ctx, id: NodeId, l: u64, lin: &mut HashMap<u64, Lineage>, lineage_ports: usize, outs: &Outputs) {
    let ready = lin.get(&l).is_some_and(|s| s.done_ports >= lineage_ports && s.inflight == 0);
    if !ready {
        return;
    }
    let Some(st) = lin.remove(&l) else { return };
    let node = &cx.wf.nodes[id];
    match node.kind.name() {
        "cap" => {
            let mut recs = st.buffer;
            recs.sort_by(|a, b| a.key.cmp(&b.key));
            let seed = node.int_arg("seed").unwrap_or(0) as u64 ^ l.wrapping_mul(0x9e37_79b9_7f4a_7c15);
            let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
            recs.shuffle(&mut rng);
            recs.truncate(node.int_arg("n").unwrap_or(1).max(0) as usize);
            recs.sort_by(|a, b| a.key.cmp(&b.key));
            for r in recs {
                send(outs, Event::Rec(r)).await;
            }
        }
        "vote" => {
            let field = node.str_arg("field").unwrap_or("predicted");
            let mut counts: BTreeMap<String, usize> = BTreeMap::new();
            for r in &st.buffer {
                if let Some(v) = r.fields.get(field).filter(|v| !v.is_null()) {
                    *counts.entry(crate::expr::text(v)).or_default() += 1;
                }
            }
            let best = counts.iter().max_by(|a, b| a.1.cmp(b.1).then(b.0.cmp(a.0))).map(|(k, _)| k.clone());
            let into = node.str_arg("into").unwrap_or("majority").to_string();
            for r in st.buffer {
                let mut out = (*r).clone();
                out.fields.insert(into.clone(), best.clone().map_or(Value::Null, Value::String));
                send(outs, Event::Rec(Arc::new(out))).await;
            }
        }
        "missing" => {
            if let (Some(src), false) = (st.source, st.seen_from) {
                send(outs, Event::Rec(src)).await;
            }
        }
        _ => {}
    }
    send(outs, Event::Done(l)).await;
}

/// Which steps `--refresh STEP` re-asks: the step and everything downstream.
pub fn refresh_set(wf: &Workflow, order: &[NodeId], steps: &[String]) -> Vec<bool> {
    let mut out = vec![false; wf.nodes.len()];
    for &id in order {
        out[id] = steps.contains(&wf.nodes[id].name) || wf.nodes[id].inputs.iter().any(|i| out[*i]);
    }
    out
}
