//! The test server's files and Batch API: uploads (batch input or fine-tune
//! data), batches that finish after a delay with their output lines shuffled,
//! injected line errors in an error file, and an expired batch with half its
//! lines answered, as OpenAI's batches behave.

use super::finetune::bad;
use super::AppState;
use axum::extract::{Multipart, Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

#[derive(Default)]
pub struct BatchState {
    /// file id → content
    files: Mutex<HashMap<String, Vec<u8>>>,
    batches: Mutex<HashMap<String, Batch>>,
}

struct Batch {
    input: String,
    created: Instant,
    /// Set once the batch has finished: its final JSON.
    done: Option<Value>,
    expire: bool,
}

impl BatchState {
    /// Batches created so far.
    pub fn count(&self) -> usize {
        self.batches.lock().unwrap_or_else(|p| p.into_inner()).len()
    }
}

fn new_file(s: &BatchState, bytes: Vec<u8>) -> String {
    let mut files = s.files.lock().unwrap_or_else(|p| p.into_inner());
    let id = format!("file-b{}", files.len() + 1);
    files.insert(id.clone(), bytes);
    id
}

pub async fn upload(State(app): State<Arc<AppState>>, mut form: Multipart) -> Response {
    let (mut purpose, mut file) = (String::new(), None);
    while let Ok(Some(field)) = form.next_field().await {
        match field.name().unwrap_or("") {
            "purpose" => purpose = field.text().await.unwrap_or_default(),
            "file" => {
                let name = field.file_name().unwrap_or("upload.jsonl").to_string();
                file = Some((name, field.bytes().await.unwrap_or_default()));
            }
            _ => {}
        }
    }
    let Some((name, bytes)) = file else {
        return bad("no file part".into());
    };
    match purpose.as_str() {
        "fine-tune" => super::finetune::upload(&app.finetune, name, &bytes),
        "batch" => {
            let text = String::from_utf8_lossy(&bytes);
            for (i, line) in text
                .lines()
                .enumerate()
                .filter(|(_, l)| !l.trim().is_empty())
            {
                let ok = serde_json::from_str::<Value>(line)
                    .is_ok_and(|v| v["custom_id"].is_string() && v["body"].is_object());
                if !ok {
                    return bad(format!(
                        "line {}: not a batch request (custom_id, method, url, body)",
                        i + 1
                    ));
                }
            }
            let len = bytes.len();
            let id = new_file(&app.batches, bytes.to_vec());
            Json(json!({"id": id, "object": "file", "bytes": len, "created_at": 1_700_000_000u64, "filename": name, "purpose": "batch"}))
                .into_response()
        }
        other => bad(format!(
            "purpose `{other}`: this server takes batch and fine-tune files"
        )),
    }
}

pub async fn content(State(app): State<Arc<AppState>>, Path(id): Path<String>) -> Response {
    match app.batches.files.lock().unwrap_or_else(|p| p.into_inner()).get(&id) {
        Some(bytes) => (StatusCode::OK, [("content-type", "application/octet-stream")], bytes.clone()).into_response(),
        None => (StatusCode::NOT_FOUND, Json(json!({"error": {"message": format!("no file {id}"), "type": "invalid_request_error"}})))
            .into_response(),
    }
}

pub async fn create(State(app): State<Arc<AppState>>, Json(req): Json<Value>) -> Response {
    let Some(input) = req["input_file_id"].as_str() else {
        return bad("`input_file_id` is required".into());
    };
    if !app
        .batches
        .files
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .contains_key(input)
    {
        return bad(format!("no file `{input}`"));
    }
    if req["endpoint"] != "/v1/chat/completions" {
        return bad(format!(
            "endpoint {}: this server batches /v1/chat/completions",
            req["endpoint"]
        ));
    }
    let mut batches = app
        .batches
        .batches
        .lock()
        .unwrap_or_else(|p| p.into_inner());
    let expire = app.cfg.batch_expire_first && batches.is_empty();
    let id = format!("batch_{}", batches.len() + 1);
    batches.insert(
        id.clone(),
        Batch {
            input: input.into(),
            created: Instant::now(),
            done: None,
            expire,
        },
    );
    Json(batch_json(&id, input, "validating", None, None, 0, 0)).into_response()
}

fn batch_json(
    id: &str,
    input: &str,
    status: &str,
    output: Option<String>,
    errors: Option<String>,
    completed: usize,
    failed: usize,
) -> Value {
    json!({
        "id": id, "object": "batch", "endpoint": "/v1/chat/completions", "errors": null,
        "input_file_id": input, "completion_window": "24h", "status": status,
        "output_file_id": output, "error_file_id": errors, "created_at": 1_700_000_000u64,
        "request_counts": {"total": completed + failed, "completed": completed, "failed": failed},
    })
}

pub async fn retrieve(State(app): State<Arc<AppState>>, Path(id): Path<String>) -> Response {
    let (input, created, expire) = {
        let batches = app
            .batches
            .batches
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        let Some(b) = batches.get(&id) else {
            return (StatusCode::NOT_FOUND, Json(json!({"error": {"message": format!("no batch {id}"), "type": "invalid_request_error"}})))
                .into_response();
        };
        if let Some(done) = &b.done {
            return Json(done.clone()).into_response();
        }
        (b.input.clone(), b.created, b.expire)
    };
    if created.elapsed() < Duration::from_millis(app.cfg.batch_delay_ms) {
        return Json(batch_json(&id, &input, "in_progress", None, None, 0, 0)).into_response();
    }
    let done = finish(&app, &id, &input, expire);
    if let Some(b) = app
        .batches
        .batches
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .get_mut(&id)
    {
        b.done = Some(done.clone());
    }
    Json(done).into_response()
}

/// Answers every line of the input: output lines shuffled, injected errors and
/// (when expiring) the unanswered half in the error file.
fn finish(app: &AppState, id: &str, input: &str, expire: bool) -> Value {
    let text = String::from_utf8_lossy(
        &app.batches
            .files
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(input)
            .cloned()
            .unwrap_or_default(),
    )
    .into_owned();
    let lines: Vec<Value> = text
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect();
    let (mut out, mut errors) = (Vec::new(), Vec::new());
    for (i, line) in lines.iter().enumerate() {
        let custom_id = line["custom_id"].clone();
        let n = app
            .counter
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        if expire && i % 2 == 1 {
            errors.push(json!({"id": format!("br-{n}"), "custom_id": custom_id, "response": null,
                "error": {"code": "batch_expired", "message": "This request could not be executed before the completion window expired."}}));
        } else if super::unit(app.cfg.seed, n, "batch-error") < app.cfg.batch_perror {
            errors.push(json!({"id": format!("br-{n}"), "custom_id": custom_id,
                "response": {"status_code": 500, "request_id": format!("req-{n}"), "body": {"error": {"message": "internal error (injected)"}}}, "error": null}));
        } else {
            let body = super::completion(app, &line["body"], n, false, false);
            out.push(json!({"id": format!("br-{n}"), "custom_id": custom_id, "response": {"status_code": 200, "request_id": format!("req-{n}"), "body": body}, "error": null}));
        }
    }
    // Output order is not input order.
    out.sort_by_key(|l| {
        blake3::hash(l["custom_id"].to_string().as_bytes())
            .to_hex()
            .to_string()
    });
    let jsonl = |v: &[Value]| {
        v.iter()
            .map(|l| format!("{l}\n"))
            .collect::<String>()
            .into_bytes()
    };
    let (done, failed) = (out.len(), errors.len());
    let output = (!out.is_empty()).then(|| new_file(&app.batches, jsonl(&out)));
    let error = (!errors.is_empty()).then(|| new_file(&app.batches, jsonl(&errors)));
    batch_json(
        id,
        input,
        if expire { "expired" } else { "completed" },
        output,
        error,
        done,
        failed,
    )
}
