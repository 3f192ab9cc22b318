//! One workflow's row in `regen ablate`'s comparison, shared by the terminal
//! table and the HTML report.

use serde::Serialize;

/// One row of the comparison.
#[derive(Serialize, Clone)]
pub struct Row {
    pub workflow: String,
    pub file: String,
    pub questions: u64,
    /// Questions with at least one line in the training sink.
    pub yield_questions: u64,
    pub kept: u64,
    pub calls: u64,
    pub cache_hits: u64,
    pub prompt_tokens: u64,
    pub completion_tokens: u64,
    pub failures: u64,
    pub wall_s: f64,
    pub label_read_by: Vec<String>,
    pub training_sink: String,
    /// What each filter condition removed: (filter step, reason, records).
    pub funnel: Vec<(String, String, u64)>,
    /// Kept training records per seed guideline, in pool order: (id, records).
    pub guidelines: Vec<(String, u64)>,
    /// The steps this workflow changes against the base (`regen diff`): `~changed`, `+added`, `-removed`.
    pub differs_in: Vec<String>,
}

impl Row {
    /// The table's columns, as shown in the terminal and in the HTML report.
    pub fn cells(&self) -> [String; 11] {
        let labels = if self.label_read_by.is_empty() {
            "(none)".to_string()
        } else {
            self.label_read_by.join(", ")
        };
        [
            self.workflow.clone(),
            self.questions.to_string(),
            self.yield_questions.to_string(),
            self.kept.to_string(),
            self.calls.to_string(),
            self.cache_hits.to_string(),
            self.prompt_tokens.to_string(),
            self.completion_tokens.to_string(),
            self.failures.to_string(),
            format!("{:.1}", self.wall_s),
            labels,
        ]
    }
}
