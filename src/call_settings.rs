//! What a model-calling step sends with each call, resolved once at check
//! time: the step's own setting, else its model's. The runtime (the request,
//! the cache key, truncation), the plan's estimate and the plan's sharing test
//! read only this; nothing looks a setting up by its name after the checker.

use serde_json::{Map, Value};

#[derive(Debug, Clone, PartialEq, Default)]
pub struct CallSettings {
    pub temperature: Option<f64>,
    pub top_p: Option<f64>,
    pub max_tokens: Option<u32>,
    pub seed: Option<i64>,
    /// The system message sent before every prompt.
    pub system: Option<String>,
    /// A reply cut off at `max_tokens` is kept (`truncated = "keep"`); otherwise,
    /// for kinds whose replies are read whole, it is a recorded failure.
    pub keep_truncated: bool,
    /// How a `reply:` shape is asked for.
    pub reply_format: ReplyFormat,
    /// OpenAI strict structured outputs.
    pub strict: bool,
    /// Re-asks of a reply that does not fit its shape.
    pub reply_retries: u32,
}

/// How a step's reply shape reaches the model (`reply_format` of its model).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ReplyFormat {
    /// `response_format: {type: "json_schema", …}`: OpenAI, vLLM, SGLang, llama.cpp.
    #[default]
    JsonSchema,
    /// The shape written into the prompt, for a server that takes no schema.
    Prompt,
    /// vLLM's own field, `structured_outputs: {json: schema}` (where asked).
    Vllm,
}

/// Re-asks of a reply that does not fit its shape, unless `reply_retries` says.
pub const DEFAULT_REPLY_RETRIES: u32 = 2;

impl CallSettings {
    /// A step's settings: its own arguments first, then its model's (`inherited`).
    pub fn resolve(
        args: &Map<String, Value>,
        inherited: Option<&Map<String, Value>>,
    ) -> CallSettings {
        let get = |k: &str| args.get(k).or_else(|| inherited.and_then(|m| m.get(k)));
        CallSettings {
            temperature: get("temperature").and_then(Value::as_f64),
            top_p: get("top_p").and_then(Value::as_f64),
            max_tokens: get("max_tokens")
                .and_then(Value::as_u64)
                .and_then(|m| u32::try_from(m).ok()),
            seed: get("seed").and_then(Value::as_i64),
            system: get("system").and_then(Value::as_str).map(str::to_string),
            keep_truncated: get("truncated").and_then(Value::as_str) == Some("keep"),
            reply_format: match get("reply_format").and_then(Value::as_str) {
                Some("prompt") => ReplyFormat::Prompt,
                Some("vllm") => ReplyFormat::Vllm,
                _ => ReplyFormat::JsonSchema,
            },
            strict: get("strict").and_then(Value::as_bool) == Some(true),
            reply_retries: get("reply_retries")
                .and_then(Value::as_u64)
                .map_or(DEFAULT_REPLY_RETRIES, |n| n.min(10) as u32),
        }
    }
}
