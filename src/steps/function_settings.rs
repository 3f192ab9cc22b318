//! What `python` and `command` steps share: the arguments of a step served by
//! worker processes, typed once at check time.

use super::*;
use crate::reply_shape::ReplyShape;
use std::time::Duration;

/// A function step's own argument followed by the shared ones.
pub const fn with_shared(own: ArgSpec) -> [ArgSpec; 1 + SHARED_ARGS.len()] {
    let mut all = [own; 1 + SHARED_ARGS.len()];
    let mut i = 0;
    while i < SHARED_ARGS.len() {
        all[i + 1] = SHARED_ARGS[i];
        i += 1;
    }
    all
}

/// Arguments every function step takes besides what names its code.
pub const SHARED_ARGS: [ArgSpec; 8] = [
    required("into", ArgType::Shape, "the fields the function returns, typed: `{same: bool, note: string}` (or a named `shape`); they are added to the record"),
    arg("fields", ArgType::FieldList, "the record fields passed in (default: all of them); only these are in the cache key"),
    arg("workers", ArgType::Int { min: 1, max: 256 }, "worker processes (default: 4)"),
    arg("timeout_s", ArgType::Float { min: 0.001, max: 86_400.0 }, "seconds one call may take; past it the worker is killed and the record fails `timeout` (default: 60)"),
    arg("batch", ArgType::Int { min: 1, max: 100_000 }, "records per call: the function takes a list of records and returns a list (default: one record per call)"),
    arg("version", ArgType::Str, "your version of the code, part of the cache key: change it to redo every call"),
    arg("pure", ArgType::Bool, "whether a call's result may be cached and reused (default: true)"),
    arg("on_error", ArgType::Enum(&["record", "stop"]), "`record` (default): a failure is recorded and the run goes on; `stop`: the first failure stops the run"),
];

pub const DEFAULT_WORKERS: usize = 4;
pub const DEFAULT_TIMEOUT_S: f64 = 60.0;

/// What runs a function step's calls.
#[derive(Debug, Clone)]
pub enum Program {
    /// `function: "checks/math.py:equal"`: a function in a Python file.
    Python { file: String, function: String },
    /// `run: ["./verify", "--strict"]`: any program speaking the step protocol.
    Command { argv: Vec<String> },
}

/// A `python` or `command` step's settings.
#[derive(Debug, Clone)]
pub struct FunctionStep {
    pub program: Program,
    /// The declared output (an object shape; the checker refuses others).
    pub into: ReplyShape,
    /// The fields passed in; `None`: all.
    pub fields: Option<Vec<String>>,
    pub workers: usize,
    pub timeout: Duration,
    pub batch: Option<usize>,
    pub version: Option<String>,
    pub pure: bool,
    pub stop_on_error: bool,
}

impl FunctionStep {
    pub fn configure(node: &NodeDef, program: Program) -> FunctionStep {
        let int = |k: &str| node.args.get(k).and_then(Value::as_i64);
        let timeout = node
            .args
            .get("timeout_s")
            .and_then(Value::as_f64)
            .unwrap_or(DEFAULT_TIMEOUT_S);
        FunctionStep {
            program,
            into: node.reply.clone().unwrap_or(ReplyShape::Object(vec![])),
            fields: node.args.get("fields").and_then(Value::as_array).map(|a| {
                a.iter()
                    .filter_map(Value::as_str)
                    .map(str::to_string)
                    .collect()
            }),
            workers: int("workers").map_or(DEFAULT_WORKERS, |w| w.max(1) as usize),
            timeout: Duration::from_secs_f64(timeout.max(0.001)),
            batch: int("batch").map(|b| b.max(1) as usize),
            version: node
                .args
                .get("version")
                .and_then(Value::as_str)
                .map(str::to_string),
            pure: node.args.get("pure").and_then(Value::as_bool) != Some(false),
            stop_on_error: node.args.get("on_error").and_then(Value::as_str) == Some("stop"),
        }
    }

    /// The fields one call adds to its record, with their shapes.
    pub fn outputs(&self) -> Vec<(String, ReplyShape)> {
        match &self.into {
            ReplyShape::Object(fields) => fields
                .iter()
                .map(|f| (f.name.clone(), f.shape.clone()))
                .collect(),
            _ => vec![],
        }
    }

    /// Records that may be in the step at once: enough to keep every worker
    /// busy while finished ones wait for the store's group commit (10 ms and
    /// the commit, in which a fast function finishes thousands of records).
    /// As many as one commit takes (4,096): 1,024 capped a trivial function
    /// at ~40,000 records/s here, 4,096 gave ~1.4x that (bench/functions.py).
    pub fn in_flight(&self) -> usize {
        (self.workers * self.batch.unwrap_or(1) * 4).max(4096)
    }
}

/// The estimate of a step that adds fields to each record it receives.
pub fn one_to_one(inputs: &[Estimate]) -> Estimate {
    let (records, upper_bound) = sum_inputs(inputs);
    Estimate {
        records,
        calls: 0.0,
        upper_bound,
    }
}

/// A command's program: a relative path (`./verify`, `bin/check`) is next to
/// the workflow file; a bare name is looked up on the PATH.
pub fn program_path(wf: &Workflow, program: &str) -> std::path::PathBuf {
    let p = std::path::Path::new(program);
    if p.is_relative() && p.components().count() > 1 {
        // `./verify` is `verify` beside the workflow.
        let clean: std::path::PathBuf = p
            .components()
            .filter(|c| !matches!(c, std::path::Component::CurDir))
            .collect();
        // A workflow named bare (`wf.regen`) has an empty folder: `./` keeps
        // the program from being looked up on the PATH.
        let dir = if wf.dir.as_os_str().is_empty() {
            std::path::Path::new(".")
        } else {
            wf.dir.as_path()
        };
        dir.join(clean)
    } else {
        p.to_path_buf()
    }
}
