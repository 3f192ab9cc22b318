//! The checked workflow: every name resolved, every argument typed. The checker
//! builds it; the plan and the runtime read it.

use crate::diagnostic::{FileId, Span};
use crate::expr::RecordExpr;
use crate::steps::StepKind;
use crate::syntax::ast::DeclKind;
use serde_json::{Map, Value};
use std::collections::BTreeMap;
use std::path::PathBuf;

pub type NodeId = usize;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParamType {
    Int,
    Float,
    Bool,
    String,
    Path,
}

impl ParamType {
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "int" => ParamType::Int,
            "float" => ParamType::Float,
            "bool" => ParamType::Bool,
            "string" => ParamType::String,
            "path" => ParamType::Path,
            _ => return None,
        })
    }
    pub fn name(self) -> &'static str {
        match self {
            ParamType::Int => "int",
            ParamType::Float => "float",
            ParamType::Bool => "bool",
            ParamType::String => "string",
            ParamType::Path => "path",
        }
    }
    pub fn of(v: &Value) -> Option<Self> {
        match v {
            Value::Bool(_) => Some(ParamType::Bool),
            Value::Number(n) if n.is_i64() || n.is_u64() => Some(ParamType::Int),
            Value::Number(_) => Some(ParamType::Float),
            Value::String(_) => Some(ParamType::String),
            _ => None,
        }
    }
    pub fn accepts(self, v: &Value) -> bool {
        match (self, ParamType::of(v)) {
            (ParamType::Float, Some(ParamType::Int)) => true,
            (ParamType::Path, Some(ParamType::String)) => true,
            (a, Some(b)) => a == b,
            _ => false,
        }
    }
}

#[derive(Debug, Clone)]
pub struct ParamDef {
    pub name: String,
    pub ty: ParamType,
    pub value: Value,
    pub file: FileId,
    pub span: Span,
}

#[derive(Debug, Clone)]
pub struct ModelDef {
    pub name: String,
    pub settings: Map<String, Value>,
    pub file: FileId,
    pub span: Span,
}

/// A prompt template with the fields it reads.
#[derive(Debug, Clone)]
pub struct Prompt {
    pub name: String,
    pub text: String,
    pub reads: Vec<String>,
    pub span: Span,
}

#[derive(Debug, Clone)]
pub struct NodeDef {
    pub name: String,
    pub decl: DeclKind,
    pub kind: &'static dyn StepKind,
    pub file: FileId,
    pub span: Span,
    pub name_span: Span,
    /// Record inputs, in the order written.
    pub inputs: Vec<NodeId>,
    /// Named references to other nodes (`per: questions`, `from: kept`).
    pub refs: BTreeMap<String, NodeId>,
    pub model: Option<usize>,
    /// Argument values after params and `env()` are folded in.
    pub args: Map<String, Value>,
    pub arg_spans: BTreeMap<String, Span>,
    pub filter: Option<RecordExpr>,
    pub prompts: BTreeMap<String, Prompt>,
    /// Items of a pool, rows are read at run time.
    pub pool_items: Vec<Value>,
    /// An input could not be resolved (already reported): field checks downstream are skipped.
    pub unresolved: bool,
}

impl NodeDef {
    pub fn arg_span(&self, key: &str) -> Span {
        self.arg_spans.get(key).copied().unwrap_or(self.span)
    }
    pub fn str_arg(&self, key: &str) -> Option<&str> {
        self.args.get(key).and_then(Value::as_str)
    }
    pub fn int_arg(&self, key: &str) -> Option<i64> {
        self.args.get(key).and_then(Value::as_i64)
    }
    pub fn is_llm(&self) -> bool {
        self.kind.calls_llm()
    }
}

#[derive(Debug, Clone)]
pub struct Workflow {
    pub name: String,
    pub root: PathBuf,
    pub dir: PathBuf,
    pub stdlib: PathBuf,
    pub params: Vec<ParamDef>,
    pub models: Vec<ModelDef>,
    pub nodes: Vec<NodeDef>,
    /// Names whose declarations did not parse or had an unknown kind (already reported).
    pub broken: Vec<String>,
    /// Where it may read.
    pub sandbox: crate::check::sandbox::Sandbox,
}

impl Workflow {
    pub fn node(&self, name: &str) -> Option<NodeId> {
        self.nodes.iter().position(|n| n.name == name)
    }
    pub fn param(&self, name: &str) -> Option<&ParamDef> {
        self.params.iter().find(|p| p.name == name)
    }
    /// Nodes that read `id` as an input or a reference.
    pub fn consumers(&self, id: NodeId) -> impl Iterator<Item = NodeId> + '_ {
        self.nodes.iter().enumerate().filter(move |(_, n)| n.inputs.contains(&id) || n.refs.values().any(|r| *r == id)).map(|(i, _)| i)
    }
}

impl Workflow {
    /// A sampling setting as a step sees it: its own argument, else its model's.
    pub fn setting(&self, node: NodeId, key: &str) -> Option<&Value> {
        let n = &self.nodes[node];
        n.args.get(key).or_else(|| n.model.and_then(|m| self.models.get(m)).and_then(|m| m.settings.get(key)))
    }
}
