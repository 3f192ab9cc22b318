//! `vote(records, field: predicted, per: source, into: majority)`: the most common
//! value of `field` among a source record's records, added to each of them (LMSI).

use super::*;

const ARGS: &[ArgSpec] = &[
    required("field", ArgType::Field, "field to vote on"),
    required("per", ArgType::Source, "the source whose records are the groups"),
    arg("into", ArgType::Field, "field that receives the majority value (default: `majority`)"),
];

#[derive(Debug)]
pub struct Vote;

impl StepKind for Vote {
    fn name(&self) -> &'static str {
        "vote"
    }
    fn decl(&self) -> DeclKind {
        DeclKind::Step
    }
    fn role(&self) -> &'static str {
        "majority vote per source record"
    }
    fn positional(&self) -> Positional {
        Positional::Records { min: 1, max: usize::MAX }
    }
    fn args(&self) -> &'static [ArgSpec] {
        ARGS
    }
    fn adds(&self, node: &NodeDef, _wf: &Workflow) -> Vec<String> {
        vec![node.str_arg("into").unwrap_or("majority").to_string()]
    }
}
