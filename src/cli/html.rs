//! Pieces shared by the HTML reports: escaping and inline-SVG charts (no
//! scripts, no network: each report is one self-contained file).

/// A horizontal bar chart: one bar per workflow, labelled with its value.
pub fn chart(title: &str, data: &[(String, f64)]) -> String {
    let max = data.iter().map(|d| d.1).fold(0.0, f64::max).max(1e-9);
    let (label_w, bar_w, row_h) = (230.0, 260.0, 20.0);
    let height = row_h * data.len() as f64 + 10.0;
    let mut s = format!(
        "<div class=\"chart\"><h2>{}</h2><svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{}\" height=\"{height}\">",
        esc(title),
        label_w + bar_w + 80.0
    );
    for (i, (name, v)) in data.iter().enumerate() {
        let y = i as f64 * row_h + 4.0;
        let w = bar_w * v / max;
        let shown = if v.fract() == 0.0 {
            format!("{v}")
        } else {
            format!("{v:.1}")
        };
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

pub fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// One line of a line chart: its name, its colour and its (x, y) points.
pub type Series<'a> = (&'a str, &'a str, Vec<(f64, f64)>);

/// A line chart of one or more series over x, each in its own colour, scaled to its own maximum.
pub fn lines(title: &str, x_label: &str, series: &[Series]) -> String {
    let (w, h, pad) = (520.0, 180.0, 36.0);
    let x_max = series
        .iter()
        .flat_map(|s| s.2.iter().map(|p| p.0))
        .fold(0.0, f64::max)
        .max(1e-9);
    let mut s = format!(
        "<div class=\"chart\"><h2>{}</h2><svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{}\" height=\"{}\">",
        esc(title),
        w + 2.0 * pad,
        h + 2.0 * pad
    );
    s.push_str(&format!(
        "<line x1=\"{pad}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" stroke=\"#888\"/><text x=\"{}\" y=\"{}\" font-size=\"11\" text-anchor=\"end\">{} {x_max:.0}</text>",
        pad + h,
        pad + w,
        pad + h,
        pad + w,
        pad + h + 16.0,
        esc(x_label)
    ));
    for (i, (name, colour, points)) in series.iter().enumerate() {
        let y_max = points.iter().map(|p| p.1).fold(0.0, f64::max).max(1e-9);
        let path: Vec<String> = points
            .iter()
            .map(|(x, y)| format!("{:.1},{:.1}", pad + w * x / x_max, pad + h - h * y / y_max))
            .collect();
        s.push_str(&format!(
            "<polyline fill=\"none\" stroke=\"{colour}\" stroke-width=\"2\" points=\"{}\"/>",
            path.join(" ")
        ));
        s.push_str(&format!(
            "<text x=\"{}\" y=\"{}\" font-size=\"11\" fill=\"{colour}\">{} (max {y_max:.0})</text>",
            pad + 4.0,
            pad - 18.0 + 12.0 * i as f64,
            esc(name)
        ));
    }
    s.push_str("</svg></div>\n");
    s
}
