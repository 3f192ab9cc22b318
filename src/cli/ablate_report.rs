//! The ablation report as one self-contained HTML file: the table, then a bar
//! chart per metric drawn as inline SVG (no scripts, no network).

use super::ablate_row::Row;
use super::html::{chart, esc};

const METRICS: &[(&str, &str)] = &[
    ("yield_questions", "yield (questions with ≥ 1 kept path)"),
    ("kept", "kept paths"),
    ("calls", "calls made"),
    ("cache_hits", "cache hits"),
    ("prompt_tokens", "prompt tokens"),
    ("completion_tokens", "completion tokens"),
    ("failures", "failures"),
    ("wall_s", "wall time (s)"),
];

pub fn html(rows: &[Row]) -> String {
    let mut h = String::from(
        "<!doctype html>\n<html><head><meta charset=\"utf-8\"><title>regen ablation</title>\n<style>\
         body{font-family:system-ui,sans-serif;margin:2em;color:#222}table{border-collapse:collapse}\
         td,th{padding:4px 10px;border-bottom:1px solid #ddd;text-align:right}td:first-child,th:first-child{text-align:left}\
         .chart{display:inline-block;margin:1em 2em 1em 0;vertical-align:top}h2{font-size:1em}</style></head><body>\n\
         <h1>regen ablation</h1>\n<table><tr><th>workflow</th><th>questions</th><th>yield</th><th>kept</th><th>calls</th>\
         <th>cache hits</th><th>prompt tok</th><th>completion tok</th><th>failures</th><th>wall s</th><th>label read by</th></tr>\n",
    );
    for r in rows {
        let cells: Vec<String> = r
            .cells()
            .iter()
            .map(|c| format!("<td>{}</td>", esc(c)))
            .collect();
        h.push_str(&format!(
            "<tr title=\"{}\">{}</tr>\n",
            esc(&r.file),
            cells.join("")
        ));
    }
    h.push_str("</table>\n");
    let values: Vec<serde_json::Value> = rows
        .iter()
        .map(|r| serde_json::to_value(r).unwrap_or_default())
        .collect();
    for (key, title) in METRICS {
        let data: Vec<(String, f64)> = rows
            .iter()
            .zip(&values)
            .map(|(r, v)| (r.workflow.clone(), v[*key].as_f64().unwrap_or(0.0)))
            .collect();
        h.push_str(&chart(title, &data));
    }
    h.push_str("<h1>filter funnel</h1>\n<table><tr><th>workflow</th><th>filter</th><th>condition</th><th>removed</th></tr>\n");
    for r in rows {
        for (step, reason, n) in &r.funnel {
            h.push_str(&format!(
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{n}</td></tr>\n",
                esc(&r.workflow),
                esc(step),
                esc(reason)
            ));
        }
    }
    h.push_str("</table>\n<h1>kept paths per seed guideline</h1>\n");
    for r in rows.iter().filter(|r| !r.guidelines.is_empty()) {
        let data: Vec<(String, f64)> = r
            .guidelines
            .iter()
            .map(|(id, n)| (id.clone(), *n as f64))
            .collect();
        h.push_str(&chart(&r.workflow, &data));
    }
    h.push_str("</body></html>\n");
    h
}
