//! Worker pools for `python` and `command` steps: long-lived processes that
//! speak the step protocol (`protocol`), one request each at a time
//! (`process`). A pool starts its processes on the first call (a run that
//! finds every call cached starts none), replaces one that dies and retries
//! its request once, kills one that outlives the timeout, and stops the run
//! when the program cannot start at all.

pub(crate) mod process;
pub(crate) mod protocol;

use crate::run::exec::halt::{Halt, StopReason};
use process::{Process, Spawn, Trouble};
use protocol::ErrorInfo;
use serde_json::Value;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::{mpsc, oneshot};

/// The Python side of a `python` step: the stdlib's `python/regen_worker.py`,
/// run from the stdlib when its copy there is this one, else with `python -c`.
pub const WORKER_PY: &str = include_str!("../../../stdlib/python/regen_worker.py");

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
        let mut tasks = tokio::task::JoinSet::new();
        for _ in 0..workers {
            tasks.spawn(serve(rx.clone(), spec.clone(), timeout, halt.clone()));
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

/// One worker: takes requests from the pool's queue until it closes.
async fn serve(
    queue: Arc<tokio::sync::Mutex<mpsc::Receiver<Job>>>,
    spec: Arc<Spawn>,
    timeout: Duration,
    halt: Arc<Halt>,
) {
    let mut worker: Option<Process> = None;
    loop {
        let Some(mut jobs) = next_jobs(&queue, spec.batch).await else {
            break;
        };
        if halt.stopped() {
            answer_all(jobs, || CallFailure::Stopped);
            continue;
        }
        loop {
            let p = match &mut worker {
                Some(p) => p,
                None => match Process::start(&spec).await {
                    Ok(p) => worker.insert(p),
                    Err(e) => {
                        // Every call would fail the same way: the run stops and says why.
                        halt.stop(StopReason::Program {
                            step: spec.step.clone(),
                            problem: e.to_string(),
                        });
                        answer_all(jobs, || CallFailure::Stopped);
                        break;
                    }
                },
            };
            let inputs: Vec<Value> = jobs.iter_mut().map(|j| j.input.take()).collect();
            let asked = match spec.batch {
                Some(_) => p.ask(None, Some(&inputs), timeout).await,
                None => p.ask(inputs.first(), None, timeout).await,
            };
            match asked {
                Ok(Ok(v)) => {
                    answer_results(jobs, v, spec.batch.is_some());
                    break;
                }
                Ok(Err(info)) if info.output => {
                    let why = info.to_string();
                    answer_all(jobs, || CallFailure::Output(why.clone()));
                    break;
                }
                Ok(Err(info)) => {
                    answer_all(jobs, || CallFailure::Exception(info.clone()));
                    break;
                }
                Err(Trouble::Timeout) => {
                    worker = None;
                    answer_all(jobs, || CallFailure::Timeout(timeout));
                    break;
                }
                Err(Trouble::Protocol(why)) => {
                    worker = None;
                    answer_all(jobs, || CallFailure::Protocol(why.clone()));
                    break;
                }
                Err(Trouble::Died(why)) => {
                    worker = None;
                    if jobs.iter().any(|j| j.retried) {
                        answer_all(jobs, || CallFailure::Died(why.clone()));
                        break;
                    }
                    tracing::warn!(
                        "a worker of `{}` died ({why}); starting another and asking again",
                        spec.step
                    );
                    for (j, input) in jobs.iter_mut().zip(inputs) {
                        j.retried = true;
                        j.input = input;
                    }
                }
            }
        }
    }
    if let Some(p) = worker {
        p.close().await;
    }
}

/// The next request's jobs: one, or up to `batch` of those already waiting.
async fn next_jobs(
    queue: &tokio::sync::Mutex<mpsc::Receiver<Job>>,
    batch: Option<usize>,
) -> Option<Vec<Job>> {
    let mut rx = queue.lock().await;
    let first = rx.recv().await?;
    let mut jobs = vec![first];
    while jobs.len() < batch.unwrap_or(1) {
        match rx.try_recv() {
            Ok(j) => jobs.push(j),
            Err(_) => break,
        }
    }
    Some(jobs)
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
