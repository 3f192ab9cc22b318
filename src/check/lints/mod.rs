//! Warnings of the lint catalogue. Each lint is one file implementing [`Lint`];
//! registration is the one list in [`LINTS`].

use super::fields::Analysis;
use crate::diagnostic::Diagnostic;
use crate::workflow::Workflow;

mod call_estimate;
mod filter_never_passes;
mod label_leakage;
mod missing_data;
mod no_sink;
mod unseeded_random;
mod unused_step;

pub struct LintContext<'a> {
    pub wf: &'a Workflow,
    pub analysis: &'a Analysis,
    /// Warn when a run over the whole dataset would make more calls than this.
    pub call_threshold: f64,
}

pub trait Lint: Sync {
    fn code(&self) -> &'static str;
    fn check(&self, cx: &LintContext) -> Vec<Diagnostic>;
}

pub static LINTS: &[&dyn Lint] = &[
    &unused_step::UnusedStep,
    &no_sink::NoSink,
    &label_leakage::LabelLeakage,
    &filter_never_passes::FilterNeverPasses,
    &call_estimate::CallEstimate,
    &unseeded_random::UnseededRandom,
    &missing_data::MissingData,
];

pub fn run_all(cx: &LintContext) -> Vec<Diagnostic> {
    LINTS.iter().flat_map(|l| l.check(cx)).collect()
}
