//! The end-of-run summary and the progress line.

use super::exec::Ctx;
use super::stats::Stats;
use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};
use serde_json::{json, Value};
use std::io::IsTerminal;
use std::sync::Arc;
use std::time::Duration;

pub fn summary(cx: &Ctx, wall: Duration, http_calls: u64) -> (String, Value) {
    let mut text = format!("run {} of `{}` finished in {:.1}s\n", cx.run_id, cx.wf.name, wall.as_secs_f64());
    text.push_str(&format!(
        "{:<18} {:>8} {:>8} {:>10} {:>12} {:>14}  failures\n",
        "step", "records", "calls", "cache hits", "prompt tok", "completion tok"
    ));
    let mut steps = Vec::new();
    for (id, n) in cx.wf.nodes.iter().enumerate() {
        let s = cx.stats.step(id);
        let fails = s.failures.lock().map(|f| f.clone()).unwrap_or_default();
        let failures: Vec<String> = fails.iter().map(|(k, v)| format!("{k}: {v}")).collect();
        let row = json!({
            "step": n.name, "kind": n.kind.name(), "received": Stats::get(&s.received), "calls": Stats::get(&s.calls),
            "cache_hits": Stats::get(&s.cache_hits), "prompt_tokens": Stats::get(&s.prompt_tokens),
            "completion_tokens": Stats::get(&s.completion_tokens), "failures": fails,
        });
        if n.is_llm() || !fails.is_empty() {
            text.push_str(&format!(
                "{:<18} {:>8} {:>8} {:>10} {:>12} {:>14}  {}\n",
                n.name,
                Stats::get(&s.received),
                Stats::get(&s.calls),
                Stats::get(&s.cache_hits),
                Stats::get(&s.prompt_tokens),
                Stats::get(&s.completion_tokens),
                if failures.is_empty() { "-".into() } else { failures.join(", ") }
            ));
        }
        steps.push(row);
    }
    for (m, model) in cx.models.iter().enumerate() {
        let mine = cx.wf.nodes.iter().enumerate().filter(|(_, n)| n.is_llm() && n.model.unwrap_or(0) == m);
        let (mut calls, mut hits, mut prompt, mut completion) = (0, 0, 0, 0);
        for (id, _) in mine {
            let s = cx.stats.step(id);
            calls += Stats::get(&s.calls);
            hits += Stats::get(&s.cache_hits);
            prompt += Stats::get(&s.prompt_tokens);
            completion += Stats::get(&s.completion_tokens);
        }
        text.push_str(&format!(
            "model {} ({}): {calls} calls, {hits} cache hits, {prompt} prompt + {completion} completion tokens\n",
            model.alias, model.model
        ));
    }
    let sinks = cx.stats.sink_records.lock().map(|s| s.clone()).unwrap_or_default();
    for (path, count) in &sinks {
        text.push_str(&format!("wrote {count} records to {path}\n"));
    }
    let skipped = Stats::get(&cx.stats.skipped_rows);
    if skipped > 0 {
        text.push_str(&format!("skipped {skipped} bad dataset rows (on_bad_row: skip; listed by `regen show {}`)\n", cx.run_id));
    }
    let failures = cx.stats.total_failures();
    text.push_str(&format!("{http_calls} HTTP requests; {failures} records failed (see `regen show {}`)\n", cx.run_id));
    let sink_sources = cx.stats.sink_sources.lock().map(|s| s.clone()).unwrap_or_default();
    let json = json!({ "run": cx.run_id, "workflow": cx.wf.name, "wall_s": wall.as_secs_f64(), "http_requests": http_calls,
        "failures": failures, "skipped_rows": skipped, "source_records": Stats::get(&cx.stats.source_records),
        "steps": steps, "sinks": sinks, "sink_sources": sink_sources });
    (text, json)
}

/// Progress on stderr: an indicatif bar per LLM step on a terminal (done of
/// known, cache hits, in flight, failures, tokens, ETA), a plain line every ten
/// seconds otherwise (logs, CI).
pub fn progress(cx: Arc<Ctx>) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let llm: Vec<(usize, String, u64)> = cx
            .wf
            .nodes
            .iter()
            .enumerate()
            .filter(|(_, n)| n.is_llm())
            .map(|(id, n)| (id, n.name.clone(), n.int_arg("samples").unwrap_or(1).max(1) as u64))
            .collect();
        if std::io::stderr().is_terminal() {
            bars(&cx, &llm).await
        } else {
            lines(&cx, &llm).await
        }
    })
}

async fn bars(cx: &Ctx, llm: &[(usize, String, u64)]) {
    let multi = MultiProgress::with_draw_target(ProgressDrawTarget::stderr_with_hz(4));
    let width = llm.iter().map(|(_, n, _)| n.len()).max().unwrap_or(8);
    let style = ProgressStyle::with_template(&format!("{{prefix:<{width}}} [{{bar:24}}] {{pos:>6}}/{{len:<6}} {{msg}} eta {{eta}}"))
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars("=> ");
    let shown: Vec<(usize, u64, ProgressBar)> = llm
        .iter()
        .map(|(id, name, samples)| {
            let b = multi.add(ProgressBar::new(0).with_style(style.clone()).with_prefix(name.clone()));
            (*id, *samples, b)
        })
        .collect();
    let mut tick = tokio::time::interval(Duration::from_millis(250));
    loop {
        tick.tick().await;
        for (id, samples, bar) in &shown {
            let s = cx.stats.step(*id);
            let fails: u64 = s.failures.lock().map(|f| f.values().sum()).unwrap_or(0);
            let (calls, hits) = (Stats::get(&s.calls), Stats::get(&s.cache_hits));
            bar.set_length(Stats::get(&s.received) * samples);
            bar.set_position(calls + hits + fails);
            bar.set_message(format!(
                "{hits} hit · {} in flight · {fails} failed · {} tok",
                Stats::get(&s.inflight),
                Stats::get(&s.prompt_tokens) + Stats::get(&s.completion_tokens)
            ));
        }
    }
}

async fn lines(cx: &Ctx, llm: &[(usize, String, u64)]) {
    let mut tick = tokio::time::interval(Duration::from_secs(10));
    tick.tick().await;
    loop {
        tick.tick().await;
        let parts: Vec<String> = llm
            .iter()
            .map(|(id, name, _)| {
                let s = cx.stats.step(*id);
                format!("{name} {} calls + {} hits, {} in flight", Stats::get(&s.calls), Stats::get(&s.cache_hits), Stats::get(&s.inflight))
            })
            .collect();
        eprintln!("progress: {}", parts.join("; "));
    }
}
