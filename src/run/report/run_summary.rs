//! The run summary as one typed record: written once at the end of a run
//! (`summary::summary`), kept in the store as JSON, and read back by `regen
//! run`, `show`, `show --html` and `ablate` through these types. A stored
//! summary of an older shape is upgraded explicitly (`from_stored`), or refused
//! with a message — never read as zeros.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;

/// The shape written now. 1: before the version field (no `retried` per model);
/// 2: before `status` and `error`.
pub const VERSION: u32 = 3;

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RunSummary {
    pub version: u32,
    pub run: i64,
    pub workflow: String,
    pub wall_s: f64,
    pub http_requests: u64,
    pub failures: u64,
    pub skipped_rows: u64,
    pub source_records: u64,
    pub steps: Vec<StepSummary>,
    pub models: Vec<ModelSummary>,
    /// Records written, per sink file.
    pub sinks: BTreeMap<String, u64>,
    /// Distinct source records behind each sink's lines.
    pub sink_sources: BTreeMap<String, u64>,
    /// Kept records per seed guideline, per training sink.
    pub guidelines: BTreeMap<String, Vec<GuidelineRow>>,
    /// Why the run stopped early, if it did.
    pub stopped: Option<String>,
    /// As the store's run list says: ok, failures, stopped, error.
    pub status: String,
    /// Why a run ended in error (a bad row, a store that refused a write).
    pub error: Option<String>,
    /// (seconds, calls, tokens) over time.
    pub timeline: Vec<(f64, u64, u64)>,
    pub example: Option<Example>,
    pub batch: BatchSummary,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StepSummary {
    pub step: String,
    pub kind: String,
    pub llm: bool,
    pub received: u64,
    pub calls: u64,
    pub cache_hits: u64,
    pub prompt_tokens: u64,
    pub completion_tokens: u64,
    /// Failures by reason.
    pub failures: BTreeMap<String, u64>,
    pub funnel: Vec<FunnelRow>,
    pub not_run: u64,
    /// Re-asks of replies that did not fit the step's `reply:` shape.
    #[serde(default)]
    pub reasked: u64,
}

/// One condition of a filter and how many records it removed.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FunnelRow {
    pub reason: String,
    pub condition: String,
    pub removed: u64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModelSummary {
    pub alias: String,
    pub model: String,
    pub calls: u64,
    pub cache_hits: u64,
    pub prompt_tokens: u64,
    pub completion_tokens: u64,
    pub endpoints: Vec<EndpointSummary>,
    /// Requests sent again after an error that retrying fixes.
    pub retried: u64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EndpointSummary {
    pub endpoint: String,
    pub calls: u64,
    pub failures: u64,
    pub p50_ms: Option<u64>,
    pub p95_ms: Option<u64>,
    pub p99_ms: Option<u64>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GuidelineRow {
    pub id: String,
    pub title: String,
    pub kept: u64,
}

/// The record shown at the end: a written training line, or the closest rejected candidate.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Example {
    pub step: String,
    pub record: String,
    /// `written` or `best-rejected`.
    pub outcome: String,
    pub reason: String,
    pub fields: Value,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BatchSummary {
    pub requests: u64,
    pub batches: u64,
    pub resent: u64,
    pub online: u64,
}

/// Why a stored summary cannot be read (never printed as zeros instead).
#[derive(Debug, thiserror::Error)]
pub enum SummaryError {
    #[error("the stored summary is not JSON: {0}")]
    NotJson(serde_json::Error),
    #[error("the stored summary has shape version {0}, newer than this regen reads ({VERSION}); upgrade regen")]
    Newer(u64),
    #[error("the stored summary does not have the shape regen reads ({0}); rerun the workflow (its calls are cached)")]
    Shape(serde_json::Error),
}

impl RunSummary {
    /// A summary as the store keeps it. Version 1 (no `version`, no `retried`)
    /// is upgraded by adding what it lacks; anything else that does not fit is
    /// an error naming what did not fit.
    pub fn from_stored(text: &str) -> Result<RunSummary, SummaryError> {
        let mut v: Value = serde_json::from_str(text).map_err(SummaryError::NotJson)?;
        let version = v.get("version").and_then(Value::as_u64).unwrap_or(1);
        match version {
            1 | 2 => {
                if version == 1 {
                    for m in v["models"].as_array_mut().into_iter().flatten() {
                        m["retried"] = 0.into();
                    }
                }
                // Older shapes did not keep the status; the run list still has it.
                v["version"] = VERSION.into();
                // Filled from the run list by the reader (`regen show`).
                v["status"] = "".into();
                v["error"] = Value::Null;
            }
            3 => {}
            other => return Err(SummaryError::Newer(other)),
        }
        serde_json::from_value(v).map_err(SummaryError::Shape)
    }

    /// The summary as the store keeps it.
    pub fn to_stored(&self) -> String {
        // Plain data (strings, numbers, maps): serialising it cannot fail.
        serde_json::to_string(self)
            .unwrap_or_else(|e| format!("{{\"error\": \"cannot serialise the summary: {e}\"}}"))
    }

    /// A step's summary by name.
    pub fn step(&self, name: &str) -> Option<&StepSummary> {
        self.steps.iter().find(|s| s.step == name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v1() -> Value {
        serde_json::json!({"run": 3, "workflow": "w", "wall_s": 1.5, "http_requests": 4, "failures": 0, "skipped_rows": 0,
            "source_records": 2, "steps": [], "models": [{"alias": "m", "model": "m", "calls": 4, "cache_hits": 0,
            "prompt_tokens": 10, "completion_tokens": 5, "endpoints": []}], "sinks": {"o.jsonl": 2}, "sink_sources": {},
            "guidelines": {}, "stopped": null, "timeline": [[0.0, 0, 0]], "example": null,
            "batch": {"requests": 0, "batches": 0, "resent": 0, "online": 0}})
    }

    #[test]
    fn an_older_summary_is_upgraded_and_a_drifted_one_refused() {
        let s = RunSummary::from_stored(&v1().to_string()).unwrap();
        assert_eq!(
            (s.version, s.models[0].retried, s.sinks["o.jsonl"]),
            (VERSION, 0, 2)
        );
        assert_eq!(RunSummary::from_stored(&s.to_stored()).unwrap().run, 3);
        let mut drifted = v1();
        drifted["steps"] = serde_json::json!([{"name": "s"}]);
        let e = RunSummary::from_stored(&drifted.to_string())
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("does not have the shape") && e.contains("unknown field `name`"),
            "{e}"
        );
        let mut future = v1();
        future["version"] = 9.into();
        assert!(RunSummary::from_stored(&future.to_string())
            .unwrap_err()
            .to_string()
            .contains("newer"));
    }
}
