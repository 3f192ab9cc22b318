//! `llm(inputs, prompt: …)`: one chat call per record (× `samples`), reply in `into`.

use super::*;

pub use crate::model_settings::SAMPLING;

const ARGS: &[ArgSpec] = &[
    required("prompt", ArgType::Template, "prompt template: stdlib name (`regenesis/adapt`) or inline text with {{ field }}"),
    arg("samples", ArgType::Int { min: 0, max: 1000 }, "completions per record (0 asks nothing: a variant without this step's output)"),
    arg("into", ArgType::FieldOut, "field that receives the reply (default: the step name)"),
    arg("reply", ArgType::Shape, "the reply's shape (`{verdict: bool, reason: string}`, `\"yes\" | \"no\"`, a `shape` name): every backend is asked for it, the reply is parsed and checked, and `into:` holds the value"),
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

/// `llm`'s arguments, typed.
struct LlmArgs {
    /// Completions per record (0: none, a variant without this step's output).
    samples: u32,
    /// The field the reply goes to.
    into: String,
    /// Shows the label on purpose (the hint retry).
    hint: bool,
}

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
    fn configure(&self, node: &NodeDef) -> StepSettings {
        StepSettings::new(LlmArgs {
            samples: node.args.get("samples").and_then(Value::as_i64).unwrap_or(1).clamp(0, 1000) as u32,
            into: into_field(node),
            hint: node.args.get("hint").and_then(Value::as_bool) == Some(true),
        })
    }
    fn call_prompt(&self) -> Option<&'static str> {
        Some("prompt")
    }
    fn reply_field(&self, node: &NodeDef) -> Option<String> {
        Some(node.settings::<LlmArgs>().into.clone())
    }
    fn declared_hint(&self, node: &NodeDef) -> bool {
        node.settings::<LlmArgs>().hint
    }
    fn adds(&self, node: &NodeDef, _wf: &Workflow) -> Vec<String> {
        vec![node.settings::<LlmArgs>().into.clone()]
    }
    fn reply(&self, node: &NodeDef, text: String) -> Vec<(String, Value)> {
        vec![(node.settings::<LlmArgs>().into.clone(), Value::String(text))]
    }
    fn estimate(&self, node: &NodeDef, _wf: &Workflow, inputs: &[Estimate]) -> Estimate {
        let (records, upper_bound) = sum_inputs(inputs);
        let samples = f64::from(node.settings::<LlmArgs>().samples);
        Estimate { records: records * samples, calls: records * samples, upper_bound }
    }
    fn shape(&self) -> Shape {
        Shape::ModelCall
    }
    fn samples(&self, node: &NodeDef) -> u32 {
        // `samples: 0` (a singles-only variant) asks nothing and emits nothing.
        node.settings::<LlmArgs>().samples
    }
    fn truncation_fails(&self) -> bool {
        // A path cut off at max_tokens is no path.
        true
    }
}
