//! LLM calls over async-openai against any OpenAI-compatible endpoint:
//! cache first; concurrency, request-rate and token-rate limits; retries with
//! exponential backoff and jitter that honour `Retry-After`; `samples` sent as
//! the API's `n` where the server takes it.

use super::gate::{Gate, Priority};
use super::ratelimit::Bucket;
use super::store::{CacheKey, CachedCall, Store};
use async_openai::config::OpenAIConfig;
use async_openai::error::OpenAIError;
use async_openai::middleware::HttpRequestFactory;
use async_openai::types::chat::{
    ChatCompletionRequestMessage, ChatCompletionRequestSystemMessageArgs, ChatCompletionRequestUserMessageArgs,
    CreateChatCompletionRequestArgs,
};
use async_openai::Client;
use rand::Rng;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::time::Instant;

tokio::task_local! {
    /// The `Retry-After` of the last reply seen by this call (set by the HTTP service).
    static RETRY_AFTER: std::cell::Cell<Option<Duration>>;
}

/// One declared model, ready to call.
pub struct ModelClient {
    pub alias: String,
    pub model: String,
    client: Client<OpenAIConfig>,
    pub limit: Arc<Gate>,
    timeout: Duration,
    retries: u32,
    /// Requests that reached the wire (counted by the HTTP service, retries included).
    pub http_calls: Arc<AtomicU64>,
    rpm: Option<Bucket>,
    tpm: Option<Bucket>,
    /// A 429's `Retry-After` pauses every request to this model, not just the one.
    paused_until: Mutex<Option<Instant>>,
    /// Send `samples` as `n`; turned off for good when the server refuses it.
    n_per_request: AtomicBool,
    halt: Arc<super::halt::Halt>,
    /// One request per distinct prompt at a time: a second record asking the same
    /// thing waits for the first and takes its answer from the cache.
    inflight: Mutex<std::collections::HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
    refreshed: Mutex<std::collections::HashSet<String>>,
    /// Per million prompt / completion tokens, for the cost budget.
    prices: (f64, f64),
    /// Values that must never appear in messages we print or store.
    secret: Option<String>,
}

#[derive(Debug)]
pub enum CallError {
    /// Failed for good after retries: reason and the raw text seen.
    Failed { reason: String, raw: String },
}

pub struct Reply {
    pub text: String,
    /// Cut off at max_tokens (finish_reason "length").
    pub truncated: bool,
    pub prompt_tokens: u64,
    pub completion_tokens: u64,
    pub cached: bool,
}

/// How to reach and pace one model.
pub struct ModelSpec<'a> {
    pub alias: &'a str,
    pub model: &'a str,
    pub endpoint: &'a str,
    pub key_env: &'a str,
    pub concurrency: usize,
    pub timeout_s: f64,
    pub retries: u32,
    pub requests_per_minute: Option<f64>,
    pub tokens_per_minute: Option<f64>,
    pub n_per_request: bool,
    pub halt: Arc<super::halt::Halt>,
    pub price_prompt: f64,
    pub price_completion: f64,
}

impl ModelClient {
    pub fn new(spec: &ModelSpec) -> Self {
        let key = std::env::var(spec.key_env).ok().filter(|k| !k.is_empty());
        let config = OpenAIConfig::new()
            .with_api_base(spec.endpoint.trim_end_matches('/'))
            .with_api_key(key.clone().unwrap_or_else(|| "none".into()));
        let http_calls = Arc::new(AtomicU64::new(0));
        ModelClient {
            alias: spec.alias.into(),
            model: spec.model.into(),
            client: Client::with_config(config).with_http_service(http_service(reqwest_client(spec.timeout_s), http_calls.clone())),
            limit: Gate::new(spec.concurrency),
            timeout: Duration::from_secs_f64(spec.timeout_s),
            retries: spec.retries,
            http_calls,
            rpm: spec.requests_per_minute.map(Bucket::per_minute),
            tpm: spec.tokens_per_minute.map(Bucket::per_minute),
            paused_until: Mutex::new(None),
            n_per_request: AtomicBool::new(spec.n_per_request),
            halt: spec.halt.clone(),
            inflight: Mutex::new(std::collections::HashMap::new()),
            refreshed: Mutex::new(std::collections::HashSet::new()),
            prices: (spec.price_prompt, spec.price_completion),
            secret: key,
        }
    }

    fn scrub(&self, s: &str) -> String {
        match &self.secret {
            Some(k) if k.len() >= 4 => s.replace(k.as_str(), "[redacted]"),
            _ => s.to_string(),
        }
    }

    /// Samples of one prompt (keys that differ only in `sample`): cached ones from
    /// the store, the rest as one request with `n` where the server takes it,
    /// else one request each. Results are in the order of `keys`; a fresh reply is
    /// stored before it is returned.
    pub async fn call_samples(&self, keys: &[CacheKey], store: &Store, refresh: bool, priority: Priority) -> Vec<Result<Reply, CallError>> {
        if keys.is_empty() {
            return vec![];
        }
        // Serialise and hash each key once: the cache lookup, the write and the in-flight map share it.
        let ids: Vec<(String, String)> = keys.iter().map(CacheKey::identity).collect();
        let flight = ids[0].0.clone();
        let lock = self.inflight.lock().unwrap_or_else(|p| p.into_inner()).entry(flight.clone()).or_default().clone();
        let guard = lock.lock().await;
        // `--refresh` re-asks a prompt once per run; later records with it take the fresh answer.
        let refresh = refresh && self.refreshed.lock().unwrap_or_else(|p| p.into_inner()).insert(flight.clone());
        let out = self.call_samples_once(keys, &ids, store, refresh, priority).await;
        drop(guard);
        let mut map = self.inflight.lock().unwrap_or_else(|p| p.into_inner());
        if Arc::strong_count(&lock) <= 2 {
            map.remove(&flight);
        }
        out
    }

    async fn call_samples_once(
        &self,
        keys: &[CacheKey],
        ids: &[(String, String)],
        store: &Store,
        refresh: bool,
        priority: Priority,
    ) -> Vec<Result<Reply, CallError>> {
        let mut out: Vec<Option<Result<Reply, CallError>>> = keys.iter().map(|_| None).collect();
        let mut missing = Vec::new();
        for i in 0..keys.len() {
            match store.get(&ids[i].0).filter(|_| !refresh) {
                Some(c) => {
                    out[i] = Some(Ok(Reply {
                        text: c.reply,
                        truncated: c.truncated,
                        prompt_tokens: c.prompt_tokens,
                        completion_tokens: c.completion_tokens,
                        cached: true,
                    }))
                }
                None => missing.push(i),
            }
        }
        if missing.len() > 1 && self.n_per_request.load(Ordering::Relaxed) {
            match self.ask(&keys[missing[0]], missing.len(), priority).await {
                Ok(replies) => {
                    let got = replies.len().min(missing.len());
                    for (reply, &i) in replies.into_iter().zip(&missing) {
                        out[i] = Some(self.keep(&ids[i], reply, store).await);
                    }
                    // Fewer choices than asked: the rest go one by one.
                    missing.drain(..got);
                }
                Err(AskError::NRefused) => self.n_per_request.store(false, Ordering::Relaxed),
                Err(AskError::Failed(reason, raw)) => {
                    for &i in &missing {
                        out[i] = Some(Err(CallError::Failed { reason: reason.clone(), raw: raw.clone() }));
                    }
                    missing.clear();
                }
            }
        }
        let singles = futures::future::join_all(missing.iter().map(|&i| async move {
            let r = match self.ask(&keys[i], 1, priority).await {
                Ok(mut replies) => match replies.pop() {
                    Some(reply) => self.keep(&ids[i], reply, store).await,
                    None => Err(CallError::Failed { reason: "no-choices".into(), raw: String::new() }),
                },
                Err(AskError::Failed(reason, raw)) => Err(CallError::Failed { reason, raw }),
                Err(AskError::NRefused) => Err(CallError::Failed { reason: "http-400".into(), raw: "refused".into() }),
            };
            (i, r)
        }))
        .await;
        for (i, r) in singles {
            out[i] = Some(r);
        }
        out.into_iter().map(|r| r.unwrap_or_else(|| Err(CallError::Failed { reason: "client".into(), raw: String::new() }))).collect()
    }

    /// Store a fresh reply before anyone sees it: the cache is the resume log.
    async fn keep(&self, id: &(String, String), reply: Reply, store: &Store) -> Result<Reply, CallError> {
        let cached = CachedCall {
            reply: reply.text.clone(),
            prompt_tokens: reply.prompt_tokens,
            completion_tokens: reply.completion_tokens,
            truncated: reply.truncated,
        };
        match store.put(&id.0, &id.1, &cached).await {
            Ok(()) => Ok(reply),
            Err(e) => Err(CallError::Failed { reason: "store".into(), raw: e.to_string() }),
        }
    }

    /// One logical request (`n` completions), retried on what retrying can fix.
    async fn ask(&self, key: &CacheKey, n: usize, priority: Priority) -> Result<Vec<Reply>, AskError> {
        let mut last = (String::new(), String::new());
        let estimate = key.messages.iter().map(|(_, m)| m.len() as f64 / 4.0).sum::<f64>()
            + key.max_tokens.map_or(300.0, |m| f64::from(m.min(512))) * n as f64;
        for attempt in 0..=self.retries {
            let mut delay = Duration::ZERO;
            if attempt > 0 {
                let base = 0.25 * 2f64.powi(attempt as i32 - 1);
                let jitter = rand::rng().random_range(0.5..1.5);
                delay = Duration::from_secs_f64((base * jitter).min(20.0));
            }
            if let Err(why) = self.halt.admit() {
                let code = if why.starts_with("budget") { "budget" } else { "interrupted" };
                return Err(AskError::Failed(code.into(), why));
            }
            let paused = self.paused_until.lock().unwrap_or_else(|p| p.into_inner()).map(|t| t.saturating_duration_since(Instant::now()));
            tokio::time::sleep(delay.max(paused.unwrap_or_default())).await;
            if let Some(b) = &self.rpm {
                b.take(1.0).await;
            }
            if let Some(b) = &self.tpm {
                b.take(estimate).await;
            }
            let permit = self.limit.acquire(priority).await;
            let (result, retry_after) = RETRY_AFTER
                .scope(std::cell::Cell::new(None), async {
                    // After a stop, calls in flight get the grace period, then are abandoned.
                    let r = tokio::select! {
                        r = tokio::time::timeout(self.timeout, self.send(key, n)) => r,
                        _ = self.halt.cancelled() => Ok(Err(("interrupted".to_string(), "abandoned after the grace period".to_string(), false))),
                    };
                    (r, RETRY_AFTER.with(|c| c.get()))
                })
                .await;
            drop(permit);
            if let Some(d) = retry_after {
                let until = Instant::now() + d.min(Duration::from_secs(600));
                let mut p = self.paused_until.lock().unwrap_or_else(|p| p.into_inner());
                *p = Some(p.map_or(until, |old| old.max(until)));
            }
            match result {
                Err(_) => last = ("timeout".into(), format!("no reply within {:?}", self.timeout)),
                Ok(Ok(replies)) => {
                    let (p, c) = replies.iter().fold((0, 0), |a, r| (a.0 + r.prompt_tokens, a.1 + r.completion_tokens));
                    self.halt.charge(p, c, self.prices.0, self.prices.1);
                    if let Some(b) = &self.tpm {
                        b.settle((p + c) as f64 - estimate);
                    }
                    return Ok(replies);
                }
                Ok(Err((reason, _, _))) if n > 1 && reason == "http-400" => return Err(AskError::NRefused),
                Ok(Err((reason, raw, retry))) => {
                    last = (reason, self.scrub(&raw));
                    if !retry {
                        break;
                    }
                }
            }
        }
        Err(AskError::Failed(last.0, last.1))
    }

    async fn send(&self, key: &CacheKey, n: usize) -> Result<Vec<Reply>, (String, String, bool)> {
        let mut messages: Vec<ChatCompletionRequestMessage> = Vec::new();
        for (role, content) in &key.messages {
            let m = if role == "system" {
                ChatCompletionRequestSystemMessageArgs::default().content(content.as_str()).build().map(Into::into)
            } else {
                ChatCompletionRequestUserMessageArgs::default().content(content.as_str()).build().map(Into::into)
            };
            messages.push(m.map_err(|e| ("request".to_string(), e.to_string(), false))?);
        }
        let mut req = CreateChatCompletionRequestArgs::default();
        req.model(&self.model).messages(messages);
        if n > 1 {
            req.n(n as u8);
        }
        if let Some(t) = key.temperature {
            req.temperature(t as f32);
        }
        if let Some(p) = key.top_p {
            req.top_p(p as f32);
        }
        if let Some(m) = key.max_tokens {
            #[allow(deprecated)]
            req.max_tokens(m);
        }
        if let Some(s) = key.request_seed() {
            req.seed(s);
        }
        let req = req.build().map_err(|e| ("request".to_string(), e.to_string(), false))?;
        match self.client.chat().create(req).await {
            Ok(resp) => {
                let texts: Vec<(String, bool)> = resp
                    .choices
                    .iter()
                    .map(|c| {
                        let cut = c.finish_reason == Some(async_openai::types::chat::FinishReason::Length);
                        (c.message.content.clone().unwrap_or_default(), cut)
                    })
                    .collect();
                if texts.is_empty() {
                    return Err(("no-choices".into(), "the reply had no choices".into(), true));
                }
                if texts.iter().all(|t| t.0.trim().is_empty()) {
                    return Err(("empty-reply".into(), format!("{resp:?}").chars().take(2000).collect(), true));
                }
                // Usage covers every choice: it goes on the first so totals stay right.
                let usage = resp.usage.as_ref();
                Ok(texts
                    .into_iter()
                    .filter(|t| !t.0.trim().is_empty())
                    .enumerate()
                    .map(|(i, (text, truncated))| Reply {
                        text,
                        truncated,
                        prompt_tokens: if i == 0 { usage.map_or(0, |u| u.prompt_tokens as u64) } else { 0 },
                        completion_tokens: if i == 0 { usage.map_or(0, |u| u.completion_tokens as u64) } else { 0 },
                        cached: false,
                    })
                    .collect())
            }
            Err(OpenAIError::ApiError(e)) => {
                let code = e.status_code.as_u16();
                let retry = code == 429 || code >= 500 || code == 408;
                Err((format!("http-{code}"), e.api_error.message.clone(), retry))
            }
            Err(OpenAIError::JSONDeserialize(e, raw)) => {
                Err(("malformed-reply".into(), format!("{e}: {}", raw.chars().take(2000).collect::<String>()), true))
            }
            Err(OpenAIError::Reqwest(e)) => Err((if e.is_timeout() { "timeout" } else { "connection" }.into(), e.to_string(), true)),
            Err(e) => Err(("client".into(), e.to_string(), true)),
        }
    }
}

enum AskError {
    /// The server answered 400 to `n > 1` (llama.cpp does): send samples one by one.
    NRefused,
    Failed(String, String),
}

/// The HTTP path under async-openai: count every request that reaches the wire and
/// note a `Retry-After`, with no retry layer of its own (regen retries itself, so
/// it can count, pace and record each attempt).
fn http_service(
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
            let response = client.execute(request).await.map_err(OpenAIError::Reqwest)?;
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
    v.trim().parse::<f64>().ok().filter(|s| s.is_finite() && *s >= 0.0).map(Duration::from_secs_f64)
}

fn reqwest_client(timeout_s: f64) -> reqwest::Client {
    reqwest::Client::builder().timeout(Duration::from_secs_f64(timeout_s)).pool_max_idle_per_host(1024).build().unwrap_or_default()
}
