//! The ablation report as one self-contained HTML file: the table, then a bar
//! chart per metric drawn as inline SVG (no scripts, no network).

use super::ablate::Row;

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
        let cells: Vec<String> = r.cells().iter().map(|c| format!("<td>{}</td>", esc(c))).collect();
        h.push_str(&format!("<tr title=\"{}\">{}</tr>\n", esc(&r.file), cells.join("")));
    }
    h.push_str("</table>\n");
    let values: Vec<serde_json::Value> = rows.iter().map(|r| serde_json::to_value(r).unwrap_or_default()).collect();
    for (key, title) in METRICS {
        let data: Vec<(String, f64)> =
            rows.iter().zip(&values).map(|(r, v)| (r.workflow.clone(), v[*key].as_f64().unwrap_or(0.0))).collect();
        h.push_str(&chart(title, &data));
    }
    h.push_str("<h1>filter funnel</h1>\n<table><tr><th>workflow</th><th>filter</th><th>condition</th><th>removed</th></tr>\n");
    for r in rows {
        for (step, reason, n) in &r.funnel {
            h.push_str(&format!("<tr><td>{}</td><td>{}</td><td>{}</td><td>{n}</td></tr>\n", esc(&r.workflow), esc(step), esc(reason)));
        }
    }
    h.push_str("</table>\n<h1>kept paths per seed guideline</h1>\n");
    for r in rows.iter().filter(|r| !r.guidelines.is_empty()) {
        let data: Vec<(String, f64)> = r.guidelines.iter().map(|(id, n)| (id.clone(), *n as f64)).collect();
        h.push_str(&chart(&r.workflow, &data));
    }
    h.push_str("</body></html>\n");
    h
}

/// A horizontal bar chart: one bar per workflow, labelled with its value.
fn chart(title: &str, data: &[(String, f64)]) -> String {
    let max = data.iter().map(|d| d.1).fold(0.0, f64::max).max(1e-9);
    let (label_w, bar_w, row_h) = (170.0, 260.0, 20.0);
    let height = row_h * data.len() as f64 + 10.0;
    let mut s = format!(
        "<div class=\"chart\"><h2>{}</h2><svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{}\" height=\"{height}\">",
        esc(title),
        label_w + bar_w + 80.0
    );
    for (i, (name, v)) in data.iter().enumerate() {
        let y = i as f64 * row_h + 4.0;
        let w = bar_w * v / max;
        let shown = if v.fract() == 0.0 { format!("{v}") } else { format!("{v:.1}") };
        s.push_str(&format!(
            "<text x=\"{}\" y=\"{}\" font-size=\"12\" text-anchor=\"end\">{}</text><rect x=\"{label_w}\" y=\"{y}\" width=\"{w:.1}\" height=\"{}\" fill=\"#4a7bd0\"/><text x=\"{}\" y=\"{}\" font-size=\"12\">{shown}</text>",
            label_w - 6.0,
            y + 13.0,
            esc(name),
            row_h - 6.0,
            label_w + w + 4.0,
            y + 13.0
        ));
    }
    s.push_str("</svg></div>\n");
    s
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}
