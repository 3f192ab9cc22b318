//! The checked workflow: every name resolved, every argument typed. The checker
//! builds it; the plan and the runtime read it.

pub use crate::arg_spec::{arg, required, ArgSpec, ArgType, Positional};
use crate::diagnostic::{FileId, Span};
use crate::expr::RecordExpr;
use crate::model_settings::ModelSettings;
pub use crate::param_type::ParamType;
use crate::record::Rec;
use crate::step_env::StepEnv;
pub use crate::step_settings::StepSettings;
pub use crate::step_shape::{sum_inputs, DataFormat, Estimate, Shape};
use crate::syntax::ast::DeclKind;
use serde_json::{Map, Value};
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

pub type NodeId = usize;

/// Model settings that change what a call returns (part of a step's identity and the cache key).
pub const SEMANTIC: &[&str] = &[
    "name",
    "temperature",
    "top_p",
    "max_tokens",
    "seed",
    "system",
];

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
    /// The settings, typed; every default is a method of [`ModelSettings`].
    pub settings: ModelSettings,
    /// The same settings as checked values: what a step inherits ([`Workflow::setting`]) and its identity hashes.
    pub values: Map<String, Value>,
    pub file: FileId,
    pub span: Span,
}

/// A prompt template with the fields it reads.
#[derive(Debug, Clone)]
pub struct Prompt {
    pub name: String,
    pub text: String,
    /// Names it surely reads from its context (see `check::template_reads`).
    pub reads: Vec<String>,
    /// Names it may read from the record: looked up, but also assigned somewhere.
    pub may_read: Vec<String>,
    /// `field.attr` reads, checked against a field's reply shape.
    pub attr_reads: Vec<(String, String)>,
    pub span: Span,
    /// The template's file (`None` when written inline).
    pub path: Option<PathBuf>,
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
    /// What each call of a model-calling step sends (default for the others), resolved at check time.
    pub call: crate::call_settings::CallSettings,
    /// The kind's own typed arguments ([`StepKind::configure`]), parsed once at check time.
    pub settings: StepSettings,
    /// The shape its reply must have (`reply:`), for a model-calling step.
    pub reply: Option<crate::reply_shape::ReplyShape>,
}

impl NodeDef {
    pub fn arg_span(&self, key: &str) -> Span {
        self.arg_spans.get(key).copied().unwrap_or(self.span)
    }
    /// A raw argument, for the checker (later stages read [`NodeDef::settings`]).
    pub(crate) fn str_arg(&self, key: &str) -> Option<&str> {
        self.args.get(key).and_then(Value::as_str)
    }
    /// A raw argument, for the checker (later stages read [`NodeDef::settings`]).
    pub(crate) fn int_arg(&self, key: &str) -> Option<i64> {
        self.args.get(key).and_then(Value::as_i64)
    }
    pub fn is_llm(&self) -> bool {
        self.kind.calls_llm()
    }
    /// The template a model-calling step sends, if it has one.
    pub fn call_prompt(&self) -> Option<&Prompt> {
        self.kind
            .call_prompt()
            .and_then(|arg| self.prompts.get(arg))
    }
    /// The kind's typed settings. The checker configures every node it builds
    /// with its kind ([`StepKind::configure`]), so a kind reading its own type
    /// always finds it; anything else is a bug in regen, caught per record.
    pub fn settings<T: std::any::Any>(&self) -> &T {
        match self.settings.get::<T>() {
            Some(s) => s,
            None => panic!(
                "step `{}` ({}) holds no {} settings",
                self.name,
                self.kind.name(),
                std::any::type_name::<T>()
            ),
        }
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
    /// Reply shapes declared with `shape Name {…}`, by name.
    pub shapes: std::collections::BTreeMap<String, crate::reply_shape::ReplyShape>,
    /// Where it may read.
    pub sandbox: crate::sandbox::Sandbox,
    /// The first source's row count, once something asked (the `call-estimate`
    /// lint, then the run's progress line): a large dataset is read once.
    pub dataset_rows: std::sync::OnceLock<Option<usize>>,
    /// `python = "…"`: the interpreter of the `python` steps, as written.
    pub python: Option<crate::interpreter::PythonSetting>,
}

impl Workflow {
    /// The interpreter of the `python` steps ([`crate::interpreter::resolve`]).
    pub fn python_interpreter(&self) -> (PathBuf, crate::interpreter::InterpreterOrigin) {
        crate::interpreter::resolve(self.python.as_ref(), &self.dir)
    }
    pub fn node(&self, name: &str) -> Option<NodeId> {
        self.nodes.iter().position(|n| n.name == name)
    }
    pub fn param(&self, name: &str) -> Option<&ParamDef> {
        self.params.iter().find(|p| p.name == name)
    }
    /// Nodes that read `id` as an input or a reference.
    pub fn consumers(&self, id: NodeId) -> impl Iterator<Item = NodeId> + '_ {
        self.nodes
            .iter()
            .enumerate()
            .filter(move |(_, n)| n.inputs.contains(&id) || n.refs.values().any(|r| *r == id))
            .map(|(i, _)| i)
    }
}

impl Workflow {
    /// Where a path written in the workflow points: `stdlib/…` into the stdlib,
    /// other relative paths next to the workflow file.
    pub fn locate(&self, path: &str) -> PathBuf {
        match path.strip_prefix("stdlib/") {
            Some(rest) => self.stdlib.join(rest),
            None if std::path::Path::new(path).is_absolute() => PathBuf::from(path),
            None => self.dir.join(path),
        }
    }

    /// The YAML file of a guideline pool: a stdlib name (`seed25`) or a `.yaml` path.
    pub fn pool_path(&self, location: &str) -> PathBuf {
        if location.ends_with(".yaml") || location.ends_with(".yml") {
            self.locate(location)
        } else {
            self.stdlib
                .join("guidelines")
                .join(format!("{location}.yaml"))
        }
    }
}

// ---- What a step kind declares (its files are under `steps/`) ----

pub trait StepKind: Sync + Send + std::fmt::Debug {
    fn name(&self) -> &'static str;
    fn decl(&self) -> DeclKind;
    /// One line for `regen graph` and the docs.
    fn role(&self) -> &'static str;
    fn positional(&self) -> Positional;
    fn args(&self) -> &'static [ArgSpec];
    /// Parses the node's checked arguments (defaults already filled in) into
    /// the kind's own typed settings; called once, by the checker.
    fn configure(&self, _node: &NodeDef) -> StepSettings {
        StepSettings::default()
    }
    fn shape(&self) -> Shape {
        match self.decl() {
            DeclKind::Source => Shape::Source,
            DeclKind::Pool => Shape::Pool,
            DeclKind::Sink => Shape::Sink,
            DeclKind::Step => Shape::PerRecord,
        }
    }
    fn calls_llm(&self) -> bool {
        self.shape() == Shape::ModelCall
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
        Estimate {
            records,
            calls: 0.0,
            upper_bound: inputs.iter().any(|e| e.upper_bound),
        }
    }
    /// Whether positional input `index` may be a pool (its items, not records).
    fn takes_pool(&self, _index: usize) -> bool {
        false
    }
    /// A positional input read whole before any record of the others is
    /// handled; its records reach [`StepKind::map`] as `side`. It carries no lineage.
    fn side_input(&self) -> Option<usize> {
        None
    }
    /// Whether every record out is one of the first input's records, unchanged
    /// (filters, caps): the plan looks through such steps for repeated calls.
    fn passes_records_through(&self) -> bool {
        false
    }
    /// [`Shape::PerRecord`]: what one record becomes.
    fn map(
        &self,
        _step: usize,
        _node: &NodeDef,
        _wf: &Workflow,
        r: &Arc<Rec>,
        _side: &[Arc<Rec>],
        _env: &dyn StepEnv,
    ) -> Vec<Rec> {
        vec![(**r).clone()]
    }
    /// [`Shape::PerSourceRecord`]: whether records arriving on input `port` are
    /// held for [`StepKind::gather`] (the others are only counted).
    fn holds(&self, _port: usize) -> bool {
        true
    }
    /// [`Shape::PerSourceRecord`]: what a source record's held records become,
    /// once its upstream work is done; `counted` is how many were not held.
    fn gather(
        &self,
        _node: &NodeDef,
        _lineage: u64,
        held: Vec<Arc<Rec>>,
        _counted: usize,
    ) -> Vec<Arc<Rec>> {
        held
    }
    /// [`Shape::ModelCall`]: completions asked per record (0: none).
    fn samples(&self, _node: &NodeDef) -> u32 {
        1
    }
    /// [`Shape::ModelCall`]: whether a reply cut off at `max_tokens` is a
    /// failure (unless the model says `truncated = "keep"`).
    fn truncation_fails(&self) -> bool {
        false
    }
    /// [`Shape::ModelCall`]: the fields one reply adds.
    fn reply(&self, node: &NodeDef, text: String) -> Vec<(String, serde_json::Value)> {
        self.reply_field(node)
            .map(|f| (f, serde_json::Value::String(text)))
            .into_iter()
            .collect()
    }
    /// Sources and sinks: the file format.
    fn data_format(&self) -> DataFormat {
        DataFormat::Jsonl
    }
    /// The field holding this step's yes/no verdict, if it gives one (the funnel reports it).
    fn verdict(&self, _node: &NodeDef) -> Option<String> {
        None
    }
    // Facts the lints and the runtime ask of a kind, so none matches a kind's name.
    /// A model-calling kind whose prompt is meant to see the label (a judge
    /// compares with it): its reply is not label leakage.
    fn sees_label_by_design(&self) -> bool {
        false
    }
    /// The field this step writes an extracted answer to, and the answer's format.
    fn extracted_answer(&self, _node: &NodeDef) -> Option<(String, crate::answer::AnswerKind)> {
        None
    }
    /// Whether the step chooses records at random (so it wants a seed).
    fn chooses_at_random(&self) -> bool {
        false
    }
    /// A model-calling kind: the template argument whose text is sent (the
    /// `prompts` key), so no stage outside the kind names it.
    fn call_prompt(&self) -> Option<&'static str> {
        None
    }
    /// A model-calling kind with a `reply:` shape: the fields one parsed reply
    /// adds (the value under its reply field, unless the kind says otherwise).
    fn shaped_reply(
        &self,
        node: &NodeDef,
        _text: String,
        value: serde_json::Value,
    ) -> Vec<(String, serde_json::Value)> {
        self.reply_field(node)
            .map(|f| (f, value))
            .into_iter()
            .collect()
    }
    /// Fields holding a parsed reply, with their shape (the checker types
    /// reads of `field.sub` with it).
    fn shaped_fields(&self, node: &NodeDef) -> Vec<(String, crate::reply_shape::ReplyShape)> {
        match (&node.reply, self.reply_field(node)) {
            (Some(shape), Some(field)) => vec![(field, shape.clone())],
            _ => vec![],
        }
    }
    /// A model-calling kind: the field its reply text goes to.
    fn reply_field(&self, _node: &NodeDef) -> Option<String> {
        None
    }
    /// A step that shows the label on purpose (`hint: true`, the hint retry):
    /// its reply is not label leakage.
    fn declared_hint(&self, _node: &NodeDef) -> bool {
        false
    }
    /// What `regen graph` adds to the node's label (`n=3` for a cap).
    fn graph_detail(&self, _node: &NodeDef) -> Option<String> {
        None
    }
    /// Sinks: whether this one writes a chat training set.
    fn writes_chat(&self, _node: &NodeDef) -> bool {
        false
    }
}

/// The output field of an LLM-like step: `into:` or the step's own name
/// (for a kind's [`StepKind::configure`]).
pub fn into_field(node: &NodeDef) -> String {
    node.args
        .get("into")
        .and_then(Value::as_str)
        .map_or_else(|| node.name.clone(), str::to_string)
}
