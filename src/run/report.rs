//! The run summary as text, rendered from the summary JSON the store keeps, so
//! `regen run` and `regen show` print the same tables: steps, the filter funnel,
//! kept paths per seed guideline, models and sinks.

use serde_json::Value;

pub fn text(j: &Value) -> String {
    let u = |v: &Value| v.as_u64().unwrap_or(0);
    let run = u(&j["run"]);
    let mut t =
        format!("run {run} of `{}` finished in {:.1}s\n", j["workflow"].as_str().unwrap_or(""), j["wall_s"].as_f64().unwrap_or(0.0));
    t.push_str(&format!(
        "{:<18} {:>8} {:>8} {:>10} {:>12} {:>14}  failures\n",
        "step", "records", "calls", "cache hits", "prompt tok", "completion tok"
    ));
    let steps = j["steps"].as_array().cloned().unwrap_or_default();
    for s in &steps {
        let fails: Vec<String> = s["failures"].as_object().into_iter().flatten().map(|(k, v)| format!("{k}: {v}")).collect();
        if s["llm"].as_bool() == Some(true) || !fails.is_empty() {
            t.push_str(&format!(
                "{:<18} {:>8} {:>8} {:>10} {:>12} {:>14}  {}\n",
                s["step"].as_str().unwrap_or(""),
                u(&s["received"]),
                u(&s["calls"]),
                u(&s["cache_hits"]),
                u(&s["prompt_tokens"]),
                u(&s["completion_tokens"]),
                if fails.is_empty() { "-".into() } else { fails.join(", ") }
            ));
        }
    }
    t.push_str(&funnel(&steps));
    t.push_str(&guidelines(&j["guidelines"]));
    t.push_str(&example(&j["example"], run));
    for m in j["models"].as_array().into_iter().flatten() {
        t.push_str(&format!(
            "model {} ({}): {} calls, {} cache hits, {} prompt + {} completion tokens\n",
            m["alias"].as_str().unwrap_or(""),
            m["model"].as_str().unwrap_or(""),
            u(&m["calls"]),
            u(&m["cache_hits"]),
            u(&m["prompt_tokens"]),
            u(&m["completion_tokens"])
        ));
        let retried = u(&m["retried"]);
        if retried > 0 {
            t.push_str(&format!(
                "  {retried} requests sent again after an error that retrying fixes (what still failed is under failures)\n"
            ));
        }
        // Replicas: the split, the latency and the failures of each.
        let endpoints = m["endpoints"].as_array().map_or(&[][..], Vec::as_slice);
        if endpoints.len() > 1 {
            for e in endpoints {
                let ms = |k: &str| e[k].as_u64().map_or("-".to_string(), |v| format!("{v} ms"));
                t.push_str(&format!(
                    "  endpoint {}: {} requests, {} failed · latency p50 {} · p95 {} · p99 {}\n",
                    e["endpoint"].as_str().unwrap_or(""),
                    u(&e["calls"]),
                    u(&e["failures"]),
                    ms("p50_ms"),
                    ms("p95_ms"),
                    ms("p99_ms")
                ));
            }
        }
    }
    let batch = &j["batch"];
    if u(&batch["batches"]) > 0 {
        t.push_str(&format!(
            "batch API: {} requests in {} batches ({} sent again after errors or expiry, {} left to online calls)\n",
            u(&batch["requests"]),
            u(&batch["batches"]),
            u(&batch["resent"]),
            u(&batch["online"])
        ));
    }
    for (path, count) in j["sinks"].as_object().into_iter().flatten() {
        t.push_str(&format!("wrote {} records to {path}\n", u(count)));
    }
    let skipped = u(&j["skipped_rows"]);
    if skipped > 0 {
        t.push_str(&format!("skipped {skipped} bad dataset rows (on_bad_row: skip; listed by `regen show {run}`)\n"));
    }
    let not_run: u64 = steps.iter().map(|s| u(&s["not_run"])).sum();
    if not_run > 0 {
        t.push_str(&format!("{not_run} records not run: the run stopped early ({})\n", j["stopped"].as_str().unwrap_or("stopped")));
    }
    t.push_str(&format!("{} HTTP requests; {} records failed (see `regen show {run}`)\n", u(&j["http_requests"]), u(&j["failures"])));
    t
}

/// For each filter: records in, then what each condition removed, then what passed.
pub fn funnel(steps: &[Value]) -> String {
    let mut t = String::new();
    for s in steps {
        let rows = s["funnel"].as_array().cloned().unwrap_or_default();
        if rows.is_empty() {
            continue;
        }
        let received = s["received"].as_u64().unwrap_or(0);
        if received == 0 {
            continue;
        }
        let removed: u64 = rows.iter().map(|r| r["removed"].as_u64().unwrap_or(0)).sum();
        t.push_str(&format!("filter {}: {received} in, {} kept\n", s["step"].as_str().unwrap_or(""), received.saturating_sub(removed)));
        for r in &rows {
            t.push_str(&format!(
                "  {:>8} removed: {} ({})\n",
                r["removed"].as_u64().unwrap_or(0),
                r["reason"].as_str().unwrap_or(""),
                r["condition"].as_str().unwrap_or("")
            ));
        }
    }
    t
}

/// Kept records per seed guideline, most productive first, for each sink that has them.
/// Characters per line of the guideline table.
const GUIDELINE_WIDTH: usize = 96;

pub fn guidelines(g: &Value) -> String {
    let mut t = String::new();
    for (sink, rows) in g.as_object().into_iter().flatten() {
        let mut rows = rows.as_array().cloned().unwrap_or_default();
        rows.sort_by_key(|r| std::cmp::Reverse(r["kept"].as_u64().unwrap_or(0)));
        let shown: Vec<String> = rows
            .iter()
            .filter(|r| r["kept"].as_u64().unwrap_or(0) > 0)
            .map(|r| format!("{} {}", r["id"].as_str().unwrap_or(""), r["kept"].as_u64().unwrap_or(0)))
            .collect();
        let none = rows.iter().filter(|r| r["kept"].as_u64() == Some(0)).count();
        let head = format!("kept per seed guideline ({sink}):");
        t.push_str(&head);
        if shown.is_empty() {
            t.push_str(" none");
        }
        // Wrapped to terminal-table width, like the other tables (a pipe gets no 1,000-character line).
        let mut width = head.chars().count();
        for (i, item) in shown.iter().enumerate() {
            let sep = if i + 1 < shown.len() { "," } else { "" };
            if width + item.len() + 2 > GUIDELINE_WIDTH && width > 1 {
                t.push_str("\n ");
                width = 1;
            }
            t.push(' ');
            t.push_str(item);
            t.push_str(sep);
            width += item.len() + 1 + sep.len();
        }
        if none > 0 {
            t.push_str(&format!("\n  {none} guidelines produced none"));
        }
        t.push('\n');
    }
    t
}

/// Fields shown for a sample, in lineage order (the terminal and the HTML report).
pub const LINEAGE: &[&str] = &["question", "answer", "guideline", "adapted", "structure", "path", "predicted", "verdict_reply", "text"];

/// The end-of-run example: a kept training line, or the closest rejected candidate and why it was dropped.
fn example(e: &Value, run: u64) -> String {
    let mut t = String::new();
    match e["outcome"].as_str() {
        Some("written") => t.push_str(&format!("a kept example (sink `{}`):\n", e["step"].as_str().unwrap_or(""))),
        Some(_) => t.push_str(&format!(
            "nothing was kept; the candidate that came closest (filter `{}`, dropped: {}):\n",
            e["step"].as_str().unwrap_or(""),
            e["reason"].as_str().unwrap_or("")
        )),
        None => return t,
    }
    t.push_str(&fields(&e["fields"], 400));
    t.push_str(&format!("more: `regen show {run} --samples 5` prints 5 candidates per step with their verdicts\n"));
    t
}

/// A sample's lineage fields, each cut to `width` characters on one line.
pub fn fields(f: &Value, width: usize) -> String {
    let mut t = String::new();
    for key in LINEAGE {
        if let Some(v) = f.get(*key).filter(|v| !v.is_null()) {
            let text = crate::expr::text(v).split_whitespace().collect::<Vec<_>>().join(" ");
            let cut: String = text.chars().take(width).collect();
            let more = if text.chars().count() > width { " …" } else { "" };
            t.push_str(&format!("  {key:<13} {cut}{more}\n"));
        }
    }
    t
}

/// `regen show RUN --samples K`: K samples per step, kept and removed, with the reason.
pub fn samples(rows: &[(String, crate::run::store::SampleRow)], k: usize) -> String {
    let mut t = String::new();
    let mut steps: Vec<&str> = Vec::new();
    for (step, _) in rows {
        if !steps.contains(&step.as_str()) {
            steps.push(step);
        }
    }
    for step in steps {
        t.push_str(&format!("== {step}\n"));
        let mine = rows.iter().filter(|(s, r)| s == step && r.outcome != "best-rejected");
        for (_, r) in mine.take(k) {
            let verdict = if r.outcome == "removed" { format!("removed: {}", r.reason) } else { r.outcome.clone() };
            t.push_str(&format!("-- {} [{verdict}]\n", r.record));
            t.push_str(&fields(&serde_json::from_str(&r.fields).unwrap_or(Value::Null), 160));
        }
    }
    if t.is_empty() {
        t.push_str("(no samples: the run kept none)\n");
    }
    t
}

#[cfg(test)]
mod tests {
    use serde_json::{json, Value};

    #[test]
    fn the_guideline_table_wraps_at_table_width_and_loses_no_guideline() {
        let rows: Vec<Value> = (0..60).map(|i| json!({"id": format!("guideline-{i:02}"), "title": "", "kept": 60 - i})).collect();
        let mut all = rows.clone();
        all.push(json!({"id": "unused", "title": "", "kept": 0}));
        let t = super::guidelines(&json!({"runs/x/train.jsonl": all}));
        assert!(t.lines().count() > 5, "{t}");
        assert!(t.lines().all(|l| l.chars().count() <= super::GUIDELINE_WIDTH), "{t}");
        assert!((0..60).all(|i| t.contains(&format!("guideline-{i:02} {}", 60 - i))), "{t}");
        assert!(t.contains("1 guidelines produced none"), "{t}");
    }
}
