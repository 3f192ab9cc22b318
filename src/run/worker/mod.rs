//! Worker pools for `python` and `command` steps: long-lived processes that
//! speak the step protocol (`protocol`, `process`), each with a few requests
//! written ahead. A pool starts its processes on the first call (a run that
//! finds every call cached starts none), replaces one that dies and retries
//! its request once, kills one that outlives the timeout, and stops the run
//! when the program cannot start at all.

pub(crate) mod process;
pub(crate) mod protocol;
mod serve;
mod spawn;
mod stderr_log;

use crate::run::exec::halt::Halt;
use process::Spawn;
use protocol::ErrorInfo;
use serde_json::Value;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::{mpsc, oneshot};

/// The Python side of a `python` step: the stdlib's `python/regen_worker.py`,
/// run from the stdlib when its copy there is this one, else with `python -c`.
pub const WORKER_PY: &str = include_str!("../../../stdlib/python/regen_worker.py");

/// The error type a stopping Python worker answers requests it did not start with.
const NOT_STARTED: &str = "regen.NotStarted";

/// Why a call has no result.
#[derive(Debug)]
pub enum CallFailure {
    /// The function raised (or the program reported an error).
    Exception(ErrorInfo),
    /// The result could not be sent back (not JSON, a batch of the wrong length).
    Output(String),
    Timeout(Duration),
    /// The worker died twice on this request.
    Died(String),
    /// The program broke the protocol.
    Protocol(String),
    /// The run is stopping: not run.
    Stopped,
}

struct Job {
    input: Value,
    answer: oneshot::Sender<Result<Value, CallFailure>>,
    retried: bool,
}

/// A function step's pool and the identity of its code.
pub struct StepWorkers {
    pub pool: Pool,
    /// The code's content hash (and the program's arguments): the cache key's part.
    pub code: String,
}

pub struct Pool {
    queue: Mutex<Option<mpsc::Sender<Job>>>,
    tasks: tokio::sync::Mutex<tokio::task::JoinSet<()>>,
}

impl Pool {
    /// A pool of `workers` processes started as `spec` says, on first use.
    pub fn new(spec: Spawn, workers: usize, timeout: Duration, halt: Arc<Halt>) -> Pool {
        let (tx, rx) = mpsc::channel::<Job>(workers * spec.batch.unwrap_or(1) * 2);
        let rx = Arc::new(tokio::sync::Mutex::new(rx));
        let spec = Arc::new(spec);
        let real = Arc::new(tokio::sync::OnceCell::new());
        let mut tasks = tokio::task::JoinSet::new();
        for _ in 0..workers {
            let (rx, spec, real, halt) = (rx.clone(), spec.clone(), real.clone(), halt.clone());
            tasks.spawn(async move {
                // Resolved on the first call that needs a process (a cached run starts none).
                let spec = Later { spec, real };
                serve::serve(rx, spec, timeout, halt).await
            });
        }
        Pool {
            queue: Mutex::new(Some(tx)),
            tasks: tokio::sync::Mutex::new(tasks),
        }
    }

    /// One call: the function's result for `input`.
    pub async fn call(&self, input: Value) -> Result<Value, CallFailure> {
        let sender = self.queue.lock().unwrap_or_else(|p| p.into_inner()).clone();
        let Some(sender) = sender else {
            return Err(CallFailure::Stopped);
        };
        let (answer, wait) = oneshot::channel();
        let job = Job {
            input,
            answer,
            retried: false,
        };
        if sender.send(job).await.is_err() {
            return Err(CallFailure::Stopped);
        }
        wait.await.unwrap_or(Err(CallFailure::Stopped))
    }

    /// No more calls: each worker finishes its request and its process is closed.
    pub async fn shutdown(&self) {
        self.queue.lock().unwrap_or_else(|p| p.into_inner()).take();
        let mut tasks = self.tasks.lock().await;
        while let Some(done) = tasks.join_next().await {
            if let Err(e) = done {
                tracing::error!("a worker task ended badly: {e}");
            }
        }
    }
}

/// The step's program, resolved once per pool when a worker first starts one.
struct Later {
    spec: Arc<Spawn>,
    real: Arc<tokio::sync::OnceCell<Spawn>>,
}

impl Later {
    async fn get(&self) -> &Spawn {
        self.real
            .get_or_init(|| process::resolved(&self.spec))
            .await
    }
}

/// A reply to its jobs.
fn answer(jobs: Vec<Job>, result: Result<Value, ErrorInfo>, batched: bool) {
    match result {
        Ok(v) => answer_results(jobs, v, batched),
        Err(info) if info.output => {
            let why = info.to_string();
            answer_all(jobs, || CallFailure::Output(why.clone()));
        }
        // A request a stopping Python worker did not start.
        Err(info) if info.kind == NOT_STARTED => answer_all(jobs, || CallFailure::Stopped),
        Err(info) => answer_all(jobs, || CallFailure::Exception(info.clone())),
    }
}

fn answer_all(jobs: Vec<Job>, why: impl Fn() -> CallFailure) {
    for j in jobs {
        // The caller may have gone (the run ended): nothing waits for the answer.
        let _ = j.answer.send(Err(why()));
    }
}

/// A reply's result, to its job (per record) or split over the batch's jobs.
fn answer_results(jobs: Vec<Job>, result: Value, batched: bool) {
    if !batched {
        for j in jobs {
            let _ = j.answer.send(Ok(result.clone()));
        }
        return;
    }
    match result {
        Value::Array(items) if items.len() == jobs.len() => {
            for (j, v) in jobs.into_iter().zip(items) {
                let _ = j.answer.send(Ok(v));
            }
        }
        other => {
            let n = jobs.len();
            let got = match &other {
                Value::Array(items) => format!("{} results", items.len()),
                Value::Object(_) => "an object instead of a list".to_string(),
                Value::String(_) => "a string instead of a list".to_string(),
                Value::Null => "None instead of a list".to_string(),
                _ => "a scalar instead of a list".to_string(),
            };
            answer_all(jobs, || {
                CallFailure::Output(format!("the batch function returned {got} for {n} records"))
            });
        }
    }
}
