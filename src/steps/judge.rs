//! `judge(inputs, prompt: …)`: asks a model for a verdict; `into` is true when
//! "yes" appears (any case) in the reply's first 20 characters, the authors'
//! rule; `<into>_reply` keeps the text.

use super::llm::SAMPLING;
use super::*;

const ARGS: &[ArgSpec] = &[
    required("prompt", ArgType::Template, "judge prompt template"),
    arg("into", ArgType::FieldOut, "boolean verdict field (default: the step name); with `reply:`, the parsed reply"),
    arg("reply", ArgType::Shape, "the verdict's shape (`{same_answer: bool}`): asked for as JSON and checked; the judge then keeps the parsed value in `into:` and no longer looks for \"yes\""),
    SAMPLING[0],
    SAMPLING[1],
    SAMPLING[2],
    SAMPLING[3],
    SAMPLING[4],
    SAMPLING[5],
];

#[derive(Debug)]
pub struct Judge;

/// `judge`'s one argument, typed: the verdict's field.
struct JudgeInto(String);

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
    fn configure(&self, node: &NodeDef) -> StepSettings {
        // The verdict's field; the reply text goes to `<into>_reply`.
        StepSettings::new(JudgeInto(into_field(node)))
    }
    fn call_prompt(&self) -> Option<&'static str> {
        Some("prompt")
    }
    fn reply_field(&self, node: &NodeDef) -> Option<String> {
        Some(format!("{}_reply", node.settings::<JudgeInto>().0))
    }
    fn shaped_fields(&self, node: &NodeDef) -> Vec<(String, crate::reply_shape::ReplyShape)> {
        let into = node.settings::<JudgeInto>().0.clone();
        node.reply.iter().map(|s| (into.clone(), s.clone())).collect()
    }
    fn shaped_reply(&self, node: &NodeDef, text: String, value: Value) -> Vec<(String, Value)> {
        let into = node.settings::<JudgeInto>().0.clone();
        vec![(format!("{into}_reply"), Value::String(text)), (into, value)]
    }
    fn adds(&self, node: &NodeDef, _wf: &Workflow) -> Vec<String> {
        let f = node.settings::<JudgeInto>().0.clone();
        vec![format!("{f}_reply"), f]
    }
    fn estimate(&self, _node: &NodeDef, _wf: &Workflow, inputs: &[Estimate]) -> Estimate {
        let (records, upper_bound) = sum_inputs(inputs);
        Estimate { records, calls: records, upper_bound }
    }
    fn shape(&self) -> Shape {
        Shape::ModelCall
    }
    fn reply(&self, node: &NodeDef, text: String) -> Vec<(String, Value)> {
        let into = node.settings::<JudgeInto>().0.clone();
        let verdict = verdict_is_yes(&text);
        vec![(format!("{into}_reply"), Value::String(text)), (into, Value::Bool(verdict))]
    }
    fn verdict(&self, node: &NodeDef) -> Option<String> {
        // A shaped verdict is read through its fields (`verdict.same_answer`).
        node.reply.is_none().then(|| node.settings::<JudgeInto>().0.clone())
    }
    fn sees_label_by_design(&self) -> bool {
        true
    }
}

/// The authors' verdict rule (`reasoning_paths_gen.py`): "yes" appears, in any
/// case, within the reply's first 20 characters. (A judge's verdict is its
/// first words, so a judge keeps replies cut off at max_tokens.)
pub fn verdict_is_yes(reply: &str) -> bool {
    let head: String = reply.chars().take(20).collect();
    head.to_lowercase().contains("yes")
}

#[cfg(test)]
mod tests {
    #[test]
    fn yes_within_the_first_20_characters() {
        assert!(super::verdict_is_yes("Yes."));
        assert!(super::verdict_is_yes("**Answer:** YES, same"));
        assert!(!super::verdict_is_yes("No, the final answer differs; yes"));
        assert!(!super::verdict_is_yes("The answers differ, so yes is wrong"));
    }
}
