//! How long an editor waits for diagnostics after a keystroke, on
//! `workflows/regenesis.regen` (the largest shipped workflow), against a
//! baseline measured in the same run: one `regen lint` of the same file.
//!
//!     cargo bench --bench lsp_keystroke [-- ROUNDS]

use serde_json::{json, Value};
use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn frame(w: &mut impl Write, msg: &Value) {
    let body = msg.to_string();
    write!(w, "Content-Length: {}\r\n\r\n{body}", body.len()).unwrap();
    w.flush().unwrap();
}

fn read(r: &mut impl BufRead) -> Value {
    let mut len = 0;
    loop {
        let mut line = String::new();
        assert!(
            r.read_line(&mut line).unwrap() > 0,
            "the server closed its output"
        );
        if line.trim_end().is_empty() {
            break;
        }
        if let Some(n) = line.trim_end().strip_prefix("Content-Length: ") {
            len = n.parse().unwrap();
        }
    }
    let mut body = vec![0; len];
    r.read_exact(&mut body).unwrap();
    serde_json::from_slice(&body).unwrap()
}

fn percentile(v: &mut [Duration], p: f64) -> Duration {
    v.sort();
    v[((v.len() - 1) as f64 * p).round() as usize]
}

fn main() {
    let rounds: usize = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(40);
    let root = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let file = std::fs::canonicalize(root.join("workflows/regenesis.regen")).unwrap();
    let uri = format!("file://{}", file.display());
    let clean = std::fs::read_to_string(&file).unwrap();
    let typo = clean.replacen("answer_matches(predicted,", "answer_matches(predictd,", 1);
    assert_ne!(clean, typo, "the workflow changed: pick another typo");
    let bin = env!("CARGO_BIN_EXE_regen");

    // Baseline: the same check as a fresh `regen lint` process.
    let mut lint = Vec::new();
    for _ in 0..rounds.min(20) {
        let t = Instant::now();
        let out = Command::new(bin)
            .args(["lint", file.to_str().unwrap()])
            .output()
            .unwrap();
        assert!(out.status.success());
        lint.push(t.elapsed());
    }

    let mut child = Command::new(bin)
        .arg("lsp")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    frame(
        &mut stdin,
        &json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {"capabilities": {}}}),
    );
    read(&mut stdout);
    frame(
        &mut stdin,
        &json!({"jsonrpc": "2.0", "method": "initialized", "params": {}}),
    );
    frame(
        &mut stdin,
        &json!({"jsonrpc": "2.0", "method": "textDocument/didOpen", "params": {"textDocument": {"uri": uri, "languageId": "regen", "version": 0, "text": clean}}}),
    );
    read(&mut stdout);
    let mut keystroke = Vec::new();
    for version in 1..=rounds as i32 {
        let text = if version % 2 == 1 { &typo } else { &clean };
        let t = Instant::now();
        frame(
            &mut stdin,
            &json!({"jsonrpc": "2.0", "method": "textDocument/didChange", "params": {"textDocument": {"uri": uri, "version": version}, "contentChanges": [{"text": text}]}}),
        );
        loop {
            let msg = read(&mut stdout);
            if msg["method"] == "textDocument/publishDiagnostics"
                && msg["params"]["version"] == version
            {
                let n = msg["params"]["diagnostics"].as_array().unwrap().len();
                assert_eq!(n > 0, version % 2 == 1, "the typo shows, the fix clears it");
                break;
            }
        }
        keystroke.push(t.elapsed());
    }
    frame(
        &mut stdin,
        &json!({"jsonrpc": "2.0", "id": 2, "method": "shutdown", "params": null}),
    );
    read(&mut stdout);
    frame(
        &mut stdin,
        &json!({"jsonrpc": "2.0", "method": "exit", "params": null}),
    );
    child.wait().unwrap();

    let (k50, k95) = (
        percentile(&mut keystroke, 0.5),
        percentile(&mut keystroke, 0.95),
    );
    let l50 = percentile(&mut lint, 0.5);
    println!("workflows/regenesis.regen, {rounds} edits (typo / fix alternately)");
    println!(
        "keystroke → diagnostics   median {:>7.1} ms   p95 {:>7.1} ms",
        k50.as_secs_f64() * 1e3,
        k95.as_secs_f64() * 1e3
    );
    println!(
        "regen lint (new process)  median {:>7.1} ms   (baseline, same run)",
        l50.as_secs_f64() * 1e3
    );
    println!(
        "ratio keystroke/lint      {:.2}",
        k50.as_secs_f64() / l50.as_secs_f64()
    );
}
