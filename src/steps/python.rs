//! `python(records, function: "checks/math.py:equal", into: {same: bool})`:
//! a Python function per record (or per batch), in a pool of long-lived
//! worker processes of the user's interpreter; cached like a model call.

use super::function_settings::{one_to_one, with_shared, FunctionStep, Program};
use super::*;

const ARGS: &[ArgSpec] = &with_shared(required("function", ArgType::Str, "`file.py:name`: the function called with each record's fields as a dict; it returns a dict of the `into` fields"));

#[derive(Debug)]
pub struct Python;

/// `file.py:name` split at its last colon (a Windows drive letter keeps its own).
pub fn split_function(spec: &str) -> Option<(&str, &str)> {
    let (file, name) = spec.rsplit_once(':')?;
    (!file.is_empty() && !name.is_empty()).then_some((file, name))
}

impl StepKind for Python {
    fn name(&self) -> &'static str {
        "python"
    }
    fn decl(&self) -> DeclKind {
        DeclKind::Step
    }
    fn role(&self) -> &'static str {
        "your Python function per record"
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
        let spec = node.args.get("function").and_then(Value::as_str).unwrap_or_default();
        let (file, function) = split_function(spec).unwrap_or((spec, ""));
        let program = Program::Python { file: file.to_string(), function: function.to_string() };
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
            Program::Python { function, .. } => Some(format!("{function}()")),
            Program::Command { .. } => None,
        }
    }
}
