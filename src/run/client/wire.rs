//! One request on the wire: async-openai over our own HTTP service (which counts
//! every request and notes `Retry-After`), and what went wrong in plain words.

use crate::run::client::error::ClientError;
use crate::run::client::model::{ModelClient, Reply};
use crate::run::exec::failure::FailReason;
use crate::run::store::CacheKey;
use async_openai::error::OpenAIError;
use async_openai::middleware::HttpRequestFactory;
use serde::{Deserialize, Serialize};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

tokio::task_local! {
    /// The `Retry-After` of the last reply seen by this call (set by the HTTP service).
    pub static RETRY_AFTER: std::cell::Cell<Option<Duration>>;
}

/// A failed attempt: why, and the raw text seen.
#[derive(Debug)]
pub struct WireError {
    pub reason: FailReason,
    pub raw: String,
}

impl WireError {
    pub fn new(reason: FailReason, raw: impl Into<String>) -> Self {
        WireError {
            reason,
            raw: raw.into(),
        }
    }
}

impl ModelClient {
    pub(super) async fn send(
        &self,
        client: &async_openai::Client<async_openai::config::OpenAIConfig>,
        key: &CacheKey,
        n: usize,
    ) -> Result<Vec<Reply>, WireError> {
        match client
            .chat()
            .create_byot::<_, ChatReply>(self.request(key, n))
            .await
        {
            Ok(resp) => {
                if resp.choices.is_empty() {
                    return Err(WireError::new(
                        FailReason::NoChoices,
                        "the reply had no choices",
                    ));
                }
                if resp.choices.iter().all(|c| {
                    c.message
                        .content
                        .as_deref()
                        .unwrap_or_default()
                        .trim()
                        .is_empty()
                }) {
                    return Err(WireError::new(
                        FailReason::EmptyReply,
                        format!("{resp:?}").chars().take(2000).collect::<String>(),
                    ));
                }
                // Usage covers every choice: it goes on the first so totals stay right.
                let usage = resp.usage;
                Ok(resp
                    .choices
                    .into_iter()
                    .map(|c| {
                        (
                            c.message.content.unwrap_or_default(),
                            c.finish_reason.as_deref() == Some("length"),
                        )
                    })
                    .filter(|t| !t.0.trim().is_empty())
                    .enumerate()
                    .map(|(i, (text, truncated))| Reply {
                        text,
                        truncated,
                        prompt_tokens: if i == 0 {
                            usage.map_or(0, |u| u.prompt_tokens)
                        } else {
                            0
                        },
                        completion_tokens: if i == 0 {
                            usage.map_or(0, |u| u.completion_tokens)
                        } else {
                            0
                        },
                        cached: false,
                    })
                    .collect())
            }
            Err(OpenAIError::ApiError(e)) => Err(WireError::new(
                FailReason::Http(e.status_code.as_u16()),
                e.api_error.message.clone(),
            )),
            Err(OpenAIError::JSONDeserialize(e, raw)) => Err(WireError::new(
                FailReason::MalformedReply,
                format!("{e}: {}", raw.chars().take(2000).collect::<String>()),
            )),
            Err(OpenAIError::Reqwest(e)) => Err(transport(&e)),
            Err(e) => Err(WireError::new(FailReason::Client, e.to_string())),
        }
    }

    /// The chat request for a key: what `send` posts, and a batch line's body.
    pub(super) fn request<'a>(&'a self, key: &'a CacheKey, n: usize) -> ChatRequest<'a> {
        ChatRequest {
            messages: key
                .messages
                .iter()
                .map(|(role, content)| ChatMessage {
                    role: if role == "system" { "system" } else { "user" },
                    content,
                })
                .collect(),
            model: &self.model,
            max_tokens: key.max_tokens,
            // The caller chunks samples to MAX_N, so this always fits.
            n: (n > 1).then(|| n.min(crate::run::client::model::MAX_N) as u8),
            seed: key.request_seed(),
            temperature: key.temperature,
            top_p: key.top_p,
            response_format: key.response_format.as_ref(),
            structured_outputs: key.structured_outputs.as_ref(),
        }
    }
}

/// The chat completion request body, borrowing the key's messages (async-openai's
/// typed request would copy every prompt). Its fields and their order are those
/// of async-openai's `CreateChatCompletionRequest` with the same values set.
#[derive(Serialize)]
pub(super) struct ChatRequest<'a> {
    messages: Vec<ChatMessage<'a>>,
    model: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    max_tokens: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    n: Option<u8>,
    #[serde(skip_serializing_if = "Option::is_none")]
    seed: Option<i64>,
    // f64, as the workflow wrote them: an f32 widened later (a batch line's
    // JSON value) reads 1.2000000476837158 where the workflow said 1.2.
    #[serde(skip_serializing_if = "Option::is_none")]
    temperature: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    top_p: Option<f64>,
    /// A step's `reply:` shape as a JSON Schema (OpenAI's form, which vLLM,
    /// SGLang and llama.cpp's server take too).
    #[serde(skip_serializing_if = "Option::is_none")]
    response_format: Option<&'a serde_json::Value>,
    /// vLLM's own structured-output field (`reply_format = "vllm"`).
    #[serde(skip_serializing_if = "Option::is_none")]
    structured_outputs: Option<&'a serde_json::Value>,
}

#[derive(Serialize)]
struct ChatMessage<'a> {
    role: &'static str,
    content: &'a str,
}

/// The parts of a chat completion regen reads. A reply without a list of
/// choices does not parse: a malformed reply, as before.
#[derive(Debug, Deserialize)]
struct ChatReply {
    choices: Vec<ChatChoice>,
    usage: Option<ChatUsage>,
}

#[derive(Debug, Deserialize)]
struct ChatChoice {
    message: ChatChoiceMessage,
    finish_reason: Option<String>,
}

#[derive(Debug, Deserialize)]
struct ChatChoiceMessage {
    content: Option<String>,
}

#[derive(Debug, Deserialize, Clone, Copy)]
struct ChatUsage {
    prompt_tokens: u64,
    completion_tokens: u64,
}

/// A transport error in plain words: refused, DNS, TLS, timeout or a broken reply.
fn transport(e: &reqwest::Error) -> WireError {
    if e.is_timeout() {
        return WireError::new(FailReason::Timeout, e.to_string());
    }
    // The useful part ("Connection refused", "dns error", "certificate") is deep in the chain.
    let mut chain = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        chain.push_str(": ");
        chain.push_str(&s.to_string());
        source = s.source();
    }
    let lower = chain.to_lowercase();
    let what = if lower.contains("refused") {
        "connection refused: nothing listens there"
    } else if lower.contains("dns") || lower.contains("resolve") || lower.contains("lookup") {
        "DNS failure: the host name does not resolve"
    } else if lower.contains("certificate") || lower.contains("tls") || lower.contains("ssl") {
        "TLS failure: the secure connection could not be set up"
    } else if e.is_connect() {
        "could not connect"
    } else if !e.is_body() && !e.is_decode() && e.status().is_none() {
        // Accepted and closed with no HTTP answer at all: nothing that speaks the API is there.
        "the connection was closed without an HTTP answer"
    } else {
        // The connection was made but broke: retried, and not a sign that nobody is there.
        return WireError::new(FailReason::Disconnected, chain);
    };
    WireError::new(FailReason::Connection, format!("{what} ({chain})"))
}

/// The model names an endpoint offers (`GET /models`), for the advice on a 404.
pub async fn list_models(endpoint: &str, key_env: &str) -> Result<Vec<String>, reqwest::Error> {
    let url = format!("{}/models", endpoint.trim_end_matches('/'));
    let mut req = reqwest_client(10.0)?.get(&url);
    if let Ok(key) = std::env::var(key_env) {
        req = req.bearer_auth(key);
    }
    let body: serde_json::Value = req.send().await?.json().await?;
    Ok(body["data"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|m| m["id"].as_str().map(str::to_string))
        .collect())
}

/// The HTTP path under async-openai: count every request that reaches the wire and
/// note a `Retry-After`, with no retry layer of its own (regen retries itself, so
/// it can count, pace and record each attempt).
pub fn http_service(
    client: reqwest::Client,
    counter: Arc<AtomicU64>,
) -> impl tower::Service<
    HttpRequestFactory,
    Response = reqwest::Response,
    Error = OpenAIError,
    Future = impl std::future::Future<Output = Result<reqwest::Response, OpenAIError>> + Send,
> + Clone
       + Send
       + Sync
       + 'static {
    tower::service_fn(move |factory: HttpRequestFactory| {
        let (client, counter) = (client.clone(), counter.clone());
        async move {
            let request = factory.build().await?;
            counter.fetch_add(1, Ordering::Relaxed);
            let response = client
                .execute(request)
                .await
                .map_err(OpenAIError::Reqwest)?;
            if let Some(d) = retry_after(response.headers()) {
                let _ = RETRY_AFTER.try_with(|c| c.set(Some(d)));
            }
            Ok(response)
        }
    })
}

/// `Retry-After: <seconds>` (the HTTP-date form is rare on these APIs and ignored).
fn retry_after(headers: &reqwest::header::HeaderMap) -> Option<Duration> {
    let v = headers.get(reqwest::header::RETRY_AFTER)?.to_str().ok()?;
    v.trim()
        .parse::<f64>()
        .ok()
        .filter(|s| s.is_finite() && *s >= 0.0)
        .map(Duration::from_secs_f64)
}

/// An HTTP client with a timeout; one that cannot be built is an error, never a
/// default client without the timeout and the no-redirect policy.
pub fn reqwest_client(timeout_s: f64) -> Result<reqwest::Client, reqwest::Error> {
    client_builder()
        .timeout(Duration::from_secs_f64(timeout_s))
        .build()
}

/// The client under a model's calls to `endpoint`. No timer of its own: the
/// retry loop bounds each attempt (reply body included) with the model's
/// `timeout`, and a second timer per request would only cost CPU. A plain
/// `http://` endpoint (a local vLLM or llama.cpp) never does TLS, and redirects
/// are off, so its client loads no root certificates (tens of milliseconds at
/// start-up).
pub fn model_http_client(endpoint: &str) -> Result<reqwest::Client, ClientError> {
    let plain = endpoint
        .trim_start()
        .get(..7)
        .is_some_and(|s| s.eq_ignore_ascii_case("http://"));
    let builder = if plain {
        client_builder().tls_certs_only([])
    } else {
        client_builder()
    };
    builder.build().map_err(|source| ClientError::Http {
        endpoint: endpoint.to_string(),
        source,
    })
}

fn client_builder() -> reqwest::ClientBuilder {
    // No redirects: an API endpoint does not send them, and the policy runs on every request.
    reqwest::Client::builder()
        .pool_max_idle_per_host(1024)
        .redirect(reqwest::redirect::Policy::none())
}
