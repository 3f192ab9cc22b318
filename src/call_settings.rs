//! What a model-calling step sends with each call, resolved once at check
//! time: the step's own setting, else its model's. The runtime (the request,
//! the cache key, truncation), the plan's estimate and the plan's sharing test
//! read only this; nothing looks a setting up by its name after the checker.

use crate::reply_shape::ReplyShape;
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
    /// What a `reply:` shape adds to every request, built once here.
    pub reply: ReplyRequest,
    /// OpenAI strict structured outputs.
    pub strict: bool,
    /// Re-asks of a reply that does not fit its shape.
    pub reply_retries: u32,
}

/// How a step's reply shape reaches the model (`reply_format` of its model),
/// ready to send: the shape's schema is built once per step, not per call.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum ReplyRequest {
    /// No shape.
    #[default]
    None,
    /// `response_format: {type: "json_schema", …}`: OpenAI, vLLM, SGLang, llama.cpp.
    ResponseFormat(Value),
    /// vLLM's own field, `structured_outputs: {json: schema}` (where asked).
    StructuredOutputs(Value),
    /// The shape written at the end of the prompt, for a server that takes no schema.
    Prompt(String),
}

/// Re-asks of a reply that does not fit its shape, unless `reply_retries` says.
pub const DEFAULT_REPLY_RETRIES: u32 = 2;

impl CallSettings {
    /// A step's settings: its own arguments first, then its model's (`inherited`).
    pub fn resolve(
        args: &Map<String, Value>,
        inherited: Option<&Map<String, Value>>,
        shape: Option<&ReplyShape>,
    ) -> CallSettings {
        let get = |k: &str| args.get(k).or_else(|| inherited.and_then(|m| m.get(k)));
        let strict = get("strict").and_then(Value::as_bool) == Some(true);
        let reply = match (shape, get("reply_format").and_then(Value::as_str)) {
            (None, _) => ReplyRequest::None,
            (Some(s), Some("prompt")) => ReplyRequest::Prompt(s.prompt_instructions()),
            (Some(s), Some("vllm")) => {
                ReplyRequest::StructuredOutputs(serde_json::json!({"json": s.json_schema()}))
            }
            (Some(s), _) => ReplyRequest::ResponseFormat(s.response_format(strict)),
        };
        CallSettings {
            temperature: get("temperature").and_then(Value::as_f64),
            top_p: get("top_p").and_then(Value::as_f64),
            max_tokens: get("max_tokens")
                .and_then(Value::as_u64)
                .and_then(|m| u32::try_from(m).ok()),
            seed: get("seed").and_then(Value::as_i64),
            system: get("system").and_then(Value::as_str).map(str::to_string),
            keep_truncated: get("truncated").and_then(Value::as_str) == Some("keep"),
            reply,
            strict,
            reply_retries: get("reply_retries")
                .and_then(Value::as_u64)
                .map_or(DEFAULT_REPLY_RETRIES, |n| n.min(10) as u32),
        }
    }
}
