//! One `python` or `command` step's record: cache first (the key holds the
//! code's identity, the input fields and the declared output), else a worker
//! of the step's pool; the result is checked against `into:` and stored before
//! it moves on, so a killed run repeats no finished call.

use crate::record::Rec;
use crate::run::exec::context::{failure, Ctx};
use crate::run::exec::failure::{CallError, FailReason};
use crate::run::exec::halt::StopReason;
use crate::run::store::CachedCall;
use crate::run::worker::process::Spawn;
use crate::run::worker::{CallFailure, Pool, StepWorkers};
use crate::steps::{FunctionStep, Program};
use crate::workflow::{NodeDef, NodeId, Workflow};
use serde::Serialize;
use serde_json::{Map, Value};
use std::sync::atomic::Ordering;
use std::sync::Arc;

/// Why a function step cannot be set up for a run.
#[derive(Debug, thiserror::Error)]
#[error("step `{step}`: cannot read {}: {source}", path.display())]
pub struct SetupProblem {
    pub step: String,
    pub path: std::path::PathBuf,
    pub source: std::io::Error,
}

/// Everything that decides a function call's result; hashed with blake3.
#[derive(Serialize)]
struct FunctionKey<'a> {
    function: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    version: Option<&'a str>,
    into: String,
    input: &'a Value,
}

/// How a step's program starts, and its code's identity.
pub fn setup(
    wf: &Workflow,
    node: &NodeDef,
    halt: Arc<crate::run::exec::halt::Halt>,
) -> Result<StepWorkers, SetupProblem> {
    let s = node.settings::<FunctionStep>();
    let problem = |path: std::path::PathBuf, source| SetupProblem {
        step: node.name.clone(),
        path,
        source,
    };
    let (spawn, code) = match &s.program {
        Program::Python { file, function } => {
            let path = absolute(&wf.locate(file));
            let text = std::fs::read(&path).map_err(|e| problem(path.clone(), e))?;
            // The stdlib's copy of the worker keeps `ps` readable; any other copy
            // (an older stdlib) is not trusted to speak this version: `-c` then.
            let script = wf.stdlib.join("python/regen_worker.py");
            let mut args = vec!["-u".to_string()];
            match std::fs::read_to_string(&script) {
                Ok(t) if t == crate::run::worker::WORKER_PY => {
                    args.push(absolute(&script).display().to_string())
                }
                _ => args.extend(["-c".to_string(), crate::run::worker::WORKER_PY.to_string()]),
            }
            args.extend([path.display().to_string(), function.clone()]);
            let interpreter = wf.python_interpreter().0;
            let interpreter = if interpreter.components().count() > 1 {
                absolute(&interpreter)
            } else {
                interpreter
            };
            let code =
                crate::run::exec::code_identity::python(&path, &text, function, &interpreter);
            (spawn(wf, node, interpreter, args, s), code)
        }
        Program::Command { argv } => {
            let program = crate::steps::program_path(wf, argv.first().map_or("", String::as_str));
            let program = if program.components().count() > 1 {
                absolute(&program)
            } else {
                program
            };
            // It runs in the workflow's folder; `stdlib/…` arguments name the stdlib's files.
            let args: Vec<String> = argv
                .iter()
                .skip(1)
                .map(|a| match a.starts_with("stdlib/") {
                    true => wf.locate(a).display().to_string(),
                    false => a.clone(),
                })
                .collect();
            // Every argument naming a file (the program, a script it runs) is
            // part of the code: editing it redoes the step's calls.
            let mut code = String::from("command");
            for (i, a) in argv.iter().enumerate() {
                let p = if i == 0 {
                    program.clone()
                } else {
                    absolute(&wf.dir).join(&args[i - 1])
                };
                let hashed = std::fs::read(&p)
                    .ok()
                    .filter(|_| p.is_file())
                    .map(|t| blake3::hash(&t).to_hex().to_string());
                code.push_str(&format!(":{}", serde_json::json!([a, hashed])));
            }
            (spawn(wf, node, program, args, s), code)
        }
    };
    Ok(StepWorkers {
        pool: Pool::new(spawn, s.workers, s.timeout, halt),
        code,
    })
}

/// A path made absolute against the current folder (workers run in the
/// workflow's folder, so nothing relative may reach them).
fn absolute(p: &std::path::Path) -> std::path::PathBuf {
    // A workflow in the current folder has an empty folder name.
    let p = if p.as_os_str().is_empty() {
        std::path::Path::new(".")
    } else {
        p
    };
    std::path::absolute(p).unwrap_or_else(|_| p.to_path_buf())
}

fn spawn(
    wf: &Workflow,
    node: &NodeDef,
    program: std::path::PathBuf,
    args: Vec<String>,
    s: &FunctionStep,
) -> Spawn {
    Spawn {
        step: node.name.clone(),
        program,
        args,
        batch: s.batch,
        dir: absolute(&wf.dir),
        python: matches!(s.program, Program::Python { .. }),
    }
}

/// One record through the step: the record with the function's fields added,
/// or `None` (a recorded failure, or not run when the run is stopping).
pub async fn call(cx: &Ctx, id: NodeId, parent: Arc<Rec>) -> Option<Rec> {
    let node = &cx.wf.nodes[id];
    let s = node.settings::<FunctionStep>();
    let stats = cx.stats.step(id);
    let Some(workers) = cx.workers.get(id).and_then(Option::as_ref) else {
        let err = CallError::failed(
            FailReason::Client,
            "the step has no worker pool (a bug in regen)",
        );
        failure(cx, id, &parent, &err);
        return None;
    };
    let input = match &s.fields {
        Some(names) => Value::Object(
            names
                .iter()
                .filter_map(|f| parent.fields.get_key_value(f))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect::<Map<_, _>>(),
        ),
        None => Value::Object(parent.fields.clone()),
    };
    let key = s.pure.then(|| {
        let k = FunctionKey {
            function: &workers.code,
            version: s.version.as_deref(),
            into: s.into.describe(),
            input: &input,
        };
        let json = serde_json::to_string(&k).unwrap_or_else(|_| format!("{}{input}", workers.code));
        (blake3::hash(json.as_bytes()).to_hex().to_string(), json)
    });
    if let (Some((hash, _)), false) = (&key, cx.refresh[id]) {
        match cx.store.get(hash) {
            Ok(Some(c)) => {
                // A stored result that no longer fits (it should always) is asked again.
                if let Ok(v) = serde_json::from_str::<Value>(&c.reply) {
                    if s.into.validate(&v).is_ok() {
                        stats.cache_hits.fetch_add(1, Ordering::Relaxed);
                        return Some(emit(cx, id, parent, v));
                    }
                }
            }
            Ok(None) => {}
            Err(e) => {
                let err = CallError::failed(
                    FailReason::Store,
                    format!("the cache could not be read: {e}"),
                );
                failure(cx, id, &parent, &err);
                return None;
            }
        }
    }
    if cx.halt.stopped() {
        failure(cx, id, &parent, &CallError::Stopped);
        return None;
    }
    stats.inflight.fetch_add(1, Ordering::Relaxed);
    let result = workers.pool.call(input).await;
    stats.inflight.fetch_sub(1, Ordering::Relaxed);
    if !matches!(result, Err(CallFailure::Stopped)) {
        stats.calls.fetch_add(1, Ordering::Relaxed);
    }
    let value = match result.map_err(failed) {
        Ok(mut v) => {
            match s.into.validate(&v) {
                Ok(()) => {
                    crate::whole_ints::make_whole_ints(&s.into, &mut v);
                    v
                }
                Err(problem) => {
                    let shown: String = v.to_string().chars().take(4000).collect();
                    return fail(cx, id, &parent, CallError::failed(FailReason::ReplyShape, format!("the result does not fit `into: {}`: {problem}; it returned {shown}", s.into.describe())));
                }
            }
        }
        Err(e) => return fail(cx, id, &parent, e),
    };
    if let Some((hash, json)) = key {
        let stored = CachedCall {
            reply: value.to_string(),
            prompt_tokens: 0,
            completion_tokens: 0,
            truncated: false,
        };
        if let Err(e) = cx.store.put(hash, json, stored).await {
            let err = CallError::failed(
                FailReason::Store,
                format!("the result could not be stored: {e}"),
            );
            return fail(cx, id, &parent, err);
        }
    }
    Some(emit(cx, id, parent, value))
}

/// A failure recorded; with `on_error: stop`, the run stops too.
fn fail(cx: &Ctx, id: NodeId, r: &Rec, e: CallError) -> Option<Rec> {
    failure(cx, id, r, &e);
    let node = &cx.wf.nodes[id];
    if let (CallError::Failed { reason, raw }, true) =
        (&e, node.settings::<FunctionStep>().stop_on_error)
    {
        let first = raw.lines().next().unwrap_or_default();
        cx.halt.stop(StopReason::StepFailed {
            step: node.name.clone(),
            problem: format!("{reason} on record {}: {first}", r.key),
        });
    }
    None
}

fn failed(f: CallFailure) -> CallError {
    match f {
        CallFailure::Exception(info) => CallError::failed(FailReason::Exception, info.to_string()),
        CallFailure::Output(why) => CallError::failed(
            FailReason::ReplyShape,
            format!("the result could not be read: {why}"),
        ),
        CallFailure::Timeout(d) => CallError::failed(
            FailReason::Timeout,
            format!(
                "the call took longer than {}s; its worker was killed",
                d.as_secs_f64()
            ),
        ),
        CallFailure::Died(why) => {
            CallError::failed(FailReason::WorkerDied, format!("{why} (asked twice)"))
        }
        CallFailure::Protocol(why) => CallError::failed(
            FailReason::MalformedReply,
            format!("the program broke the step protocol: {why}"),
        ),
        CallFailure::Stopped => CallError::Stopped,
    }
}

/// The record with the function's fields (the key stays: a function step
/// changes no downstream call's identity but through the fields it adds).
fn emit(cx: &Ctx, id: NodeId, parent: Arc<Rec>, value: Value) -> Rec {
    cx.stats.step(id).emitted.fetch_add(1, Ordering::Relaxed);
    let mut out = Arc::unwrap_or_clone(parent);
    if let Value::Object(fields) = value {
        out.fields.extend(fields);
    }
    out
}
