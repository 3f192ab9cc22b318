//! LLM calls over async-openai against any OpenAI-compatible endpoint:
//! concurrency limit, retries with exponential backoff and jitter, cache first.

use super::store::{CacheKey, CachedCall, Store};
use async_openai::config::OpenAIConfig;
use async_openai::error::OpenAIError;
use async_openai::types::chat::{
    ChatCompletionRequestMessage, ChatCompletionRequestSystemMessageArgs, ChatCompletionRequestUserMessageArgs,
    CreateChatCompletionRequestArgs,
};
use async_openai::Client;
use rand::Rng;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Semaphore;

/// One declared model, ready to call.
pub struct ModelClient {
    pub alias: String,
    pub model: String,
    client: Client<OpenAIConfig>,
    pub limit: Arc<Semaphore>,
    timeout: Duration,
    retries: u32,
    pub http_calls: AtomicU64,
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
    pub prompt_tokens: u64,
    pub completion_tokens: u64,
    pub cached: bool,
}

impl ModelClient {
    pub fn new(alias: &str, model: &str, endpoint: &str, key_env: &str, concurrency: usize, timeout_s: f64, retries: u32) -> Self {
        let key = std::env::var(key_env).ok().filter(|k| !k.is_empty());
        let config =
            OpenAIConfig::new().with_api_base(endpoint.trim_end_matches('/')).with_api_key(key.clone().unwrap_or_else(|| "none".into()));
        let http = reqwest_client(timeout_s);
        ModelClient {
            alias: alias.into(),
            model: model.into(),
            client: Client::with_config(config).with_http_client(http),
            limit: Arc::new(Semaphore::new(concurrency.max(1))),
            timeout: Duration::from_secs_f64(timeout_s),
            retries,
            http_calls: AtomicU64::new(0),
            secret: key,
        }
    }

    fn scrub(&self, s: &str) -> String {
        match &self.secret {
            Some(k) if k.len() >= 4 => s.replace(k.as_str(), "[redacted]"),
            _ => s.to_string(),
        }
    }

    /// The cache first; otherwise the server, with retries. The reply is stored
    /// before it is returned.
    pub async fn call(&self, key: &CacheKey, store: &Store, refresh: bool) -> Result<Reply, CallError> {
        let hash = key.hash();
        if !refresh {
            if let Some(c) = store.get(&hash) {
                return Ok(Reply { text: c.reply, prompt_tokens: c.prompt_tokens, completion_tokens: c.completion_tokens, cached: true });
            }
        }
        let mut last = (String::new(), String::new());
        for attempt in 0..=self.retries {
            if attempt > 0 {
                let base = 0.25 * 2f64.powi(attempt as i32 - 1);
                let jitter = rand::rng().random_range(0.5..1.5);
                tokio::time::sleep(Duration::from_secs_f64((base * jitter).min(20.0))).await;
            }
            let permit = self.limit.clone().acquire_owned().await;
            self.http_calls.fetch_add(1, Ordering::Relaxed);
            let result = tokio::time::timeout(self.timeout, self.send(key)).await;
            drop(permit);
            match result {
                Err(_) => last = ("timeout".into(), format!("no reply within {:?}", self.timeout)),
                Ok(Ok(reply)) => {
                    let cached = CachedCall {
                        reply: reply.text.clone(),
                        prompt_tokens: reply.prompt_tokens,
                        completion_tokens: reply.completion_tokens,
                    };
                    if let Err(e) = store.put(&hash, key, &cached) {
                        return Err(CallError::Failed { reason: "store".into(), raw: e.to_string() });
                    }
                    return Ok(reply);
                }
                Ok(Err((reason, raw, retry))) => {
                    last = (reason, self.scrub(&raw));
                    if !retry {
                        break;
                    }
                }
            }
        }
        Err(CallError::Failed { reason: last.0, raw: last.1 })
    }

    async fn send(&self, key: &CacheKey) -> Result<Reply, (String, String, bool)> {
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
        if let Some(s) = key.seed {
            req.seed(s + key.sample as i64);
        }
        let req = req.build().map_err(|e| ("request".to_string(), e.to_string(), false))?;
        match self.client.chat().create(req).await {
            Ok(resp) => {
                let Some(choice) = resp.choices.first() else {
                    return Err(("no-choices".into(), "the reply had no choices".into(), true));
                };
                let text = choice.message.content.clone().unwrap_or_default();
                if text.trim().is_empty() {
                    return Err(("empty-reply".into(), format!("{resp:?}").chars().take(2000).collect(), true));
                }
                let usage = resp.usage.as_ref();
                Ok(Reply {
                    text,
                    prompt_tokens: usage.map_or(0, |u| u.prompt_tokens as u64),
                    completion_tokens: usage.map_or(0, |u| u.completion_tokens as u64),
                    cached: false,
                })
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

fn reqwest_client(timeout_s: f64) -> reqwest::Client {
    reqwest::Client::builder().timeout(Duration::from_secs_f64(timeout_s)).pool_max_idle_per_host(1024).build().unwrap_or_default()
}
