//! One declared model as the client sees it: where it is, how it is paced, and
//! what it has learnt about the server. Behaviour lives in `client` (cache-first
//! lookup), `retry` (the retry loop) and `wire` (one request).

use crate::run::client::gate::Gate;
use crate::run::client::ratelimit::Bucket;
use crate::run::client::replica::{Replicas, Routing};
use std::sync::atomic::{AtomicBool, AtomicU64};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::time::Instant;

/// The most completions one request asks for (OpenAI's limit for `n`).
pub const MAX_N: usize = 128;

/// One declared model, ready to call.
pub struct ModelClient {
    pub alias: String,
    pub model: String,
    /// The endpoints, as messages name them (`a, b` for replicas).
    pub(super) endpoint: String,
    pub(super) key_env: String,
    /// One API client per replica: made at once for remote endpoints; for a local
    /// model, when the first call misses the cache (starting the server), so a
    /// warm run starts none.
    pub(super) replicas: tokio::sync::OnceCell<Replicas>,
    pub(super) routing: Routing,
    pub(super) local: Option<LocalLaunch>,
    pub(super) local_server: tokio::sync::Mutex<Option<crate::local::server::LocalServer>>,
    pub limit: Arc<Gate>,
    pub(super) timeout: Duration,
    pub(super) retries: u32,
    /// Requests that reached the wire (counted by the HTTP service, retries included).
    pub http_calls: Arc<AtomicU64>,
    /// Requests sent again after an error that retrying can fix (whether the
    /// retry then succeeded or not): a counted line in the summary, not an error.
    pub retried: AtomicU64,
    pub(super) rpm: Option<Bucket>,
    pub(super) tpm: Option<Bucket>,
    /// A 429's `Retry-After` pauses every request to this model, not just the one.
    pub(super) paused_until: Mutex<Option<Instant>>,
    /// Send `samples` as `n`; turned off for good when the server refuses it.
    pub(super) n_per_request: AtomicBool,
    pub(super) halt: Arc<crate::run::exec::halt::Halt>,
    /// Until one request gets an answer, requests go one at a time: an endpoint
    /// nobody answers costs a handful of requests, not one per record.
    pub(super) reached: AtomicBool,
    pub(super) probe: tokio::sync::Mutex<()>,
    /// One request per distinct prompt at a time: a second record asking the same
    /// thing waits for the first and takes its answer from the cache. Keyed by
    /// the first 64 bits of the cache key (a collision would only make two
    /// prompts take turns).
    pub(super) inflight: Mutex<std::collections::HashMap<u64, Arc<tokio::sync::Mutex<()>>>>,
    pub(super) refreshed: Mutex<std::collections::HashSet<String>>,
    /// Answer from the cache only: a miss is a `not-cached` failure (`regen batch export`).
    pub offline: std::sync::atomic::AtomicBool,
    /// Per million prompt / completion tokens, for the cost budget.
    pub(super) prices: (f64, f64),
    /// The API key: sent with requests, and never to appear in what we print or store.
    pub(super) secret: Option<String>,
}

pub struct Reply {
    pub text: String,
    /// Cut off at max_tokens (finish_reason "length").
    pub truncated: bool,
    pub prompt_tokens: u64,
    pub completion_tokens: u64,
    pub cached: bool,
}

/// What starts a `local = true` model's server.
pub struct LocalLaunch {
    pub settings: crate::model_settings::ModelSettings,
    pub run_dir: std::path::PathBuf,
}

/// How to reach and pace one model.
pub struct ModelSpec<'a> {
    /// Set for a local model (then `endpoint` is only a label until its server starts).
    pub local: Option<LocalLaunch>,
    pub alias: &'a str,
    pub model: &'a str,
    /// One or more replicas of the same model (a local model: none until it starts).
    pub endpoints: &'a [String],
    pub routing: Routing,
    pub key_env: &'a str,
    /// Requests in flight per endpoint.
    pub concurrency: usize,
    pub timeout_s: f64,
    pub retries: u32,
    pub requests_per_minute: Option<f64>,
    pub tokens_per_minute: Option<f64>,
    pub n_per_request: bool,
    pub halt: Arc<crate::run::exec::halt::Halt>,
    pub price_prompt: f64,
    pub price_completion: f64,
}
