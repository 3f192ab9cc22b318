//! A `command` step in Rust, for the protocol tests: the step protocol's
//! other side written without Python. Per record it returns the length and
//! the upper-case form of `question`; a question holding "boom" is an error
//! reply, "hang" never answers, "die" ends the process.

use serde_json::{json, Value};
use std::io::{BufRead, Write};

fn answer(record: &Value) -> Result<Value, Value> {
    let q = record
        .get("question")
        .and_then(Value::as_str)
        .unwrap_or_default();
    if q.contains("boom") {
        return Err(
            json!({"type": "Boom", "message": format!("cannot handle {q:?}"), "traceback": "protocol_peer.rs: answer()"}),
        );
    }
    if q.contains("hang") {
        std::thread::sleep(std::time::Duration::from_secs(600));
    }
    if q.contains("die") {
        std::process::exit(3);
    }
    Ok(json!({"chars": q.chars().count(), "upper": q.to_uppercase()}))
}

fn main() {
    let stdin = std::io::stdin();
    let mut out = std::io::stdout().lock();
    let mut lines = stdin.lock().lines();
    let Some(Ok(hello)) = lines.next() else {
        return;
    };
    let hello: Value = serde_json::from_str(&hello).unwrap_or(Value::Null);
    let mine = json!({"protocol": "regen-step", "version": 1});
    if hello["hello"]["version"] != 1 {
        let _ = writeln!(
            out,
            "{}",
            json!({"hello": mine, "error": {"type": "ProtocolError", "message": "version 1 only"}})
        );
        return;
    }
    let _ = writeln!(out, "{}", json!({"hello": mine}));
    let _ = out.flush();
    eprintln!("protocol-peer serving step {}", hello["hello"]["step"]);
    for line in lines {
        let Ok(line) = line else { return };
        let req: Value = match serde_json::from_str(&line) {
            Ok(v) => v,
            Err(_) => continue,
        };
        let id = req["id"].clone();
        let reply = if let Some(records) = req.get("records").and_then(Value::as_array) {
            match records.iter().map(answer).collect::<Result<Vec<_>, _>>() {
                Ok(items) => json!({"id": id, "ok": items}),
                Err(e) => json!({"id": id, "error": e}),
            }
        } else {
            match answer(&req["record"]) {
                Ok(v) => json!({"id": id, "ok": v}),
                Err(e) => json!({"id": id, "error": e}),
            }
        };
        let _ = writeln!(out, "{reply}");
        let _ = out.flush();
    }
}
