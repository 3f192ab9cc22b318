//! `extract(records, from: field, answer: number|choice|bool|text, into: field)`:
//! the final answer of a reasoning path (`\boxed{}` first), normalised; null when none.

use super::*;
use crate::answer::AnswerKind;

const ARGS: &[ArgSpec] = &[
    required("from", ArgType::Field, "field holding the reasoning text"),
    arg("answer", ArgType::Enum(AnswerKind::NAMES), "answer format (default: number)"),
    arg("into", ArgType::Field, "field that receives the answer (default: `predicted`)"),
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
}
