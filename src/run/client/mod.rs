//! The model client: every LLM call, over async-openai, against any
//! OpenAI-compatible endpoint. `model` is one declared model as the client sees
//! it; this file is the cache-first lookup (in-flight sharing, `samples` sent as
//! the API's `n` in chunks the server takes); `retry` is the retry loop (backoff,
//! Retry-After, rate buckets, halts); `wire` is one request on the wire;
//! `replica` spreads calls over endpoints, `gate` and `ratelimit` pace them, and
//! `batch` sends a step's calls through the Batch API instead.

pub(crate) mod batch;
pub(crate) mod error;
pub(crate) mod gate;
pub(crate) mod model;
mod ratelimit;
pub(crate) mod replica;
pub(crate) mod retry;
pub(crate) mod wire;

use crate::run::client::error::ClientError;
use crate::run::client::gate::{Gate, Priority};
pub use crate::run::client::model::{LocalLaunch, ModelClient, ModelSpec, Reply, MAX_N};
use crate::run::client::ratelimit::Bucket;
use crate::run::client::replica::Replicas;
use crate::run::client::retry::AskError;
pub use crate::run::exec::failure::CallError;
use crate::run::exec::failure::FailReason;
use crate::run::store::{CacheKey, CachedCall, Store};
use async_openai::config::OpenAIConfig;
use async_openai::Client;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

impl ModelClient {
    /// Err when an endpoint's HTTP client cannot be set up.
    pub fn new(spec: &ModelSpec) -> Result<Self, ClientError> {
        let key = std::env::var(spec.key_env).ok().filter(|k| !k.is_empty());
        if let Some(k) = &key {
            crate::secrets::accept_key(spec.key_env, k)?;
        }
        let http_calls = Arc::new(AtomicU64::new(0));
        let mut replicas = tokio::sync::OnceCell::new();
        if spec.local.is_none() {
            let clients = spec
                .endpoints
                .iter()
                .map(|u| api_client(u, key.as_deref(), &http_calls).map(|c| (u.clone(), c)))
                .collect::<Result<Vec<_>, ClientError>>()?;
            replicas = tokio::sync::OnceCell::new_with(Some(Replicas::new(
                clients,
                spec.routing,
                spec.concurrency,
            )));
        }
        Ok(ModelClient {
            alias: spec.alias.into(),
            model: spec.model.into(),
            endpoint: if spec.local.is_some() {
                "(embedded local model)".into()
            } else {
                spec.endpoints.join(", ")
            },
            key_env: spec.key_env.into(),
            replicas,
            routing: spec.routing,
            local: spec.local.as_ref().map(|l| LocalLaunch {
                settings: l.settings.clone(),
                run_dir: l.run_dir.clone(),
            }),
            local_server: tokio::sync::Mutex::new(None),
            // `concurrency` is per endpoint: the model's gate holds that much per replica.
            limit: Gate::new(spec.concurrency * spec.endpoints.len().max(1)),
            timeout: Duration::from_secs_f64(spec.timeout_s),
            retries: spec.retries,
            http_calls,
            retried: AtomicU64::new(0),
            rpm: spec.requests_per_minute.map(Bucket::per_minute),
            tpm: spec.tokens_per_minute.map(Bucket::per_minute),
            paused_until: Mutex::new(None),
            n_per_request: AtomicBool::new(spec.n_per_request),
            halt: spec.halt.clone(),
            reached: AtomicBool::new(false),
            probe: tokio::sync::Mutex::new(()),
            inflight: Mutex::new(std::collections::HashMap::new()),
            refreshed: Mutex::new(std::collections::HashSet::new()),
            prices: (spec.price_prompt, spec.price_completion),
            offline: AtomicBool::new(false),
            secret: key,
        })
    }

    /// The replicas, starting the local server on first use.
    pub(super) async fn api(&self) -> Result<&Replicas, ClientError> {
        self.replicas
            .get_or_try_init(|| async {
                // A model without a local launch got its replicas when it was made.
                let Some(local) = &self.local else {
                    return Err(ClientError::NoEndpoint);
                };
                let server =
                    crate::local::start(&self.alias, &local.settings, &local.run_dir).await?;
                let url = server.base_url.clone();
                *self.local_server.lock().await = Some(server);
                let client = api_client(&url, self.secret.as_deref(), &self.http_calls)?;
                Ok(Replicas::new(
                    vec![(url, client)],
                    self.routing,
                    self.limit.size,
                ))
            })
            .await
    }

    /// Calls, failures and latency per endpoint (empty before a local server starts).
    pub fn endpoint_report(&self) -> Vec<crate::run::report::run_summary::EndpointSummary> {
        self.replicas
            .get()
            .map(Replicas::report)
            .unwrap_or_default()
    }

    /// Stop the local server if this run started one.
    pub async fn stop_local(&self) {
        if let Some(server) = self.local_server.lock().await.take() {
            server.stop().await;
        }
    }

    /// The text with every form of every registered key hidden (this model's
    /// key was registered when the client was made: as given, trimmed, escaped).
    pub(super) fn scrub(&self, s: &str) -> String {
        crate::secrets::redact(s).into_owned()
    }

    /// Samples of one prompt (keys that differ only in `sample`): cached ones from
    /// the store, the rest as one request with `n` where the server takes it,
    /// else one request each. Results are in the order of `keys`; a fresh reply is
    /// stored before it is returned.
    pub async fn call_samples(
        &self,
        keys: &[CacheKey],
        store: &Store,
        refresh: bool,
        priority: Priority,
    ) -> Vec<Result<Reply, CallError>> {
        if keys.is_empty() {
            return vec![];
        }
        // Serialise and hash each key once: the cache lookup, the write and the in-flight map share it.
        let ids: Vec<(String, String)> = keys.iter().map(CacheKey::identity).collect();
        let flight = crate::run::store::key_filter::key_slot(&ids[0].0);
        let lock = self
            .inflight
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .entry(flight)
            .or_default()
            .clone();
        let guard = lock.lock().await;
        // `--refresh` re-asks a prompt once per run; later records with it take the fresh answer.
        let refresh = refresh
            && self
                .refreshed
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .insert(ids[0].0.clone());
        let out = self
            .call_samples_once(keys, ids, store, refresh, priority)
            .await;
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
        mut ids: Vec<(String, String)>,
        store: &Store,
        refresh: bool,
        priority: Priority,
    ) -> Vec<Result<Reply, CallError>> {
        let mut out: Vec<Option<Result<Reply, CallError>>> = keys.iter().map(|_| None).collect();
        let mut missing = Vec::new();
        for i in 0..keys.len() {
            if refresh {
                missing.push(i);
                continue;
            }
            match store.get(&ids[i].0) {
                Ok(Some(c)) => {
                    out[i] = Some(Ok(Reply {
                        text: c.reply,
                        truncated: c.truncated,
                        prompt_tokens: c.prompt_tokens,
                        completion_tokens: c.completion_tokens,
                        cached: true,
                    }))
                }
                Ok(None) => missing.push(i),
                // A store that cannot be read is an error, never a miss paid for again.
                Err(e) => {
                    out[i] = Some(Err(CallError::failed(
                        FailReason::Store,
                        format!("reading the cache failed: {e}"),
                    )))
                }
            }
        }
        if self.offline.load(Ordering::Relaxed) {
            for i in missing {
                out[i] = Some(Err(CallError::failed(
                    FailReason::NotCached,
                    "not in the cache, and this run makes no calls: export and import this step first",
                )));
            }
            return out
                .into_iter()
                .map(|r| {
                    r.unwrap_or_else(|| Err(CallError::failed(FailReason::Client, "no result")))
                })
                .collect();
        }
        // Samples as `n`, in chunks the API accepts; what a chunk does not cover goes one by one.
        let mut one_by_one = Vec::new();
        while missing.len() > 1 && self.n_per_request.load(Ordering::Relaxed) {
            let chunk: Vec<usize> = missing.drain(..missing.len().min(MAX_N)).collect();
            match self.ask(&keys[chunk[0]], chunk.len(), priority).await {
                Ok(replies) => {
                    let got = replies.len().min(chunk.len());
                    for (reply, &i) in replies.into_iter().zip(&chunk) {
                        out[i] = Some(self.keep(std::mem::take(&mut ids[i]), reply, store).await);
                    }
                    // Fewer choices than asked: the rest go one by one.
                    one_by_one.extend_from_slice(&chunk[got..]);
                }
                Err(AskError::NRefused) => {
                    self.n_per_request.store(false, Ordering::Relaxed);
                    one_by_one.extend(chunk);
                }
                Err(AskError::Failed(e)) => {
                    for &i in &chunk {
                        out[i] = Some(Err(e.clone()));
                    }
                }
            }
        }
        one_by_one.append(&mut missing);
        // Each single owns its key's identity, which moves on into the store's write.
        let single = |i: usize, id: (String, String)| async move {
            let r = match self.ask(&keys[i], 1, priority).await {
                Ok(mut replies) => match replies.pop() {
                    Some(reply) => self.keep(id, reply, store).await,
                    None => Err(CallError::failed(FailReason::NoChoices, "")),
                },
                Err(AskError::Failed(e)) => Err(e),
                Err(AskError::NRefused) => Err(CallError::failed(FailReason::Http(400), "refused")),
            };
            (i, r)
        };
        let singles = match one_by_one[..] {
            // The common case, one call: no join over a list of one.
            [i] => vec![single(i, std::mem::take(&mut ids[i])).await],
            _ => {
                futures::future::join_all(
                    one_by_one
                        .iter()
                        .map(|&i| single(i, std::mem::take(&mut ids[i]))),
                )
                .await
            }
        };
        for (i, r) in singles {
            out[i] = Some(r);
        }
        out.into_iter()
            .map(|r| r.unwrap_or_else(|| Err(CallError::failed(FailReason::Client, "no result"))))
            .collect()
    }

    /// Store a fresh reply before anyone sees it: the cache is the resume log.
    async fn keep(
        &self,
        (key, request): (String, String),
        reply: Reply,
        store: &Store,
    ) -> Result<Reply, CallError> {
        let cached = CachedCall {
            reply: reply.text,
            prompt_tokens: reply.prompt_tokens,
            completion_tokens: reply.completion_tokens,
            truncated: reply.truncated,
        };
        match store.put(key, request, cached).await {
            Ok(c) => Ok(Reply {
                text: c.reply,
                ..reply
            }),
            Err(e) => Err(CallError::failed(FailReason::Store, e.to_string())),
        }
    }
}

fn api_client(
    endpoint: &str,
    key: Option<&str>,
    http_calls: &Arc<AtomicU64>,
) -> Result<Client<OpenAIConfig>, ClientError> {
    let config = OpenAIConfig::new()
        .with_api_base(endpoint.trim_end_matches('/'))
        .with_api_key(key.unwrap_or("none"));
    let http = crate::run::client::wire::model_http_client(endpoint)?;
    // `build`, not `with_config`: that would make (and load TLS roots for) a client only to replace it.
    Ok(Client::build(http.clone(), config).with_http_service(
        crate::run::client::wire::http_service(http, http_calls.clone()),
    ))
}
