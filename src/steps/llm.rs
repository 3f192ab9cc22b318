//! `llm(inputs, prompt: …)`: one chat call per record (× `samples`), reply in `into`.

use super::*;

pub use crate::model_settings::SAMPLING;

const ARGS: &[ArgSpec] = &[
    required("prompt", ArgType::Template, "prompt template: stdlib name (`regenesis/adapt`) or inline text with {{ field }}"),
    arg("samples", ArgType::Int { min: 0, max: 1000 }, "completions per record (0 asks nothing: a variant without this step's output)"),
    arg("into", ArgType::FieldOut, "field that receives the reply (default: the step name)"),
    arg("hint", ArgType::Bool, "marks a step that deliberately shows the label (hint retry)"),
    SAMPLING[0],
    SAMPLING[1],
    SAMPLING[2],
    SAMPLING[3],
    SAMPLING[4],
    SAMPLING[5],
];

#[derive(Debug)]
pub struct Llm;

impl StepKind for Llm {
    fn name(&self) -> &'static str {
        "llm"
    }
    fn decl(&self) -> DeclKind {
        DeclKind::Step
    }
    fn role(&self) -> &'static str {
        "LLM call"
    }
    fn positional(&self) -> Positional {
        Positional::Records { min: 1, max: usize::MAX }
    }
    fn args(&self) -> &'static [ArgSpec] {
        ARGS
    }
    fn adds(&self, node: &NodeDef, _wf: &Workflow) -> Vec<String> {
        vec![into_field(node)]
    }
    fn estimate(&self, node: &NodeDef, _wf: &Workflow, inputs: &[Estimate]) -> Estimate {
        let (records, upper_bound) = sum_inputs(inputs);
        let samples = node.int_arg("samples").unwrap_or(1) as f64;
        Estimate { records: records * samples, calls: records * samples, upper_bound }
    }
    fn shape(&self) -> Shape {
        Shape::ModelCall
    }
    fn samples(&self, node: &NodeDef) -> u32 {
        // `samples: 0` (a singles-only variant) asks nothing and emits nothing.
        node.int_arg("samples").unwrap_or(1).clamp(0, 1000) as u32
    }
    fn truncation_fails(&self) -> bool {
        // A path cut off at max_tokens is no path.
        true
    }
}
