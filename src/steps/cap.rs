//! `cap(records, n: 5, per: source, seed: 1)`: at most n records per source
//! record, chosen at random with a seed; fires when that record's upstream is done.

use super::*;

const ARGS: &[ArgSpec] = &[
    required("n", ArgType::Int { min: 1, max: 1_000_000 }, "records kept per source record"),
    required("per", ArgType::Source, "the source whose records are the groups"),
    arg("seed", ArgType::Int { min: 0, max: i64::MAX }, "seed of the random choice"),
];

#[derive(Debug)]
pub struct Cap;

impl StepKind for Cap {
    fn name(&self) -> &'static str {
        "cap"
    }
    fn decl(&self) -> DeclKind {
        DeclKind::Step
    }
    fn role(&self) -> &'static str {
        "cap per source record"
    }
    fn positional(&self) -> Positional {
        Positional::Records { min: 1, max: usize::MAX }
    }
    fn args(&self) -> &'static [ArgSpec] {
        ARGS
    }
    fn estimate(&self, node: &NodeDef, _wf: &Workflow, inputs: &[Estimate]) -> Estimate {
        let (records, upper_bound) = sum_inputs(inputs);
        let n = node.int_arg("n").unwrap_or(1) as f64;
        Estimate { records: records.min(n), calls: 0.0, upper_bound }
    }
}
