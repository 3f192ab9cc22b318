//! What a sink (`jsonl`, `parquet`) writes, typed once by the checker; the
//! runtime's writer, `regen shard` and `regen ablate` read these.

use crate::workflow::{NodeDef, StepSettings};
use serde_json::Value;

/// The file a sink writes when `path:` is missing (the checker requires it).
pub const DEFAULT_PATH: &str = "out.jsonl";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SinkFormat {
    /// The record's fields as JSON.
    Records,
    /// A fine-tuning example: system, user and assistant messages.
    Chat,
}

#[derive(Debug, Clone)]
pub struct SinkSettings {
    /// Relative to the run folder, as written.
    pub path: String,
    pub format: SinkFormat,
    /// `records`: the fields written, in order (all when unset).
    pub fields: Option<Vec<String>>,
    /// `chat`: the system turn.
    pub system: Option<String>,
    /// `chat`: the field holding the assistant turn (the checker fills in `path`).
    pub assistant: String,
    /// `records`: object fields spread into `field.part` columns.
    pub flatten: bool,
    /// `shuffle: true`: the lines are written in an order drawn from this seed.
    pub shuffle_seed: Option<u64>,
}

impl SinkSettings {
    pub(crate) fn of(node: &NodeDef) -> StepSettings {
        let text = |k: &str| node.args.get(k).and_then(Value::as_str);
        let shuffle = node.args.get("shuffle").and_then(Value::as_bool) == Some(true);
        StepSettings::new(SinkSettings {
            path: text("path").unwrap_or(DEFAULT_PATH).to_string(),
            format: if text("format") == Some("chat") {
                SinkFormat::Chat
            } else {
                SinkFormat::Records
            },
            fields: node
                .args
                .get("fields")
                .and_then(Value::as_array)
                .map(|list| {
                    list.iter()
                        .filter_map(Value::as_str)
                        .map(str::to_string)
                        .collect()
                }),
            system: text("system").map(str::to_string),
            flatten: node.args.get("flatten").and_then(Value::as_bool) == Some(true),
            assistant: text("assistant").unwrap_or_default().to_string(),
            shuffle_seed: shuffle
                .then(|| node.args.get("seed").and_then(Value::as_i64).unwrap_or(0) as u64),
        })
    }
}
