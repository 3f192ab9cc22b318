//! `extract(records, from: field, answer: number|choice|bool|text, into: field)`:
//! the final answer of a reasoning path (`\boxed{}` first), normalised; null when none.

use super::*;
use crate::answer::AnswerKind;

const ARGS: &[ArgSpec] = &[
    required("from", ArgType::FieldIn, "field holding the reasoning text"),
    arg("answer", ArgType::Enum(AnswerKind::NAMES), "answer format (default: number)"),
    arg("into", ArgType::FieldOut, "field that receives the answer (default: `predicted`)"),
    arg("boxed", ArgType::Bool, "strict mode (the authors' filter): the last `\\boxed{}`'s content, null without one"),
];

#[derive(Debug)]
pub struct Extract;

/// `extract`'s arguments, typed.
struct ExtractArgs {
    from: String,
    answer: AnswerKind,
    into: String,
    /// The authors' strict mode: the last box's content or nothing.
    boxed: bool,
}

const DEFAULT_INTO: &str = "predicted";

impl StepKind for Extract {
    fn name(&self) -> &'static str {
        "extract"
    }
    fn decl(&self) -> DeclKind {
        DeclKind::Step
    }
    fn role(&self) -> &'static str {
        "answer extraction"
    }
    fn positional(&self) -> Positional {
        Positional::Records { min: 1, max: usize::MAX }
    }
    fn args(&self) -> &'static [ArgSpec] {
        ARGS
    }
    fn configure(&self, node: &NodeDef) -> StepSettings {
        StepSettings::new(ExtractArgs {
            from: node.args.get("from").and_then(Value::as_str).unwrap_or("path").to_string(),
            answer: node.args.get("answer").and_then(Value::as_str).and_then(AnswerKind::parse).unwrap_or(AnswerKind::Number),
            into: node.args.get("into").and_then(Value::as_str).unwrap_or(DEFAULT_INTO).to_string(),
            boxed: node.args.get("boxed").and_then(Value::as_bool) == Some(true),
        })
    }
    fn adds(&self, node: &NodeDef, _wf: &Workflow) -> Vec<String> {
        vec![node.settings::<ExtractArgs>().into.clone()]
    }
    fn extracted_answer(&self, node: &NodeDef) -> Option<(String, AnswerKind)> {
        let a = node.settings::<ExtractArgs>();
        Some((a.into.clone(), a.answer))
    }
    fn map(&self, _step: usize, node: &NodeDef, _wf: &Workflow, r: &Arc<Rec>, _side: &[Arc<Rec>], _env: &dyn StepEnv) -> Vec<Rec> {
        let a = node.settings::<ExtractArgs>();
        let text = r.fields.get(&a.from).map(crate::expr::text).unwrap_or_default();
        let found = if a.boxed { crate::answer::boxed_answer(&text) } else { crate::answer::extract(&text, a.answer) };
        let mut out = (**r).clone();
        out.fields.insert(a.into.clone(), found.map_or(Value::Null, Value::String));
        vec![out]
    }
}
