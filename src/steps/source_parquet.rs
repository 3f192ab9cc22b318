//! `source name = parquet(path, fields: {…}, label: answer)`: a Parquet file, or
//! a folder of shards in the Hugging Face layout, streamed row group by row
//! group. Fields, labels and the bad-row policy are those of `jsonl`; a bad
//! row is reported as file:row-group:row.

use super::source_jsonl::{SourceJsonl, PARQUET_ARGS};
use super::*;

#[derive(Debug)]
pub struct SourceParquet;

impl StepKind for SourceParquet {
    fn name(&self) -> &'static str {
        "parquet"
    }
    fn decl(&self) -> DeclKind {
        DeclKind::Source
    }
    fn role(&self) -> &'static str {
        "Parquet dataset (file or folder of shards)"
    }
    fn positional(&self) -> Positional {
        Positional::Location
    }
    fn args(&self) -> &'static [ArgSpec] {
        PARQUET_ARGS
    }
    fn data_format(&self) -> DataFormat {
        DataFormat::Parquet
    }
    fn configure(&self, node: &NodeDef) -> StepSettings {
        SourceSettings::of(node)
    }
    fn adds(&self, node: &NodeDef, wf: &Workflow) -> Vec<String> {
        SourceJsonl.adds(node, wf)
    }
    fn defaults(&self, node: &NodeDef) -> Vec<(&'static str, Value)> {
        SourceJsonl.defaults(node)
    }
    fn estimate(&self, node: &NodeDef, wf: &Workflow, inputs: &[Estimate]) -> Estimate {
        SourceJsonl.estimate(node, wf, inputs)
    }
}
