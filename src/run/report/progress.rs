//! Progress on stderr while a run goes: an indicatif bar per LLM step on a
//! terminal; elsewhere (CI logs, `| tee`) one short line every ten seconds:
//!
//! `[1m10s] calls 3,412/≈9,000 · hits 1,102 · 41 calls/s · 2 failed · ETA ≈2m20s`
//!
//! "calls" counts LLM requests resolved (answered, from the cache or failed) of
//! the total the plan expects; the total is refined as filters pass records.

use crate::run::exec::context::Ctx;
use crate::run::exec::stats::Stats;
use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::IsTerminal;
use std::sync::Arc;
use std::time::{Duration, Instant};

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ProgressMode {
    /// Bars on a terminal, lines otherwise.
    Auto,
    Bars,
    Lines,
    None,
}

/// One LLM step: its node, name, samples per record, and calls per source record
/// when the plan knows them for sure (`None` for steps behind a filter).
struct Step {
    id: usize,
    name: String,
    samples: u64,
    per_input: Option<f64>,
}

/// `estimate` is the plan's estimate for one source record (`plan::estimate::estimate(wf, 1.0)`).
pub fn start(
    cx: Arc<Ctx>,
    mode: ProgressMode,
    every: Duration,
    inputs: Option<u64>,
    estimate: Option<crate::plan::estimate::PlanEstimate>,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let steps: Vec<Step> = cx
            .wf
            .nodes
            .iter()
            .enumerate()
            .filter(|(_, n)| n.is_llm())
            .map(|(id, n)| Step {
                id,
                name: n.name.clone(),
                samples: u64::from(n.kind.samples(n)),
                per_input: estimate
                    .as_ref()
                    .and_then(|e| e.steps.iter().find(|s| s.step == n.name))
                    .filter(|s| !s.upper_bound)
                    .map(|s| s.calls_per_input),
            })
            .collect();
        let tty = std::io::stderr().is_terminal();
        match mode {
            ProgressMode::None => {}
            ProgressMode::Bars => bars(&cx, &steps).await,
            ProgressMode::Auto if tty => bars(&cx, &steps).await,
            _ => lines(&cx, &steps, every, inputs).await,
        }
    })
}

async fn bars(cx: &Ctx, steps: &[Step]) {
    let multi = MultiProgress::with_draw_target(ProgressDrawTarget::stderr_with_hz(4));
    let width = steps.iter().map(|s| s.name.len()).max().unwrap_or(8);
    let style = ProgressStyle::with_template(&format!(
        "{{prefix:<{width}}} [{{bar:24}}] {{pos:>6}}/{{len:<6}} {{msg}} eta {{eta}}"
    ))
    .unwrap_or_else(|_| ProgressStyle::default_bar())
    .progress_chars("=> ");
    let shown: Vec<(&Step, ProgressBar)> = steps
        .iter()
        .map(|s| {
            (
                s,
                multi.add(
                    ProgressBar::new(0)
                        .with_style(style.clone())
                        .with_prefix(s.name.clone()),
                ),
            )
        })
        .collect();
    let mut tick = tokio::time::interval(Duration::from_millis(250));
    loop {
        tick.tick().await;
        for (step, bar) in &shown {
            let s = cx.stats.step(step.id);
            let fails: u64 = crate::run::exec::stats::read(&s.failures).values().sum();
            let (calls, hits) = (Stats::get(&s.calls), Stats::get(&s.cache_hits));
            bar.set_length(Stats::get(&s.received) * step.samples);
            bar.set_position(calls + hits + fails);
            bar.set_message(format!(
                "{hits} hit · {} in flight · {fails} failed · {} tok",
                Stats::get(&s.inflight),
                Stats::get(&s.prompt_tokens) + Stats::get(&s.completion_tokens)
            ));
        }
    }
}

async fn lines(cx: &Ctx, steps: &[Step], every: Duration, inputs: Option<u64>) {
    let started = Instant::now();
    let mut tick = tokio::time::interval(every);
    tick.tick().await;
    let mut last = (Instant::now(), 0u64);
    loop {
        tick.tick().await;
        let sources = Stats::get(&cx.stats.source_records);
        let n = inputs.map_or(sources, |i| i.max(sources)) as f64;
        let (mut done, mut hits, mut calls, mut failed, mut total) = (0, 0, 0, 0, 0.0);
        for step in steps {
            let s = cx.stats.step(step.id);
            let f: u64 = crate::run::exec::stats::read(&s.failures).values().sum();
            let known = (Stats::get(&s.received) * step.samples) as f64;
            // The plan's count for steps every record reaches; what has arrived for the rest.
            total += step.per_input.map_or(known, |p| (p * n).max(known));
            hits += Stats::get(&s.cache_hits);
            calls += Stats::get(&s.calls);
            failed += f;
            done += Stats::get(&s.calls) + Stats::get(&s.cache_hits) + f;
        }
        let now = Instant::now();
        let rate = (calls - last.1) as f64 / now.duration_since(last.0).as_secs_f64().max(1e-9);
        last = (now, calls);
        // What is left will mostly be real calls (cache hits come first and at once),
        // so the pace is that of answered and failed requests, not of hits.
        let overall = (calls + failed) as f64 / started.elapsed().as_secs_f64().max(1e-9);
        let left = (total - done as f64).max(0.0);
        let eta = if overall > 0.0 {
            format!("ETA ≈{}", clock(Duration::from_secs_f64(left / overall)))
        } else {
            "ETA ?".into()
        };
        tracing::info!(
            target: "regen::progress",
            "[{}] calls {}/≈{} · hits {} · {} calls/s · {failed} failed · {eta}",
            clock(started.elapsed()),
            thousands(done),
            thousands(total.round() as u64),
            thousands(hits),
            if rate < 10.0 { format!("{rate:.1}") } else { format!("{}", rate.round() as u64) }
        );
    }
}

/// `1h02m`, `1m10s`, `7s`.
pub fn clock(d: Duration) -> String {
    let s = d.as_secs();
    match s {
        0..=59 => format!("{s}s"),
        60..=3599 => format!("{}m{:02}s", s / 60, s % 60),
        _ => format!("{}h{:02}m", s / 3600, (s % 3600) / 60),
    }
}

/// `3412` → `3,412`.
pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn clock_and_thousands() {
        assert_eq!(super::clock(std::time::Duration::from_secs(70)), "1m10s");
        assert_eq!(super::clock(std::time::Duration::from_secs(7)), "7s");
        assert_eq!(super::thousands(3412), "3,412");
        assert_eq!(super::thousands(1_234_567), "1,234,567");
        assert_eq!(super::thousands(12), "12");
    }
}
