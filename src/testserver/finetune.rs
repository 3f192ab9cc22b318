//! The files and fine-tuning endpoints of the test server: an upload is checked
//! line by line as chat fine-tuning data (as OpenAI's validator does), a job
//! over a valid file succeeds on its first poll with a `ft:` model name.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

#[derive(Default)]
pub struct FineTuneState {
    /// file id → (filename, lines)
    files: Mutex<HashMap<String, (String, usize)>>,
    jobs: Mutex<HashMap<String, Job>>,
}

/// model, training file, suffix, polls so far
type Job = (String, String, Option<String>, u32, Value);

pub fn bad(msg: String) -> Response {
    (StatusCode::BAD_REQUEST, Json(json!({"error": {"message": msg, "type": "invalid_request_error", "param": null, "code": null}})))
        .into_response()
}

/// One line of chat fine-tuning data: `messages` with a user turn and an assistant answer.
/// What is wrong with the line, if anything.
fn line_problem(line: &str) -> Option<String> {
    let v: Value = match serde_json::from_str(line) {
        Ok(v) => v,
        Err(e) => return Some(format!("not JSON: {e}")),
    };
    let Some(messages) = v["messages"].as_array() else {
        return Some("no `messages` list".into());
    };
    let roles: Vec<&str> = messages
        .iter()
        .map(|m| m["role"].as_str().unwrap_or(""))
        .collect();
    if !roles.contains(&"user") || roles.last() != Some(&"assistant") {
        return Some(format!(
            "roles {roles:?}: need a user turn and an assistant answer last"
        ));
    }
    if messages
        .iter()
        .any(|m| m["content"].as_str().is_none_or(|c| c.trim().is_empty()))
    {
        return Some("a message has empty content".into());
    }
    None
}

/// A fine-tune upload (the multipart form is read by the files endpoint).
pub fn upload(s: &FineTuneState, name: String, bytes: &[u8]) -> Response {
    let text = String::from_utf8_lossy(bytes);
    let mut lines = 0;
    for (i, line) in text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
    {
        if let Some(e) = line_problem(line) {
            return bad(format!("line {}: {e}", i + 1));
        }
        lines += 1;
    }
    if lines == 0 {
        return bad("the file has no training examples".into());
    }
    let mut files = s.files.lock().unwrap_or_else(|p| p.into_inner());
    let id = format!("file-{}", files.len() + 1);
    files.insert(id.clone(), (name.clone(), lines));
    Json(
        json!({"id": id, "object": "file", "bytes": bytes.len(), "created_at": 1_700_000_000u64, "filename": name, "purpose": "fine-tune"}),
    )
    .into_response()
}

pub async fn create_job(
    State(app): State<Arc<super::AppState>>,
    Json(req): Json<Value>,
) -> Response {
    let s = &app.finetune;
    let (Some(model), Some(file)) = (req["model"].as_str(), req["training_file"].as_str()) else {
        return bad("`model` and `training_file` are required".into());
    };
    if !s
        .files
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .contains_key(file)
    {
        return bad(format!("no file `{file}`"));
    }
    let mut jobs = s.jobs.lock().unwrap_or_else(|p| p.into_inner());
    let id = format!("ftjob-{}", jobs.len() + 1);
    // The method (and its hyperparameters) is echoed back as a provider does.
    let method = req.get("method").cloned().unwrap_or(Value::Null);
    jobs.insert(
        id.clone(),
        (
            model.into(),
            file.into(),
            req["suffix"].as_str().map(str::to_string),
            0,
            method.clone(),
        ),
    );
    let mut job = job_json(&id, model, file, None, "queued");
    job["method"] = method;
    Json(job).into_response()
}

pub async fn get_job(State(app): State<Arc<super::AppState>>, Path(id): Path<String>) -> Response {
    let s = &app.finetune;
    let mut jobs = s.jobs.lock().unwrap_or_else(|p| p.into_inner());
    let Some((model, file, suffix, polls, method)) = jobs.get_mut(&id) else {
        return (StatusCode::NOT_FOUND, Json(json!({"error": {"message": format!("no job {id}"), "type": "invalid_request_error"}})))
            .into_response();
    };
    *polls += 1;
    let tuned = format!("ft:{model}:{}:{id}", suffix.as_deref().unwrap_or("regen"));
    let mut job = job_json(&id, model, file, Some(&tuned), "succeeded");
    job["method"] = method.clone();
    Json(job).into_response()
}

fn job_json(id: &str, model: &str, file: &str, tuned: Option<&str>, status: &str) -> Value {
    json!({"id": id, "object": "fine_tuning.job", "created_at": 1_700_000_000u64, "error": null, "fine_tuned_model": tuned,
        "finished_at": tuned.map(|_| 1_700_000_100u64), "model": model, "organization_id": "org-test", "result_files": [],
        "status": status, "trained_tokens": null, "training_file": file, "validation_file": null, "seed": 1})
}
