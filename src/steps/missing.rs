//! `missing(source, from: step)`: the source records with no output in `from`
//! (the hint-retry trigger); fires per record once its work in `from` is done.

use super::*;

const ARGS: &[ArgSpec] = &[required("from", ArgType::Node, "the step whose outputs are looked for")];

#[derive(Debug)]
pub struct Missing;

impl StepKind for Missing {
    fn name(&self) -> &'static str {
        "missing"
    }
    fn decl(&self) -> DeclKind {
        DeclKind::Step
    }
    fn role(&self) -> &'static str {
        "source records with no output in a step"
    }
    fn positional(&self) -> Positional {
        Positional::Records { min: 1, max: 1 }
    }
    fn args(&self) -> &'static [ArgSpec] {
        ARGS
    }
    fn estimate(&self, _node: &NodeDef, _wf: &Workflow, inputs: &[Estimate]) -> Estimate {
        let (records, _) = sum_inputs(inputs);
        Estimate { records, calls: 0.0, upper_bound: true }
    }
}
