//! Calls and tokens over time, for the run report's chart: a point a second,
//! thinned to at most `MAX_POINTS` by doubling the spacing as the run goes on.

use crate::run::exec::context::Ctx;
use crate::run::exec::stats::Stats;
use std::sync::Arc;
use std::time::{Duration, Instant};

const MAX_POINTS: usize = 600;

pub use crate::run::exec::stats::Point;

pub fn start(cx: Arc<Ctx>) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let started = Instant::now();
        cx.stats
            .timeline
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push((0.0, 0, 0));
        let mut every = Duration::from_secs(1);
        loop {
            tokio::time::sleep(every).await;
            let point = now(&cx, started);
            let mut t = cx.stats.timeline.lock().unwrap_or_else(|p| p.into_inner());
            t.push(point);
            if t.len() > MAX_POINTS {
                let kept: Vec<Point> = t.iter().step_by(2).copied().collect();
                *t = kept;
                every *= 2;
            }
        }
    })
}

/// The last point, taken when the run ends.
pub fn finish(cx: &Ctx, started: Instant) {
    let point = now(cx, started);
    cx.stats
        .timeline
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .push(point);
}

fn now(cx: &Ctx, started: Instant) -> Point {
    let (mut calls, mut tokens) = (0, 0);
    // Model calls only (a function step's calls have no tokens to plot beside them).
    for (id, s) in cx.stats.steps.iter().enumerate() {
        if !cx.wf.nodes.get(id).is_some_and(|n| n.is_llm()) {
            continue;
        }
        calls += Stats::get(&s.calls);
        tokens += Stats::get(&s.prompt_tokens) + Stats::get(&s.completion_tokens);
    }
    (started.elapsed().as_secs_f64(), calls, tokens)
}
