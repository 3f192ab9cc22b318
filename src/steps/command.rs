//! `command(records, run: ["./verify", "--strict"], into: {ok: bool})`: any
//! program per record, speaking the step protocol (docs/step-protocol.md) on
//! its stdin and stdout; pooled, cached and resumed like a `python` step.

use super::function_settings::{one_to_one, with_shared, FunctionStep, Program};
use super::*;

const ARGS: &[ArgSpec] = &with_shared(required("run", ArgType::StrList, "the program and its arguments: `[\"./verify\", \"--strict\"]` (a relative path is next to the workflow file)"));

#[derive(Debug)]
pub struct Command;

impl StepKind for Command {
    fn name(&self) -> &'static str {
        "command"
    }
    fn decl(&self) -> DeclKind {
        DeclKind::Step
    }
    fn role(&self) -> &'static str {
        "your program per record (step protocol)"
    }
    fn positional(&self) -> Positional {
        Positional::Records { min: 1, max: usize::MAX }
    }
    fn args(&self) -> &'static [ArgSpec] {
        ARGS
    }
    fn shape(&self) -> Shape {
        Shape::FunctionCall
    }
    fn configure(&self, node: &NodeDef) -> StepSettings {
        let argv = node.args.get("run").and_then(Value::as_array).map(|a| {
            a.iter().filter_map(Value::as_str).map(str::to_string).collect()
        });
        let program = Program::Command { argv: argv.unwrap_or_default() };
        StepSettings::new(FunctionStep::configure(node, program))
    }
    fn adds(&self, node: &NodeDef, _wf: &Workflow) -> Vec<String> {
        node.settings::<FunctionStep>().outputs().into_iter().map(|(f, _)| f).collect()
    }
    fn shaped_fields(&self, node: &NodeDef) -> Vec<(String, crate::reply_shape::ReplyShape)> {
        node.settings::<FunctionStep>().outputs()
    }
    fn estimate(&self, _node: &NodeDef, _wf: &Workflow, inputs: &[Estimate]) -> Estimate {
        one_to_one(inputs)
    }
    fn graph_detail(&self, node: &NodeDef) -> Option<String> {
        match &node.settings::<FunctionStep>().program {
            Program::Command { argv } => argv.first().map(|p| p.rsplit('/').next().unwrap_or(p).to_string()),
            Program::Python { .. } => None,
        }
    }
}
