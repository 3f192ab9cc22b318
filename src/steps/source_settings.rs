//! What a dataset source (`jsonl`, `parquet`) reads, typed once by the checker;
//! the runtime's reader and the plan's row count read these.

use crate::answer::AnswerKind;
use crate::workflow::{NodeDef, StepSettings};
use serde_json::Value;

/// The record fields a source without `fields:` reads, each from its own column.
pub const DEFAULT_FIELDS: &[&str] = &["id", "question", "answer"];

#[derive(Debug, Clone)]
pub struct SourceSettings {
    /// The file or folder as written (relative to the workflow; [`crate::workflow::Workflow::locate`]).
    pub location: String,
    /// Record field → column, `id` always among them.
    pub fields: Vec<(String, String)>,
    /// The ground-truth field, when the records have one.
    pub label: Option<String>,
    pub answers: AnswerKind,
    /// `on_bad_row: skip`: a malformed row is counted and skipped, not fatal.
    pub skip_bad_rows: bool,
    pub split: String,
}

impl SourceSettings {
    pub(crate) fn of(node: &NodeDef) -> StepSettings {
        let text = |k: &str| node.args.get(k).and_then(Value::as_str);
        let fields = match node.args.get("fields").and_then(Value::as_object) {
            Some(m) => {
                let mut f: Vec<(String, String)> = m
                    .iter()
                    .map(|(k, v)| (k.clone(), v.as_str().unwrap_or(k).to_string()))
                    .collect();
                if !m.contains_key("id") {
                    f.push(("id".into(), "id".into()));
                }
                f
            }
            None => DEFAULT_FIELDS
                .iter()
                .map(|f| (f.to_string(), f.to_string()))
                .collect(),
        };
        StepSettings::new(SourceSettings {
            location: text("location").unwrap_or_default().to_string(),
            fields,
            label: text("label").map(str::to_string),
            answers: text("answers")
                .and_then(AnswerKind::parse)
                .unwrap_or(AnswerKind::Number),
            skip_bad_rows: text("on_bad_row") == Some("skip"),
            split: text("split")
                .unwrap_or(crate::dataset_split::DEFAULT_SPLIT)
                .to_string(),
        })
    }
}
