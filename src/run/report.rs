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
        t.push_str(&format!(
            "kept per seed guideline ({sink}): {}{}\n",
            if shown.is_empty() { "none".to_string() } else { shown.join(", ") },
            if none > 0 { format!("; {none} guidelines produced none") } else { String::new() }
        ));
    }
    t
}
