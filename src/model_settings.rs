//! What a `model { … }` block accepts: one list of settings with their types,
//! ranges and docs (the sampling ones shared with the steps that call a model),
//! and the typed settings the checker builds once for the run to read.

use crate::arg_spec::{arg, ArgSpec, ArgType};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// Seeds, on models and steps alike: one range, and per-sample seeds derived
/// from them wrap instead of overflowing.
pub const SEED_RANGE: ArgType = ArgType::Int {
    min: 0,
    max: i64::MAX,
};

pub const MODEL: ArgSpec = arg(
    "model",
    ArgType::Model,
    "the model declaration to call; defaults to the only one declared",
);
pub const TEMPERATURE: ArgSpec = arg(
    "temperature",
    ArgType::Float { min: 0.0, max: 2.0 },
    "sampling temperature, 0–2",
);
pub const TOP_P: ArgSpec = arg(
    "top_p",
    ArgType::Float { min: 0.0, max: 1.0 },
    "nucleus sampling mass, 0–1",
);
pub const MAX_TOKENS: ArgSpec = arg(
    "max_tokens",
    ArgType::Int {
        min: 1,
        max: 131_072,
    },
    "completion token limit",
);
pub const SEED: ArgSpec = arg("seed", SEED_RANGE, "sampling seed sent to the server");
pub const SYSTEM: ArgSpec = arg("system", ArgType::Str, "system prompt for every call");

/// Sampling and routing arguments of every step that calls a model.
pub const SAMPLING: [ArgSpec; 6] = [MODEL, TEMPERATURE, TOP_P, MAX_TOKENS, SEED, SYSTEM];

/// Every setting a `model { … }` block accepts.
pub const SETTINGS: &[ArgSpec] = &[
    arg("endpoint", ArgType::Str, "base URL of an OpenAI-compatible API, e.g. http://127.0.0.1:8080/v1"),
    arg("endpoints", ArgType::StrList, "base URLs of replicas of the same model; `concurrency` applies to each"),
    arg(
        "routing",
        ArgType::Enum(&["least_outstanding", "affinity", "round_robin"]),
        "replicas: the least busy (default); one per source record (prefix-cache reuse), spilling over when full; or each in turn",
    ),
    arg("name", ArgType::Str, "model name sent to the server"),
    arg("api_key_env", ArgType::Str, "name of the environment variable holding the API key (never the key itself)"),
    arg("local", ArgType::Bool, "regen sets up, starts and stops a local llama.cpp server with SmolLM2-135M-Instruct"),
    arg("local_context", ArgType::Int { min: 256, max: 131_072 }, "context tokens per request slot of the local server"),
    arg("local_threads", ArgType::Int { min: 1, max: 1024 }, "CPU threads of the local server"),
    TEMPERATURE,
    TOP_P,
    MAX_TOKENS,
    SEED,
    SYSTEM,
    arg("concurrency", ArgType::Int { min: 1, max: 100_000 }, "requests in flight at once"),
    arg("requests_per_minute", ArgType::Float { min: 1.0, max: 1.0e9 }, "request rate limit"),
    arg("tokens_per_minute", ArgType::Float { min: 1.0, max: 1.0e12 }, "token rate limit"),
    arg("timeout_s", ArgType::Float { min: 0.1, max: 86_400.0 }, "per-request timeout in seconds"),
    arg("retries", ArgType::Int { min: 0, max: 100 }, "retries of a failed request"),
    arg("reply_format", ArgType::Enum(&["json_schema", "vllm", "prompt"]), "how a step's `reply:` shape is asked for: the API's `response_format` with a JSON Schema (OpenAI, vLLM, SGLang, llama.cpp; default), vLLM's `structured_outputs`, or written into the prompt"),
    arg("strict", ArgType::Bool, "OpenAI strict structured outputs: the server guarantees the shape (a shape outside OpenAI's strict subset is refused at check time)"),
    arg("reply_retries", ArgType::Int { min: 0, max: 10 }, "re-asks of a reply that does not fit its `reply:` shape (default 2), then a `reply-shape` failure"),
    arg("truncated", ArgType::Enum(&["fail", "keep"]), "a reply cut off at max_tokens: \"fail\" (a recorded failure, default) or \"keep\""),
    arg("batch", ArgType::Bool, "send uncached calls through the OpenAI Batch API (half price, stage by stage); like `regen run --batch`"),
    arg("n_per_request", ArgType::Bool, "send `samples` as the API's `n` (false for llama.cpp)"),
    arg("price_prompt", ArgType::Float { min: 0.0, max: 1.0e6 }, "price per million prompt tokens"),
    arg("price_completion", ArgType::Float { min: 0.0, max: 1.0e6 }, "price per million completion tokens"),
];

/// A model's checked settings, typed. Every default lives in a method here.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModelSettings {
    pub endpoint: Option<String>,
    pub endpoints: Option<Vec<String>>,
    pub routing: Option<String>,
    pub name: Option<String>,
    pub api_key_env: Option<String>,
    pub local: Option<bool>,
    pub local_context: Option<u32>,
    pub local_threads: Option<u32>,
    pub temperature: Option<f64>,
    pub top_p: Option<f64>,
    pub max_tokens: Option<u32>,
    pub seed: Option<i64>,
    pub system: Option<String>,
    pub concurrency: Option<u32>,
    pub requests_per_minute: Option<f64>,
    pub tokens_per_minute: Option<f64>,
    pub timeout_s: Option<f64>,
    pub retries: Option<u32>,
    pub truncated: Option<String>,
    pub reply_format: Option<String>,
    pub strict: Option<bool>,
    pub reply_retries: Option<u32>,
    pub batch: Option<bool>,
    pub n_per_request: Option<bool>,
    pub price_prompt: Option<f64>,
    pub price_completion: Option<f64>,
}

impl ModelSettings {
    /// The typed view of settings that passed the checker (each one in [`SETTINGS`], in range).
    pub fn from_checked(values: &Map<String, Value>) -> Result<Self, serde_json::Error> {
        serde_json::from_value(Value::Object(values.clone()))
    }
    /// `endpoint`, else the `OPENAI_BASE_URL` environment variable.
    pub fn endpoint_or_env(&self) -> Option<String> {
        self.endpoint
            .clone()
            .or_else(|| std::env::var("OPENAI_BASE_URL").ok())
    }
    /// The replicas: `endpoints`, else `endpoint`, else `OPENAI_BASE_URL`
    /// (which may be a comma-separated list). Empty when none is set.
    pub fn endpoint_list(&self) -> Vec<String> {
        if let Some(list) = &self.endpoints {
            return list.clone();
        }
        let one = self.endpoint_or_env().unwrap_or_default();
        one.split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect()
    }
    pub fn is_local(&self) -> bool {
        self.local == Some(true)
    }
    /// The name sent to the server: `name`, or the declaration's own name.
    pub fn model_name(&self, alias: &str) -> String {
        self.name.clone().unwrap_or_else(|| alias.to_string())
    }
    pub fn key_env(&self) -> String {
        self.api_key_env
            .clone()
            .unwrap_or_else(|| "OPENAI_API_KEY".into())
    }
    pub fn concurrency(&self) -> usize {
        self.concurrency.unwrap_or(16) as usize
    }
    /// Request slots of the local server: fewer than a remote API's default, as
    /// each slot costs the host memory.
    pub fn local_slots(&self) -> usize {
        self.concurrency.unwrap_or(4).clamp(1, 64) as usize
    }
    pub fn local_context(&self) -> usize {
        self.local_context.unwrap_or(4096) as usize
    }
    pub fn timeout_s(&self) -> f64 {
        self.timeout_s.unwrap_or(120.0)
    }
    pub fn retries(&self) -> u32 {
        self.retries.unwrap_or(6)
    }
    pub fn n_per_request(&self) -> bool {
        self.n_per_request.unwrap_or(true)
    }
    pub fn price_prompt(&self) -> f64 {
        self.price_prompt.unwrap_or(0.0)
    }
    pub fn price_completion(&self) -> f64 {
        self.price_completion.unwrap_or(0.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_setting_has_a_typed_field() {
        // A setting the checker accepts but the struct lacks would fail every run that uses it.
        for s in SETTINGS {
            let v = match s.ty {
                ArgType::Str => Value::String("x".into()),
                ArgType::Enum(options) => Value::String(options[0].into()),
                ArgType::StrList => serde_json::json!(["x"]),
                ArgType::Bool => Value::Bool(true),
                ArgType::Int { min, .. } => Value::from(min),
                ArgType::Float { min, .. } => Value::from(min),
                _ => unreachable!("model settings are plain values"),
            };
            let m: Map<String, Value> = [(s.name.to_string(), v)].into_iter().collect();
            assert!(ModelSettings::from_checked(&m).is_ok(), "{}", s.name);
        }
    }
}
