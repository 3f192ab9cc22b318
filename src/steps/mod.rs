//! Step kinds. Each kind is one file implementing [`StepKind`]; registration is
//! the one list in [`KINDS`].

use crate::syntax::ast::DeclKind;
use crate::workflow::{NodeDef, Workflow};

mod cap;
mod cross;
mod extract;
mod judge;
mod keep;
pub mod llm;
mod missing;
mod pool_guidelines;
mod render;
mod sink_jsonl;
mod source_jsonl;
mod union;
mod vote;

pub static KINDS: &[&dyn StepKind] = &[
    &source_jsonl::SourceJsonl,
    &pool_guidelines::Guidelines,
    &llm::Llm,
    &judge::Judge,
    &cross::Cross,
    &extract::Extract,
    &keep::Keep,
    &cap::Cap,
    &vote::Vote,
    &missing::Missing,
    &union::Union,
    &render::Render,
    &sink_jsonl::SinkJsonl,
];

pub fn find(decl: DeclKind, name: &str) -> Option<&'static dyn StepKind> {
    KINDS.iter().copied().find(|k| k.decl() == decl && k.name() == name)
}

pub fn names_for(decl: DeclKind) -> impl Iterator<Item = &'static str> {
    KINDS.iter().filter(move |k| k.decl() == decl).map(|k| k.name())
}

/// What the positional arguments of a kind are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Positional {
    /// One string: a file path or a stdlib name.
    Location,
    /// Record streams (step or source names, `a + b` for a union), at least `min`.
    Records { min: usize, max: usize },
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ArgType {
    Int {
        min: i64,
        max: i64,
    },
    Float {
        min: f64,
        max: f64,
    },
    Bool,
    Str,
    /// One of fixed words; written bare (`format: chat`) or quoted.
    Enum(&'static [&'static str]),
    /// A record field name; written bare or quoted.
    Field,
    /// A map of record field → dataset column.
    FieldMap,
    /// A list of field names.
    FieldList,
    /// Another node of the workflow.
    Node,
    /// A source (lineage root) of the workflow.
    Source,
    Model,
    /// A prompt template: a stdlib/workflow-relative name, or inline with `{{ }}`.
    Template,
    /// A record expression evaluated per record.
    Filter,
}

#[derive(Debug, Clone, Copy)]
pub struct ArgSpec {
    pub name: &'static str,
    pub ty: ArgType,
    pub required: bool,
    pub doc: &'static str,
}

pub const fn arg(name: &'static str, ty: ArgType, doc: &'static str) -> ArgSpec {
    ArgSpec { name, ty, required: false, doc }
}

pub const fn required(name: &'static str, ty: ArgType, doc: &'static str) -> ArgSpec {
    ArgSpec { name, ty, required: true, doc }
}

/// How a step contributes to the static estimate, per source record.
#[derive(Debug, Clone, Copy, Default)]
pub struct Estimate {
    /// Records emitted per source record (an upper bound after filters).
    pub records: f64,
    /// LLM calls per source record.
    pub calls: f64,
    /// Whether `records` is an upper bound (a filter or a fallback is upstream).
    pub upper_bound: bool,
}

pub trait StepKind: Sync + Send + std::fmt::Debug {
    fn name(&self) -> &'static str;
    fn decl(&self) -> DeclKind;
    /// One line for `regen graph` and the docs.
    fn role(&self) -> &'static str;
    fn positional(&self) -> Positional;
    fn args(&self) -> &'static [ArgSpec];
    fn calls_llm(&self) -> bool {
        false
    }
    /// Defaults for arguments left out, given the ones written. The checker puts
    /// them into the node's arguments, so every later stage (fields, lints, plan,
    /// run) reads one value and none keeps a default of its own.
    fn defaults(&self, _node: &NodeDef) -> Vec<(&'static str, serde_json::Value)> {
        vec![]
    }
    /// Fields this step adds to the records it emits.
    fn adds(&self, _node: &NodeDef, _wf: &Workflow) -> Vec<String> {
        vec![]
    }
    /// Records per source record out of this step, given its inputs' estimates.
    fn estimate(&self, node: &NodeDef, wf: &Workflow, inputs: &[Estimate]) -> Estimate {
        let _ = (node, wf);
        let records = inputs.iter().map(|e| e.records).sum();
        Estimate { records, calls: 0.0, upper_bound: inputs.iter().any(|e| e.upper_bound) }
    }
}

/// Sum of input records, and whether any is an upper bound.
pub fn sum_inputs(inputs: &[Estimate]) -> (f64, bool) {
    (inputs.iter().map(|e| e.records).sum(), inputs.iter().any(|e| e.upper_bound))
}

/// The output field of an LLM-like step: `into:` or the step's own name.
pub fn into_field(node: &NodeDef) -> String {
    node.str_arg("into").map_or_else(|| node.name.clone(), str::to_string)
}

/// Field mapping of a `jsonl` source without `fields:`.
pub fn source_jsonl_default_fields() -> Vec<(String, String)> {
    source_jsonl::DEFAULT_FIELDS.iter().map(|f| (f.to_string(), f.to_string())).collect()
}
