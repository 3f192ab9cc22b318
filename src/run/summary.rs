//! The end-of-run summary and the progress line.

use super::exec::Ctx;
use super::stats::Stats;
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
    let sinks = cx.stats.sink_records.lock().map(|s| s.clone()).unwrap_or_default();
    for (path, count) in &sinks {
        text.push_str(&format!("wrote {count} records to {path}\n"));
    }
    let skipped = Stats::get(&cx.stats.skipped_rows);
    if skipped > 0 {
        text.push_str(&format!("skipped {skipped} bad dataset rows (on_bad_row: skip)\n"));
    }
    let failures = cx.stats.total_failures();
    text.push_str(&format!("{http_calls} HTTP requests; {failures} records failed (see `regen show {}`)\n", cx.run_id));
    let json = json!({ "run": cx.run_id, "workflow": cx.wf.name, "wall_s": wall.as_secs_f64(), "http_requests": http_calls,
        "failures": failures, "skipped_rows": skipped, "steps": steps, "sinks": sinks });
    (text, json)
}

/// One status line every few seconds on stderr (a redrawn line on a terminal).
pub fn progress(cx: Arc<Ctx>) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let tty = std::io::stderr().is_terminal();
        let mut tick = tokio::time::interval(Duration::from_secs(if tty { 1 } else { 10 }));
        tick.tick().await;
        loop {
            tick.tick().await;
            let parts: Vec<String> = cx
                .wf
                .nodes
                .iter()
                .enumerate()
                .filter(|(_, n)| n.is_llm())
                .map(|(id, n)| {
                    let s = cx.stats.step(id);
                    format!("{} {}+{}c/{}↻", n.name, Stats::get(&s.calls), Stats::get(&s.cache_hits), Stats::get(&s.inflight))
                })
                .collect();
            if tty {
                eprint!("\r\x1b[2K{}", parts.join("  "));
            } else {
                eprintln!("progress: {}", parts.join("  "));
            }
        }
    })
}
