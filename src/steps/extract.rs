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
    fn adds(&self, node: &NodeDef, _wf: &Workflow) -> Vec<String> {
        vec![node.str_arg("into").unwrap_or("predicted").to_string()]
    }
    fn extracted_answer(&self, node: &NodeDef) -> Option<(String, AnswerKind)> {
        let kind = node.str_arg("answer").and_then(AnswerKind::parse).unwrap_or(AnswerKind::Number);
        Some((node.str_arg("into").unwrap_or("predicted").to_string(), kind))
    }
    fn map(&self, _step: usize, node: &NodeDef, _wf: &Workflow, r: &Arc<Rec>, _side: &[Arc<Rec>], _env: &dyn StepEnv) -> Vec<Rec> {
        let from = node.str_arg("from").unwrap_or("path");
        let kind = node.str_arg("answer").and_then(AnswerKind::parse).unwrap_or(AnswerKind::Number);
        let text = r.fields.get(from).map(crate::expr::text).unwrap_or_default();
        // `boxed: true` is the authors' strict mode: the last box's content or nothing.
        let found = if node.args.get("boxed").and_then(Value::as_bool) == Some(true) {
            crate::answer::boxed_answer(&text)
        } else {
            crate::answer::extract(&text, kind)
        };
        let mut out = (**r).clone();
        out.fields.insert(node.str_arg("into").unwrap_or("predicted").into(), found.map_or(Value::Null, Value::String));
        vec![out]
    }
}
