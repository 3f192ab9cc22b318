//! Model declarations: known settings, their types and ranges.

use super::exprs::{constant, Scope};
use crate::diagnostic::{did_you_mean, Diagnostic};
use crate::syntax::ast::Prop;
use serde_json::{Map, Value};

#[derive(Debug, Clone, Copy)]
pub enum SettingType {
    Str,
    Bool,
    Num { min: f64, max: f64 },
}

/// Every setting a `model { … }` block accepts.
pub const SETTINGS: &[(&str, SettingType, &str)] = &[
    ("endpoint", SettingType::Str, "base URL of an OpenAI-compatible API, e.g. http://127.0.0.1:8080/v1"),
    ("name", SettingType::Str, "model name sent to the server"),
    ("api_key_env", SettingType::Str, "name of the environment variable holding the API key (never the key itself)"),
    ("local", SettingType::Bool, "regen sets up, starts and stops a local llama.cpp server with SmolLM2-135M-Instruct"),
    ("local_context", SettingType::Num { min: 256.0, max: 131_072.0 }, "context tokens per request slot of the local server"),
    ("local_threads", SettingType::Num { min: 1.0, max: 1024.0 }, "CPU threads of the local server"),
    ("temperature", SettingType::Num { min: 0.0, max: 2.0 }, "default sampling temperature"),
    ("top_p", SettingType::Num { min: 0.0, max: 1.0 }, "default nucleus mass"),
    ("max_tokens", SettingType::Num { min: 1.0, max: 131_072.0 }, "default completion limit"),
    ("seed", SettingType::Num { min: 0.0, max: 9.0e15 }, "default sampling seed"),
    ("system", SettingType::Str, "system prompt for every call"),
    ("concurrency", SettingType::Num { min: 1.0, max: 100_000.0 }, "requests in flight at once"),
    ("requests_per_minute", SettingType::Num { min: 1.0, max: 1.0e9 }, "request rate limit"),
    ("tokens_per_minute", SettingType::Num { min: 1.0, max: 1.0e12 }, "token rate limit"),
    ("timeout_s", SettingType::Num { min: 0.1, max: 86_400.0 }, "per-request timeout in seconds"),
    ("retries", SettingType::Num { min: 0.0, max: 100.0 }, "retries of a failed request"),
    ("truncated", SettingType::Str, "a reply cut off at max_tokens: \"fail\" (a recorded failure, default) or \"keep\""),
    ("n_per_request", SettingType::Bool, "send `samples` as the API's `n` (false for llama.cpp)"),
    ("price_prompt", SettingType::Num { min: 0.0, max: 1.0e6 }, "price per million prompt tokens"),
    ("price_completion", SettingType::Num { min: 0.0, max: 1.0e6 }, "price per million completion tokens"),
];

pub use crate::workflow::SEMANTIC;

pub fn settings(props: &[Prop], params: &std::collections::HashMap<String, Value>, diags: &mut Vec<Diagnostic>) -> Map<String, Value> {
    let mut out = Map::new();
    for p in props {
        let scope = Scope { params, file: p.file, fields_allowed: false };
        let Some((_, ty, doc)) = SETTINGS.iter().find(|(k, ..)| *k == p.name.text) else {
            let mut d = Diagnostic::error("unknown-setting", p.file, p.name.span, format!("models have no setting `{}`", p.name.text));
            d.help = Some(did_you_mean(&p.name.text, SETTINGS.iter().map(|s| s.0)).unwrap_or_else(|| {
                if p.name.text.contains("key") {
                    "name the variable that holds the key with `api_key_env = \"OPENAI_API_KEY\"`".into()
                } else {
                    format!("settings: {}", SETTINGS.iter().map(|s| s.0).collect::<Vec<_>>().join(", "))
                }
            }));
            diags.push(d);
            continue;
        };
        let Some(v) = constant(&p.value, &scope, diags) else {
            continue;
        };
        let ok = match (ty, &v) {
            (SettingType::Str, Value::String(_)) | (SettingType::Bool, Value::Bool(_)) => true,
            (SettingType::Num { min, max }, Value::Number(n)) => {
                let x = n.as_f64().unwrap_or(f64::NAN);
                if !(x >= *min && x <= *max) {
                    diags.push(
                        Diagnostic::error("out-of-range", p.file, p.value.span, format!("`{}` is {x}, outside {min}..={max}", p.name.text))
                            .with_help(doc.to_string()),
                    );
                    continue;
                }
                true
            }
            _ => false,
        };
        if !ok {
            diags.push(
                Diagnostic::error("wrong-type", p.file, p.value.span, format!("`{}` expects {}", p.name.text, type_name(*ty)))
                    .with_help(doc.to_string()),
            );
            continue;
        }
        if p.name.text == "truncated" && !matches!(v.as_str(), Some("fail" | "keep")) {
            diags.push(
                Diagnostic::error("invalid-value", p.file, p.value.span, format!("`truncated` cannot be {v}"))
                    .with_help("\"fail\" (a cut-off reply is a recorded failure) or \"keep\""),
            );
            continue;
        }
        out.insert(p.name.text.clone(), v);
    }
    out
}

fn type_name(t: SettingType) -> &'static str {
    match t {
        SettingType::Str => "a string",
        SettingType::Bool => "true or false",
        SettingType::Num { .. } => "a number",
    }
}
