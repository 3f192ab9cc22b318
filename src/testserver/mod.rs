//! The project's own OpenAI-compatible test server: deterministic answers for
//! the stdlib arithmetic problems, configurable latency and fault injection,
//! request counting. Real HTTP on 127.0.0.1; nothing in the client is stubbed.

use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{json, Value};
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

mod batch;
mod finetune;
mod reply;
mod shaped;
use reply::reply;

#[derive(Debug, Clone, clap::Args)]
pub struct ServerConfig {
    #[arg(long, default_value = "127.0.0.1:0")]
    pub bind: String,
    /// JSONL files of {question, answer} the server knows the answers to.
    #[arg(long)]
    pub answers: Vec<std::path::PathBuf>,
    /// Share of reasoning paths whose answer is right (without a hint).
    #[arg(long, default_value_t = 0.5)]
    pub correct: f64,
    /// Median latency in milliseconds.
    #[arg(long, default_value_t = 0.0)]
    pub latency_ms: f64,
    /// Heavy-tailed (lognormal, p99 ≈ 10 × median) instead of fixed latency.
    #[arg(long)]
    pub heavy_tail: bool,
    #[arg(long, default_value_t = 0.0)]
    pub p429: f64,
    #[arg(long, default_value_t = 0.0)]
    pub p500: f64,
    #[arg(long, default_value_t = 0.0)]
    pub pmalformed: f64,
    #[arg(long, default_value_t = 0.0)]
    pub pdrop: f64,
    #[arg(long, default_value_t = 0.0)]
    pub phang: f64,
    /// Share of replies with empty content.
    #[arg(long, default_value_t = 0.0)]
    pub pempty: f64,
    /// Share of replies that are JSON but not a chat completion.
    #[arg(long, default_value_t = 0.0)]
    pub pschema: f64,
    /// Share of n > 1 requests answered with fewer choices than asked.
    #[arg(long, default_value_t = 0.0)]
    pub pfewer: f64,
    /// Answer 400 to n > 1, as llama.cpp's server does.
    #[arg(long)]
    pub reject_n: bool,
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Answer 401 unless the request carries `Authorization: Bearer KEY`.
    #[arg(long)]
    pub require_key: Option<String>,
    /// A hostile server: every error body (401, 404, 400, 429, 500, malformed,
    /// wrong schema) echoes the request's Authorization header.
    #[arg(long)]
    pub echo_key: bool,
    /// The model names served (listed by /v1/models); others get 404. Default: any name.
    #[arg(long, value_delimiter = ',')]
    pub models: Vec<String>,
    /// Reasoning paths' text: `{answer}` and `{draft}` are filled in, `\n` is a newline.
    #[arg(long, default_value = DEFAULT_PATH)]
    pub path_format: String,
    /// Shaped replies (`response_format` json_schema): share answered in prose, no JSON.
    #[arg(long, default_value_t = 0.0)]
    pub pprose: f64,
    /// Shaped replies: share answered with fenced JSON among chatter.
    #[arg(long, default_value_t = 0.0)]
    pub pfenced: f64,
    /// Shaped replies: share answered with values of the wrong type.
    #[arg(long, default_value_t = 0.0)]
    pub pwrongtype: f64,
    /// Batch API: milliseconds before a batch is done.
    #[arg(long, default_value_t = 300)]
    pub batch_delay_ms: u64,
    /// Batch API: probability that a line fails (it goes to the error file).
    #[arg(long, default_value_t = 0.0)]
    pub batch_perror: f64,
    /// Batch API: the first batch expires with only half its lines answered.
    #[arg(long)]
    pub batch_expire_first: bool,
}

/// A path the authors' filter keeps when its answer is right: a preamble, numbered
/// steps in one paragraph, and a boxed answer.
pub const DEFAULT_PATH: &str =
    "Let me work through the task.\\n\\n1. Read the quantities in the task (draft {draft}).\\n2. Combine them as the structure says.\\n3. Check the result.\\n\\nSo the answer is \\boxed{{answer}}.";

struct AppState {
    cfg: ServerConfig,
    answers: HashMap<String, String>,
    requests: AtomicU64,
    faults: AtomicU64,
    counter: AtomicU64,
    /// Chat requests whose `response_format` carried a JSON Schema, and whose
    /// prompt carried one instead (what the tests assert a dialect sent).
    schema_in_body: AtomicU64,
    schema_in_prompt: AtomicU64,
    schema_in_vllm_field: AtomicU64,
    finetune: finetune::FineTuneState,
    batches: batch::BatchState,
}

pub async fn serve(cfg: ServerConfig) -> std::io::Result<()> {
    let mut answers = HashMap::new();
    for f in &cfg.answers {
        for line in std::fs::read_to_string(f)?.lines() {
            if let Ok(v) = serde_json::from_str::<Value>(line) {
                if let (Some(q), Some(a)) = (v["question"].as_str(), v["answer"].as_str()) {
                    answers.insert(q.trim().to_string(), a.to_string());
                }
            }
        }
    }
    let listener = tokio::net::TcpListener::bind(&cfg.bind).await?;
    let addr = listener.local_addr()?;
    println!("listening on http://{addr}/v1");
    std::io::Write::flush(&mut std::io::stdout())?;
    let state = Arc::new(AppState {
        cfg,
        answers,
        requests: AtomicU64::new(0),
        faults: AtomicU64::new(0),
        counter: AtomicU64::new(0),
        schema_in_body: AtomicU64::new(0),
        schema_in_prompt: AtomicU64::new(0),
        schema_in_vllm_field: AtomicU64::new(0),
        finetune: Default::default(),
        batches: Default::default(),
    });
    let app = Router::new()
        .route("/v1/chat/completions", post(chat))
        .route("/v1/models", get(models))
        .route("/stats", get(stats))
        // What vLLM and SGLang answer and routers (sglang-router, vllm-router) probe.
        .route("/health", get(|| async { "ok" }))
        .route("/v1/files", post(batch::upload))
        .route("/v1/files/{id}/content", get(batch::content))
        .route("/v1/batches", post(batch::create))
        .route("/v1/batches/{id}", get(batch::retrieve))
        .route("/v1/fine_tuning/jobs", post(finetune::create_job))
        .route("/v1/fine_tuning/jobs/{id}", get(finetune::get_job))
        .with_state(state);
    axum::serve(listener, app).await
}

async fn models(State(s): State<Arc<AppState>>) -> Json<Value> {
    let names: Vec<&str> = if s.cfg.models.is_empty() {
        vec!["test"]
    } else {
        s.cfg.models.iter().map(String::as_str).collect()
    };
    Json(
        json!({"object": "list", "data": names.iter().map(|n| json!({"id": n, "object": "model"})).collect::<Vec<_>>()}),
    )
}

fn api_error(status: StatusCode, message: String) -> Response {
    (status, Json(json!({"error": {"message": message, "type": "invalid_request_error", "param": null, "code": null}}))).into_response()
}

async fn stats(State(s): State<Arc<AppState>>) -> Json<Value> {
    Json(
        json!({"requests": s.requests.load(Ordering::Relaxed), "faults": s.faults.load(Ordering::Relaxed), "batches": s.batches.count(),
               "schema_in_body": s.schema_in_body.load(Ordering::Relaxed), "schema_in_prompt": s.schema_in_prompt.load(Ordering::Relaxed),
               "schema_in_structured_outputs": s.schema_in_vllm_field.load(Ordering::Relaxed)}),
    )
}

/// A uniform number in [0, 1) from a counter (deterministic per server run).
fn unit(seed: u64, n: u64, salt: &str) -> f64 {
    let h = blake3::hash(format!("{seed}:{n}:{salt}").as_bytes());
    u64::from_le_bytes(h.as_bytes()[..8].try_into().unwrap_or_default()) as f64 / u64::MAX as f64
}

async fn chat(
    State(s): State<Arc<AppState>>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    s.requests.fetch_add(1, Ordering::Relaxed);
    let n = s.counter.fetch_add(1, Ordering::Relaxed);
    let cfg = &s.cfg;
    let auth = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let echo = if cfg.echo_key {
        format!(" (you sent: {auth})")
    } else {
        String::new()
    };
    if let Some(key) = &cfg.require_key {
        if auth != format!("Bearer {key}") {
            return api_error(
                StatusCode::UNAUTHORIZED,
                format!("Incorrect API key provided.{echo}"),
            );
        }
    }
    if cfg.latency_ms > 0.0 {
        let ms = if cfg.heavy_tail {
            // lognormal with sigma ≈ 0.99: p99 ≈ 10 × median
            let (u1, u2) = (unit(cfg.seed, n, "l1").max(1e-12), unit(cfg.seed, n, "l2"));
            let z = (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos();
            cfg.latency_ms * (0.99 * z).exp()
        } else {
            cfg.latency_ms
        };
        tokio::time::sleep(Duration::from_secs_f64(ms / 1000.0)).await;
    }
    let mut r = unit(cfg.seed, n, "fault");
    // One draw decides among the exclusive faults (429, 500, malformed, dropped, schema, hang).
    let mut fault = |p: f64| {
        let hit = r < p;
        r = if hit { f64::INFINITY } else { r - p };
        if hit {
            s.faults.fetch_add(1, Ordering::Relaxed);
        }
        hit
    };
    if fault(cfg.p429) {
        let mut h = HeaderMap::new();
        h.insert(
            "retry-after",
            "1".parse()
                .unwrap_or(axum::http::HeaderValue::from_static("1")),
        );
        return (
            StatusCode::TOO_MANY_REQUESTS,
            h,
            Json(json!({"error": {"message": format!("rate limited (injected){echo}"), "type": "rate_limit_error", "param": null, "code": null}})),
        )
            .into_response();
    }
    if fault(cfg.p500) {
        return (
            StatusCode::INTERNAL_SERVER_ERROR,
            format!("internal error (injected){echo}"),
        )
            .into_response();
    }
    if fault(cfg.pmalformed) {
        return (
            StatusCode::OK,
            [("content-type", "application/json")],
            format!("{{\"choices\": [ {{\"message\": {echo}"),
        )
            .into_response();
    }
    if fault(cfg.pdrop) {
        let stream = futures::stream::iter(vec![
            Ok(axum::body::Bytes::from_static(b"{\"id\":")),
            Err(std::io::Error::other("dropped (injected)")),
        ]);
        return Response::builder()
            .status(200)
            .header("content-type", "application/json")
            .body(Body::from_stream(stream))
            .unwrap_or_default();
    }
    if fault(cfg.pschema) {
        return Json(json!({"object": "error-page", "result": format!("upstream busy{echo}"), "choices": "none"})).into_response();
    }
    // Empty content and missing choices change a normal reply: draws of their own.
    let empty = unit(cfg.seed, n, "empty") < cfg.pempty;
    let fewer = unit(cfg.seed, n, "fewer") < cfg.pfewer;
    if fault(cfg.phang) {
        tokio::time::sleep(Duration::from_secs(3600)).await;
    }
    let Ok(req) = serde_json::from_slice::<Value>(&body) else {
        return api_error(StatusCode::BAD_REQUEST, "body is not JSON".into());
    };
    let asked = req["model"].as_str().unwrap_or_default();
    if !cfg.models.is_empty() && !cfg.models.iter().any(|m| m == asked) {
        return api_error(
            StatusCode::NOT_FOUND,
            format!("The model `{asked}` does not exist.{echo}"),
        );
    }
    let choices_n = req["n"].as_u64().unwrap_or(1);
    if cfg.reject_n && choices_n > 1 {
        return (
            StatusCode::BAD_REQUEST,
            Json(json!({"error": {"message": format!("only n = 1 is supported{echo}"), "type": "invalid_request_error", "param": "n", "code": null}})),
        )
            .into_response();
    }
    Json(completion(&s, &req, n, empty, fewer)).into_response()
}

/// A chat completion for a request (no faults, no latency): the online reply
/// and a batch line's response body are the same.
fn completion(s: &AppState, req: &Value, n: u64, empty: bool, fewer: bool) -> Value {
    let choices_n = req["n"].as_u64().unwrap_or(1);
    let prompt: String = req["messages"]
        .as_array()
        .map(|m| {
            m.iter()
                .filter_map(|x| x["content"].as_str())
                .collect::<Vec<_>>()
                .join("\n")
        })
        .unwrap_or_default();
    let seed = req["seed"].as_i64().unwrap_or(0);
    // The reply's schema, from whichever place the request carries it in
    // (counted, so tests can assert what each dialect sent).
    let in_prompt = || {
        prompt
            .lines()
            .rev()
            .find_map(|l| l.strip_prefix(crate::reply_shape::SCHEMA_LINE))
            .and_then(|s| serde_json::from_str::<Value>(s).ok())
    };
    let schema = if req["structured_outputs"]["json"].is_object() {
        s.schema_in_vllm_field.fetch_add(1, Ordering::Relaxed);
        req["structured_outputs"]["json"].clone()
    } else if req["response_format"]["type"] == "json_schema"
        && req["response_format"]["json_schema"]["schema"].is_object()
    {
        s.schema_in_body.fetch_add(1, Ordering::Relaxed);
        req["response_format"]["json_schema"]["schema"].clone()
    } else if let Some(schema) = in_prompt().filter(Value::is_object) {
        s.schema_in_prompt.fetch_add(1, Ordering::Relaxed);
        schema
    } else {
        Value::Null
    };
    // Replies honour max_tokens (≈ 4 characters a token): longer ones are cut, finish_reason "length".
    let limit = req["max_tokens"]
        .as_u64()
        .or(req["max_completion_tokens"].as_u64())
        .map(|t| t as usize * 4);
    let shown = if fewer && choices_n > 1 {
        choices_n - 1
    } else {
        choices_n
    };
    let choices: Vec<Value> = (0..shown)
        .map(|i| {
            let mut text = if empty {
                String::new()
            } else {
                reply(s, &prompt, seed, i, req["temperature"].as_f64().unwrap_or(1.0))
            };
            if !empty && schema.is_object() {
                let draw = |salt: &str| unit(s.cfg.seed ^ seed as u64, n * 16 + i, salt);
                let fault = if draw("prose") < s.cfg.pprose {
                    shaped::Fault::Prose
                } else if draw("fenced") < s.cfg.pfenced {
                    shaped::Fault::Fenced
                } else if draw("wrongtype") < s.cfg.pwrongtype {
                    shaped::Fault::WrongType
                } else {
                    shaped::Fault::None
                };
                text = shaped::answer(&schema, &text, fault);
            }
            let mut finish = "stop";
            if let Some(l) = limit.filter(|l| text.len() > *l) {
                text = text.chars().take(l).collect();
                finish = "length";
            }
            json!({"index": i, "message": {"role": "assistant", "content": text}, "finish_reason": finish})
        })
        .collect();
    let completion: usize = choices
        .iter()
        .map(|c| c["message"]["content"].as_str().unwrap_or("").len() / 4 + 1)
        .sum();
    json!({
        "id": format!("cmpl-{n}"), "object": "chat.completion", "created": 0, "model": req["model"],
        "choices": choices,
        "usage": {"prompt_tokens": prompt.len() / 4 + 1, "completion_tokens": completion, "total_tokens": prompt.len() / 4 + 1 + completion}
    })
}
