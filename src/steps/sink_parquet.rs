//! `sink train = parquet(a + b, path: "train.parquet", format: chat, …)`: the
//! records a `jsonl` sink would write (chat: a `messages` list column), as one
//! Parquet file that `datasets.load_dataset("parquet", …)` and pandas read.
//! Written under a temporary name and renamed when the run ends.

use super::sink_jsonl::{SinkJsonl, ARGS};
use super::*;

#[derive(Debug)]
pub struct SinkParquet;

impl StepKind for SinkParquet {
    fn name(&self) -> &'static str {
        "parquet"
    }
    fn decl(&self) -> DeclKind {
        DeclKind::Sink
    }
    fn role(&self) -> &'static str {
        "Parquet output"
    }
    fn positional(&self) -> Positional {
        Positional::Records { min: 1, max: usize::MAX }
    }
    fn args(&self) -> &'static [ArgSpec] {
        ARGS
    }
    fn data_format(&self) -> DataFormat {
        DataFormat::Parquet
    }
    fn defaults(&self, node: &NodeDef) -> Vec<(&'static str, Value)> {
        SinkJsonl.defaults(node)
    }
    fn configure(&self, node: &NodeDef) -> StepSettings {
        SinkSettings::of(node)
    }
    fn writes_chat(&self, node: &NodeDef) -> bool {
        SinkJsonl.writes_chat(node)
    }
}
