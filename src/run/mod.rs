//! Stage 4: run a compiled workflow against real endpoints, streaming.

pub(crate) mod client;
pub(crate) mod exec;
mod models;
mod options;
pub(crate) mod report;
mod run_error;
pub(crate) mod store;
pub(crate) mod worker;

use crate::record::{Event, Msg};
use crate::syntax::ast::DeclKind;
use crate::workflow::{ArgType, Workflow};
use exec::{context, failure, halt, sink_target, source, stats};
use exec::{run_step, Ctx, Outputs, CHANNEL};
pub use options::{RunOptions, RunReport, DEFAULT_GRACE_S};
use report::{progress, samples, summary, timeline};
pub use run_error::RunError;
use serde_json::{Map, Value};
use std::sync::Arc;
use std::time::Instant;
pub use store::error::StoreError;
use tokio::sync::mpsc;

pub async fn run(wf: Workflow, opts: &RunOptions) -> Result<RunReport, RunError> {
    let started = Instant::now();
    let plan = crate::plan::compile(&wf).ok_or(RunError::Cycle)?;
    if let Some(dir) = opts.store.parent() {
        std::fs::create_dir_all(dir).map_err(|source| RunError::CreateFolder {
            path: dir.to_path_buf(),
            source,
        })?;
    }
    // The sinks' preflight names a run folder that is a file in words.
    sink_target::preflight_run_dir(&opts.run_dir).map_err(RunError::Sink)?;
    std::fs::create_dir_all(&opts.run_dir).map_err(|source| RunError::CreateFolder {
        path: opts.run_dir.clone(),
        source,
    })?;
    let store = Arc::new(
        store::Store::open(&opts.store).map_err(|e| RunError::OpenStore {
            path: opts.store.clone(),
            reason: e.to_string(),
        })?,
    );
    store
        .relay_answers()
        .map_err(|e| RunError::Store(e.to_string()))?;
    let unknown: Vec<String> = opts
        .refresh
        .iter()
        .filter(|s| wf.node(s).is_none())
        .cloned()
        .collect();
    if !unknown.is_empty() {
        return Err(RunError::UnknownRefresh(unknown));
    }
    if let Some((step, _)) = &opts.export {
        if !wf.node(step).is_some_and(|id| wf.nodes[id].is_llm()) {
            let model_steps = wf
                .nodes
                .iter()
                .filter(|n| n.is_llm())
                .map(|n| n.name.clone())
                .collect();
            return Err(RunError::NotAModelStep {
                step: step.clone(),
                model_steps,
            });
        }
    }
    let halt = Arc::new(halt::Halt::new(opts.budget, opts.grace));
    let models = models::clients(&wf, opts, &halt)?;
    if opts.export.is_some() {
        for m in &models {
            m.offline.store(true, std::sync::atomic::Ordering::Relaxed);
        }
    }
    // Templates compiled once per run, not per call; before the run is
    // registered, so an error here leaves no run marked running.
    let mut templates = crate::check::templates::environment();
    for n in &wf.nodes {
        for (arg, p) in &n.prompts {
            templates
                .add_template_owned(context::template_name(&n.name, arg), p.text.clone())
                .map_err(|source| RunError::Template {
                    step: n.name.clone(),
                    source,
                })?;
        }
    }
    // A sink that cannot write stops the run before its first call.
    sink_target::preflight(&wf, &opts.run_dir).map_err(RunError::Sink)?;
    // Function steps' pools, set up before the run is registered (their processes start on the first uncached call).
    let mut workers = Vec::with_capacity(wf.nodes.len());
    for n in &wf.nodes {
        workers.push(match n.kind.shape() {
            crate::workflow::Shape::FunctionCall => {
                Some(exec::function::setup(&wf, n, halt.clone())?)
            }
            _ => None,
        });
    }
    let run_id = store
        .start_run(&wf.name, &opts.file.display().to_string())
        .map_err(|e| RunError::Store(format!("run store: {e}")))?;
    let mut pools = Map::new();
    for n in wf.nodes.iter().filter(|n| n.decl == DeclKind::Pool) {
        pools.insert(n.name.clone(), Value::Array(n.pool_items.clone()));
    }
    let stats = Arc::new(stats::Stats::new(wf.nodes.len()));
    let wf = Arc::new(wf);
    let cx = Arc::new(Ctx {
        wf: wf.clone(),
        store: store.clone(),
        models: models.clone(),
        stats: stats.clone(),
        run_id,
        refresh: exec::refresh_set(&wf, &plan.order, &opts.refresh),
        templates: Arc::new(templates),
        pools: Arc::new(pools),
        run_dir: opts.run_dir.clone(),
        // Batch mode is stage by stage: a step's batch holds all of its calls.
        barrier: opts.barrier
            || opts.batch
            || opts.export.is_some()
            || wf.models.iter().any(|m| m.settings.batch == Some(true)),
        batch: opts.batch,
        export: opts
            .export
            .as_ref()
            .and_then(|(step, file)| wf.node(step).map(|id| (id, file.clone()))),
        in_scope: match opts.export.as_ref().and_then(|(step, _)| wf.node(step)) {
            Some(id) => context::upstream_of(&wf, id),
            None => vec![true; wf.nodes.len()],
        },
        workers,
        halt: halt.clone(),
        depth: {
            let mut d = vec![0u32; wf.nodes.len()];
            for (i, &id) in plan.order.iter().enumerate() {
                d[id] = i as u32;
            }
            d
        },
    });

    // Wire the graph: each running step gets one inbox; each upstream knows (inbox, port).
    let n = wf.nodes.len();
    let mut outs: Vec<Outputs> = vec![Vec::new(); n];
    let mut inboxes: Vec<Option<mpsc::Receiver<Msg>>> = (0..n).map(|_| None).collect();
    let mut port_counts = vec![(0usize, 0usize); n];
    for &id in &plan.order {
        let node = &wf.nodes[id];
        if matches!(node.decl, DeclKind::Source | DeclKind::Pool) {
            continue;
        }
        let (tx, rx) = mpsc::channel(CHANNEL);
        inboxes[id] = Some(rx);
        let mut ports = 0;
        let mut lineage_ports = 0;
        for (i, &inp) in node.inputs.iter().enumerate() {
            if wf.nodes[inp].decl == DeclKind::Pool {
                continue;
            }
            outs[inp].push((tx.clone(), ports));
            ports += 1;
            if node.kind.side_input() != Some(i) {
                lineage_ports += 1;
            }
        }
        // Arguments that name a step (`missing`'s `from:`) are inputs too, after the positional ones.
        for a in node.kind.args().iter().filter(|a| a.ty == ArgType::Node) {
            if let Some(&from) = node.refs.get(a.name) {
                outs[from].push((tx.clone(), ports));
                ports += 1;
                lineage_ports += 1;
            }
        }
        port_counts[id] = (lineage_ports, ports);
    }
    let mut tasks = tokio::task::JoinSet::new();
    let mut task_steps = std::collections::HashMap::new();
    for &id in &plan.order {
        if let Some(rx) = inboxes[id].take() {
            let (lp, p) = port_counts[id];
            let handle = tasks.spawn(run_step(
                cx.clone(),
                id,
                rx,
                std::mem::take(&mut outs[id]),
                lp,
                p,
            ));
            task_steps.insert(handle.id(), wf.nodes[id].name.clone());
        }
    }
    let timeline = timeline::start(cx.clone());
    // The progress line's total: the dataset's rows (this shard's share), capped by --limit.
    let rows = crate::plan::estimate::dataset_rows(&wf).map(|n| {
        opts.shard
            .as_ref()
            .map_or(n as u64, |s| (n as u64).div_ceil(s.count))
    });
    let inputs = match (opts.limit, rows) {
        (Some(l), Some(r)) => Some(l.min(r)),
        (l, r) => l.or(r),
    };
    // The plan's calls per source record: the progress line's step totals, and
    // the key filter's size (the calls this run may add; unknown: the largest).
    let per_input = crate::plan::estimate::estimate(&wf, 1.0);
    if let (Some(n), Some(e)) = (inputs, &per_input) {
        store.expect_calls((e.total_calls * n as f64).ceil() as u64);
    }
    let progress = progress::start(
        cx.clone(),
        opts.progress,
        opts.progress_every,
        inputs,
        per_input,
    );
    let signals = halt::on_signals(halt.clone(), {
        let store = store.clone();
        move || {
            if let Err(e) = store.abandon_run(run_id, "interrupted") {
                tracing::error!("the run store could not mark run {run_id} interrupted: {e}");
            }
        }
    });
    let mut source_error = None;
    let mut source_tasks = Vec::new();
    for (id, node) in wf
        .nodes
        .iter()
        .enumerate()
        .filter(|(_, n)| n.decl == DeclKind::Source)
    {
        let s = node.settings::<crate::steps::SourceSettings>();
        let spec = source::SourceSpec {
            node: id,
            name: node.name.clone(),
            path: wf.locate(&s.location),
            fields: s.fields.clone(),
            skip_bad: s.skip_bad_rows,
            label: s.label.clone(),
            split: s.split.clone(),
            limit: opts.limit,
            shard: opts.shard,
            format: node.kind.data_format(),
        };
        let o = std::mem::take(&mut outs[id]);
        let st = stats.clone();
        let h = halt.clone();
        let source_name = node.name.clone();
        let spec_node = id;
        source_tasks.push(tokio::spawn(async move {
            let result = source::read(&spec, |rec| {
                let o = &o;
                let st = &st;
                let h = &h;
                async move {
                    if h.stopped() {
                        return false;
                    }
                    let l = rec.lineage;
                    st.source_records
                        .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    // A source's "records" are the rows it read (the run report's step table).
                    st.step(spec_node)
                        .received
                        .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    exec::send(o, Event::Rec(Arc::new(rec))).await;
                    exec::send(o, Event::Done(l)).await;
                    true
                }
            })
            .await;
            exec::send(&o, Event::Eof).await;
            if let Ok(count) = &result {
                st.skipped_rows
                    .fetch_add(count.skipped, std::sync::atomic::Ordering::Relaxed);
            }
            (source_name, result)
        }));
    }
    for t in source_tasks {
        match t.await {
            Ok((_, Err(e))) => source_error = Some(e.to_string()),
            Ok((name, Ok(count))) => {
                for s in &count.skipped_rows {
                    let raw = format!("{}: {}", s.reason, s.raw);
                    if let Err(e) = store.record_failure(
                        run_id,
                        &name,
                        &s.line,
                        &failure::FailReason::BadRow.to_string(),
                        &raw,
                    ) {
                        source_error = Some(format!(
                            "the run store could not record a skipped row of `{name}`: {e}"
                        ));
                    }
                }
            }
            Err(e) => source_error = Some(format!("a source stopped: {e}")),
        }
    }
    // A step that stopped (a panic outside any one record) fails the run: what
    // it held is lost, so this run is an error, never "ok".
    while let Some(joined) = tasks.join_next_with_id().await {
        if let Err(e) = joined {
            let step = task_steps.get(&e.id()).map_or("?", String::as_str);
            let why = if e.is_panic() {
                failure::panic_message(&*e.into_panic())
            } else {
                e.to_string()
            };
            source_error.get_or_insert(format!("step `{step}` stopped: {why}"));
        }
    }
    progress.abort();
    signals.abort();
    for m in &models {
        m.stop_local().await;
    }
    for w in cx.workers.iter().flatten() {
        w.pool.shutdown().await;
    }
    let http_calls: u64 = models
        .iter()
        .map(|m| m.http_calls.load(std::sync::atomic::Ordering::Relaxed))
        .sum();
    timeline.abort();
    timeline::finish(&cx, started);
    samples::finish(&cx);
    // Every queued sample and failure row is in the store before the run is summed up.
    match store.flush().await {
        Ok(lost) => {
            for step in lost {
                stats.fail(
                    wf.node(&step).unwrap_or(0),
                    &failure::FailReason::Store.to_string(),
                );
            }
        }
        Err(e) => source_error = Some(format!("the run store: {e}")),
    }
    let halted = halt.reason();
    // Output replaces the previous output only when the run finished: a failed
    // or stopped run leaves the last good file and says where its own lines are.
    let notes = sink_target::promote(&cx, source_error.is_none() && halted.is_none()).await;
    let failures = stats.total_failures();
    let status = if source_error.is_some() {
        "error"
    } else if halted.is_some() {
        "stopped"
    } else if failures > 0 {
        "failures"
    } else {
        "ok"
    };
    let outcome = (status, source_error.as_deref());
    let (mut text, summary) =
        summary::summary(&cx, started.elapsed(), http_calls, halted.as_ref(), outcome);
    for n in &notes {
        text.push_str(&format!("{n}\n"));
    }
    // A run left marked "running" would lie in `regen runs`: this must not fail quietly.
    let finished = store.finish_run(run_id, status, &summary.to_stored());
    if let Some(message) = source_error {
        return Err(RunError::Data { message, notes });
    }
    finished.map_err(|e| {
        RunError::Store(format!(
            "the run store could not record the end of run {run_id}: {e}"
        ))
    })?;
    Ok(RunReport {
        run_id,
        workflow: cx.wf.name.clone(),
        status: status.to_string(),
        text,
        summary,
        failures,
        http_calls,
        halted,
    })
}
