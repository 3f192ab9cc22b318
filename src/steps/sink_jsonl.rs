//! `sink train = jsonl(a + b, path: "out/train.jsonl", format: chat, …)`: writes
//! each record once; `chat` writes `{"messages": [system?, user, assistant]}`.

use super::*;

pub const ARGS: &[ArgSpec] = &[
    required("path", ArgType::Str, "output file, relative to the run directory"),
    arg("format", ArgType::Enum(&["records", "chat"]), "`records` (fields as JSON) or `chat` (fine-tuning messages)"),
    arg("user", ArgType::Template, "chat: template of the user turn (default: the `question` field)"),
    arg("assistant", ArgType::FieldIn, "chat: field holding the assistant turn"),
    arg("system", ArgType::Str, "chat: system turn"),
    arg("fields", ArgType::FieldList, "records: fields to write (default: all)"),
    arg("flatten", ArgType::Bool, "records: an object field's parts become columns of their own (`verdict.same_answer`), as a shaped reply's fields"),
    arg("shuffle", ArgType::Bool, "write the lines in a random order (needs `seed:`), as the authors shuffle their training set"),
    arg("seed", crate::model_settings::SEED_RANGE, "seed of the shuffle"),
];

#[derive(Debug)]
pub struct SinkJsonl;

impl StepKind for SinkJsonl {
    fn writes_chat(&self, node: &NodeDef) -> bool {
        node.settings::<SinkSettings>().format == SinkFormat::Chat
    }
    fn configure(&self, node: &NodeDef) -> StepSettings {
        SinkSettings::of(node)
    }
    fn name(&self) -> &'static str {
        "jsonl"
    }
    fn decl(&self) -> DeclKind {
        DeclKind::Sink
    }
    fn role(&self) -> &'static str {
        "JSONL output"
    }
    fn positional(&self) -> Positional {
        Positional::Records { min: 1, max: usize::MAX }
    }
    fn args(&self) -> &'static [ArgSpec] {
        ARGS
    }
    fn defaults(&self, node: &NodeDef) -> Vec<(&'static str, serde_json::Value)> {
        // A chat line's assistant turn is the reasoning path unless told otherwise.
        match node.args.get("format").and_then(Value::as_str) {
            Some("chat") => vec![("assistant", "path".into())],
            _ => vec![],
        }
    }
}
