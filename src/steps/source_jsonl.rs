//! `source name = jsonl(path, fields: {question: "Problem", …}, label: answer)`.

use super::*;
use crate::answer::AnswerKind;

const FIELDS: ArgSpec = arg("fields", ArgType::FieldMap, "record field → column in the file (default: id, question, answer)");
const LABEL: ArgSpec = arg("label", ArgType::FieldOut, "the ground-truth field (default: `answer`); prompts that read it leak the label");
const ANSWERS: ArgSpec = arg("answers", ArgType::Enum(AnswerKind::NAMES), "format of the label (default: number)");
const ON_BAD_ROW: ArgSpec =
    arg("on_bad_row", ArgType::Enum(&["fail", "skip"]), "what a malformed row does: stop the run, or skip it and count it");

pub const ARGS: &[ArgSpec] = &[FIELDS, LABEL, ANSWERS, ON_BAD_ROW];
/// A Parquet source's: these, and the split a dataset folder's files are read from.
pub const PARQUET_ARGS: &[ArgSpec] = &[
    FIELDS,
    LABEL,
    ANSWERS,
    ON_BAD_ROW,
    arg("split", ArgType::Str, "which split of a dataset folder to read, from its file or folder names (default: train)"),
];

#[derive(Debug)]
pub struct SourceJsonl;

impl StepKind for SourceJsonl {
    fn name(&self) -> &'static str {
        "jsonl"
    }
    fn decl(&self) -> DeclKind {
        DeclKind::Source
    }
    fn role(&self) -> &'static str {
        "JSONL dataset"
    }
    fn positional(&self) -> Positional {
        Positional::Location
    }
    fn args(&self) -> &'static [ArgSpec] {
        ARGS
    }
    fn configure(&self, node: &NodeDef) -> StepSettings {
        SourceSettings::of(node)
    }
    fn adds(&self, node: &NodeDef, _wf: &Workflow) -> Vec<String> {
        node.settings::<SourceSettings>().fields.iter().map(|(field, _)| field.clone()).collect()
    }
    fn defaults(&self, node: &NodeDef) -> Vec<(&'static str, serde_json::Value)> {
        // The ground truth is `answer` when the records have one.
        let has_answer = node.args.get("fields").and_then(|v| v.as_object()).is_none_or(|m| m.contains_key("answer"));
        if has_answer {
            vec![("label", "answer".into())]
        } else {
            vec![]
        }
    }
    fn estimate(&self, _node: &NodeDef, _wf: &Workflow, _inputs: &[Estimate]) -> Estimate {
        Estimate { records: 1.0, calls: 0.0, upper_bound: false }
    }
}
