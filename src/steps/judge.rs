//! `judge(inputs, prompt: …)`: asks a model for a verdict; `into` is true when
//! "yes" appears (any case) in the reply's first 20 characters, the authors'
//! rule; `<into>_reply` keeps the text.

use super::llm::SAMPLING;
use super::*;

const ARGS: &[ArgSpec] = &[
    required("prompt", ArgType::Template, "judge prompt template"),
    arg("into", ArgType::Field, "boolean verdict field (default: the step name)"),
    SAMPLING[0],
    SAMPLING[1],
    SAMPLING[2],
    SAMPLING[3],
    SAMPLING[4],
    SAMPLING[5],
];

#[derive(Debug)]
pub struct Judge;

impl StepKind for Judge {
    fn name(&self) -> &'static str {
        "judge"
    }
    fn decl(&self) -> DeclKind {
        DeclKind::Step
    }
    fn role(&self) -> &'static str {
        "LLM judge"
    }
    fn positional(&self) -> Positional {
        Positional::Records { min: 1, max: usize::MAX }
    }
    fn args(&self) -> &'static [ArgSpec] {
        ARGS
    }
    fn calls_llm(&self) -> bool {
        true
    }
    fn adds(&self, node: &NodeDef, _wf: &Workflow) -> Vec<String> {
        let f = into_field(node);
        vec![format!("{f}_reply"), f]
    }
    fn estimate(&self, _node: &NodeDef, _wf: &Workflow, inputs: &[Estimate]) -> Estimate {
        let (records, upper_bound) = sum_inputs(inputs);
        Estimate { records, calls: records, upper_bound }
    }
}
