//! The retry loop of one logical request: backoff with jitter, a `Retry-After`
//! pause for the whole model, request and token buckets, budget and signal
//! halts, and the fail-fast rule — an endpoint that nobody answers for a few
//! seconds, or that refuses our key or model, stops the run with advice instead
//! of being retried record by record.

use crate::run::client::gate::Priority;
use crate::run::client::model::{ModelClient, Reply};
use crate::run::client::replica::Replicas;
use crate::run::client::wire::{WireError, RETRY_AFTER};
use crate::run::exec::failure::{CallError, FailReason};
use crate::run::exec::halt::StopReason;
use crate::run::store::CacheKey;
use rand::Rng;
use std::sync::atomic::Ordering;
use std::time::Duration;
use tokio::time::Instant;

/// How long every connection to an endpoint may fail before the run stops.
pub const UNREACHABLE_AFTER: Duration = Duration::from_secs(3);

pub enum AskError {
    /// The server answered 400 to `n > 1` (llama.cpp does): send samples one by one.
    NRefused,
    Failed(CallError),
}

impl ModelClient {
    /// One logical request (`n` completions), retried on what retrying can fix.
    pub(super) async fn ask(
        &self,
        key: &CacheKey,
        n: usize,
        priority: Priority,
    ) -> Result<Vec<Reply>, AskError> {
        // Until the endpoint has answered once, one request at a time.
        // A request that queued behind the probe before the answer came goes on at
        // once: holding the lock for its whole request made every request queued
        // at the start run one after another.
        let _probe = if self.reached.load(Ordering::Acquire) {
            None
        } else {
            let guard = self.probe.lock().await;
            (!self.reached.load(Ordering::Acquire)).then_some(guard)
        };
        let mut last = (FailReason::Client, String::new());
        let estimate = key
            .messages
            .iter()
            .map(|(_, m)| crate::defaults::estimated_tokens(m))
            .sum::<f64>()
            + crate::defaults::estimated_completion(key.max_tokens.map(f64::from)) * n as f64;
        // The replicas (a local model's server starts here, on the first call that misses the cache).
        // (Once they are there, no wait to race against a stop.)
        let replicas = match self.replicas.get() {
            Some(r) => Ok(r),
            None => tokio::select! {
                r = self.api() => r,
                _ = self.halt.cancelled() => return Err(AskError::Failed(CallError::Stopped)),
            },
        };
        let replicas = match replicas {
            Ok(r) => r,
            Err(e) => {
                let e = WireError::new(FailReason::LocalServer, e.to_string());
                let stop = self
                    .endpoint_problem(&e, None)
                    .await
                    .unwrap_or(StopReason::Interrupted);
                self.halt.stop(stop);
                return Err(AskError::Failed(CallError::Stopped));
            }
        };
        // A retry goes to another replica when there is one.
        let mut avoid = None;
        for attempt in 0..=self.retries {
            let mut delay = Duration::ZERO;
            if attempt > 0 {
                self.retried.fetch_add(1, Ordering::Relaxed);
                tracing::debug!(model = %self.alias, attempt, "retrying after {}: {}", last.0, last.1);
                let base = 0.25 * 2f64.powi(attempt as i32 - 1);
                let jitter = rand::rng().random_range(0.5..1.5);
                delay = Duration::from_secs_f64((base * jitter).min(20.0));
            }
            let paused = self
                .paused_until
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .map(|t| t.saturating_duration_since(Instant::now()));
            // (A zero sleep still takes a trip through the timer: skipped.)
            let wait = delay.max(paused.unwrap_or_default());
            if !wait.is_zero() {
                tokio::time::sleep(wait).await;
            }
            if self.halt.admit().is_err() {
                return Err(AskError::Failed(CallError::Stopped));
            }
            if let Some(b) = &self.rpm {
                b.take(1.0).await;
            }
            if let Some(b) = &self.tpm {
                b.take(estimate).await;
            }
            let permit = self.limit.acquire(priority).await;
            let flight = replicas.begin(priority.0, avoid).await;
            let (result, retry_after) = RETRY_AFTER
                .scope(std::cell::Cell::new(None), async {
                    // After a stop, calls in flight get the grace period, then are abandoned.
                    // (Biased: the request is polled first, with no random draw per poll.)
                    let r = tokio::select! {
                        biased;
                        r = tokio::time::timeout(self.timeout, self.send(&flight.replica.client, key, n)) => r,
                        _ = self.halt.cancelled() => return (None, None),
                    };
                    (Some(r), RETRY_AFTER.with(|c| c.get()))
                })
                .await;
            match &result {
                Some(Err(_)) => replicas.failed(&flight, FailReason::Timeout),
                Some(Ok(Err(e))) => replicas.failed(&flight, e.reason),
                Some(Ok(Ok(_))) => replicas.answered(&flight),
                None => {}
            }
            avoid = Some(flight.index);
            drop(flight);
            drop(permit);
            if let Some(d) = retry_after {
                let until = Instant::now() + d.min(Duration::from_secs(600));
                let mut p = self.paused_until.lock().unwrap_or_else(|p| p.into_inner());
                *p = Some(p.map_or(until, |old| old.max(until)));
            }
            let Some(result) = result else {
                return Err(AskError::Failed(CallError::Stopped));
            };
            match result {
                Err(_) => {
                    last = (
                        FailReason::Timeout,
                        format!("no reply within {:?}", self.timeout),
                    )
                }
                Ok(Ok(replies)) => {
                    self.answered();
                    let (p, c) = replies.iter().fold((0, 0), |a, r| {
                        (a.0 + r.prompt_tokens, a.1 + r.completion_tokens)
                    });
                    self.halt.charge(p, c, self.prices.0, self.prices.1);
                    if let Some(b) = &self.tpm {
                        b.settle((p + c) as f64 - estimate);
                    }
                    return Ok(replies);
                }
                Ok(Err(WireError {
                    reason: FailReason::Http(400),
                    ..
                })) if n > 1 => {
                    self.answered();
                    return Err(AskError::NRefused);
                }
                Ok(Err(e)) => {
                    if let Some(stop) = self.endpoint_problem(&e, Some(replicas)).await {
                        self.halt.stop(stop);
                        return Err(AskError::Failed(CallError::Stopped));
                    }
                    let retry = e.reason.retryable();
                    last = (e.reason, self.scrub(&e.raw));
                    if !retry {
                        break;
                    }
                }
            }
        }
        Err(AskError::Failed(CallError::failed(last.0, last.1)))
    }

    /// The server answered (whatever it said): it is there.
    fn answered(&self) {
        self.reached.store(true, Ordering::Release);
    }

    /// Errors that waiting will not fix: nobody answers (for `UNREACHABLE_AFTER`),
    /// the key is refused, or the model does not exist. Transient errors (429,
    /// 5xx, timeouts) are not among them.
    async fn endpoint_problem(
        &self,
        e: &WireError,
        replicas: Option<&Replicas>,
    ) -> Option<StopReason> {
        let stop = |problem: String, advice: String| StopReason::Endpoint {
            model: self.alias.clone(),
            endpoint: self.endpoint.clone(),
            problem,
            advice,
        };
        match e.reason {
            FailReason::Connection => {
                // Every replica refusing, for a while: one dead replica among live ones is routed around.
                let refusing = replicas.and_then(Replicas::all_refusing_for).unwrap_or_default();
                (refusing >= UNREACHABLE_AFTER).then(|| {
                    stop(
                        format!("{} (for {} s)", self.scrub(&e.raw), refusing.as_secs()),
                        "start an OpenAI-compatible server there, or point the model at one with `endpoint = \"http://…/v1\"` \
                         or OPENAI_BASE_URL, or run `regen run workflows/local.regen` for the embedded local model"
                            .into(),
                    )
                })
            }
            FailReason::Http(code @ (401 | 403)) => {
                self.answered();
                let key_state = match std::env::var(&self.key_env) {
                    Ok(k) if !k.is_empty() => "is set, but the server does not accept it",
                    _ => "is not set",
                };
                Some(stop(
                    format!("the server refused the request (HTTP {code}): {}", self.scrub(&e.raw)),
                    format!("the API key comes from the environment variable {} (`api_key_env`), which {key_state}", self.key_env),
                ))
            }
            FailReason::LocalServer => Some(stop(
                e.raw.clone(),
                "the embedded model's set-up failed: the message above names the step and its log; fix the cause and run again".into(),
            )),
            FailReason::Http(404) => {
                self.answered();
                let offered = crate::run::client::wire::list_models(&self.endpoint, &self.key_env).await;
                let advice = match offered {
                    Ok(names) if !names.is_empty() => {
                        format!("the server offers: {}; set `name = \"…\"` in the model (or REGEN_MODEL) to one of them", names.join(", "))
                    }
                    _ => "check the model's `name` and that the endpoint ends in /v1".into(),
                };
                Some(stop(format!("no model `{}` here (HTTP 404): {}", self.model, self.scrub(&e.raw)), advice))
            }
            _ => {
                self.answered();
                None
            }
        }
    }
}
