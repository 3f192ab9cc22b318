//! One worker of a pool: a process kept busy with requests written ahead of
//! its replies, replaced when it dies or outlives the timeout.

use super::{answer, answer_all, CallFailure, Job, Later};
use crate::run::exec::halt::{Halt, StopReason};
use crate::run::worker::process::{Next, Process, Spawn, Trouble};
use serde_json::Value;
use std::collections::VecDeque;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc;

/// Requests written to a worker before the first is answered: the worker never
/// waits for regen between two records, and a read or a write carries several.
const DEPTH: usize = 8;
/// Bytes of requests written ahead, at most: less than the smallest pipe
/// buffer (16 KiB on macOS), so a write never blocks while the worker is busy
/// writing a long reply that regen has not read yet (which would deadlock).
const AHEAD_BYTES: usize = 16 * 1024;

/// A request written to the worker and not yet answered.
struct Asked {
    id: u64,
    work: Work,
    /// When the worker started on it: when the reply before it came (or it was
    /// written to an idle worker). Its timeout runs from here.
    since: Option<tokio::time::Instant>,
}

/// Work to write to a worker: its jobs, their inputs and about how many bytes
/// the request takes.
struct Work {
    jobs: Vec<Job>,
    inputs: Vec<Value>,
    bytes: usize,
}
impl Work {
    /// Jobs with their inputs taken out (the request borrows the inputs; the
    /// jobs keep the answers).
    fn of(mut jobs: Vec<Job>) -> Work {
        let inputs: Vec<Value> = jobs.iter_mut().map(|j| j.input.take()).collect();
        let bytes = inputs.iter().map(json_len).sum::<usize>() + 32;
        Work {
            jobs,
            inputs,
            bytes,
        }
    }
}

/// The length of a value written as JSON (without building the text).
fn json_len(v: &Value) -> usize {
    struct Count(usize);
    impl std::io::Write for Count {
        fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
            self.0 += b.len();
            Ok(b.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let mut c = Count(0);
    match serde_json::to_writer(&mut c, v) {
        Ok(()) => c.0,
        // (Values from JSON always serialise; count it as too big to write ahead.)
        Err(_) => AHEAD_BYTES,
    }
}

/// One worker: takes requests from the pool's queue until it closes, keeping
/// up to [`DEPTH`] of them (and [`AHEAD_BYTES`]) written ahead.
pub(super) async fn serve(
    queue: Arc<tokio::sync::Mutex<mpsc::Receiver<Job>>>,
    later: Later,
    timeout: Duration,
    halt: Arc<Halt>,
) {
    let spec = &*later.spec;
    let mut worker: Option<Process> = None;
    let mut asked: VecDeque<Asked> = VecDeque::new();
    // Requests to write (again, to a new worker, or when there is room) before anything new.
    let mut again: VecDeque<Work> = VecDeque::new();
    let mut closed = false;
    // A Python worker told the run is stopping (see `Process::ask_to_stop`).
    let mut told = false;
    loop {
        let ahead: usize = asked.iter().map(|a| a.work.bytes).sum();
        let room =
            |w: &Work| asked.is_empty() || (asked.len() < DEPTH && ahead + w.bytes <= AHEAD_BYTES);
        let next: Option<Work> = if let Some(w) = again.front() {
            if room(w) {
                again.pop_front()
            } else {
                None
            }
        } else if closed || asked.len() >= DEPTH || ahead >= AHEAD_BYTES {
            None
        } else if asked.is_empty() {
            match next_jobs(&queue, spec.batch).await {
                Some(jobs) => Some(Work::of(jobs)),
                None => {
                    closed = true;
                    None
                }
            }
        } else {
            match waiting_jobs(&queue, spec.batch).map(Work::of) {
                Some(w) if room(&w) => Some(w),
                Some(w) => {
                    // Written when the worker has caught up.
                    again.push_back(w);
                    None
                }
                None => None,
            }
        };
        if let Some(work) = next {
            if halt.stopped() {
                answer_all(work.jobs, || CallFailure::Stopped);
                continue;
            }
            let p = match &mut worker {
                Some(p) => p,
                None => match Process::start(later.get().await).await {
                    Ok(p) => {
                        told = false;
                        worker.insert(p)
                    }
                    Err(e) => {
                        // Every call would fail the same way: the run stops and says why.
                        halt.stop(StopReason::Program {
                            step: spec.step.clone(),
                            problem: e.to_string(),
                        });
                        answer_all(work.jobs, || CallFailure::Stopped);
                        continue;
                    }
                },
            };
            let send = match spec.batch {
                Some(_) => p.send(None, Some(&work.inputs)),
                None => p.send(work.inputs.first(), None),
            };
            // A program that stops reading its input must not hang the run.
            let sent = tokio::time::timeout(timeout, send).await;
            let since = asked.is_empty().then(tokio::time::Instant::now);
            match sent {
                Ok(Ok(id)) => asked.push_back(Asked { id, work, since }),
                Ok(Err(trouble)) => {
                    // Written to a worker that is gone: it is asked again, like those ahead of it.
                    again.push_front(work);
                    lost(spec, &mut worker, &mut asked, &mut again, trouble);
                }
                Err(_) => {
                    p.kill().await;
                    worker = None;
                    answer_all(work.jobs, || CallFailure::Timeout(timeout));
                    requeue(&mut asked, &mut again);
                }
            }
            continue;
        }
        let Some(head) = asked.front() else {
            if closed && again.is_empty() {
                break;
            }
            continue;
        };
        let deadline = head.since.unwrap_or_else(tokio::time::Instant::now) + timeout;
        let Some(p) = worker.as_mut() else {
            // (Cannot happen: requests are only out to a running worker.)
            requeue(&mut asked, &mut again);
            continue;
        };
        let pull = !closed && again.is_empty() && asked.len() < DEPTH && ahead < AHEAD_BYTES;
        tokio::select! {
            biased;
            event = p.next() => match event {
                Next::Reply(reply) => match reply {
                    Ok((id, result)) if asked.front().is_some_and(|h| h.id == id) => {
                        if let Some(done) = asked.pop_front() {
                            answer(done.work.jobs, result, spec.batch.is_some());
                        }
                        if halt.stopped() && !asked.is_empty() && !spec.python {
                            // The run is stopping: those written ahead are not
                            // started (a program may have begun the next one,
                            // and is cut off; a Python worker is told instead).
                            p.kill().await;
                            worker = None;
                            for a in asked.drain(..) {
                                answer_all(a.work.jobs, || CallFailure::Stopped);
                            }
                        } else if let Some(next) = asked.front_mut() {
                            next.since = Some(tokio::time::Instant::now());
                        }
                    }
                    Ok((id, _)) => {
                        let expected = asked.front().map_or(0, |h| h.id);
                        p.kill().await;
                        let why = format!("a reply for request {id} came while regen waited for {expected}");
                        lost(spec, &mut worker, &mut asked, &mut again, Trouble::Protocol(why));
                    }
                    Err(trouble) => lost(spec, &mut worker, &mut asked, &mut again, trouble),
                },
                Next::Exited(why) => {
                    // Dead, though something it started may hold its output open:
                    // the replies it wrote first are taken, then it is lost.
                    while let Ok(Ok((id, result))) = tokio::time::timeout(Duration::from_millis(100), p.recv()).await {
                        match asked.front() {
                            Some(h) if h.id == id => {
                                if let Some(done) = asked.pop_front() {
                                    answer(done.work.jobs, result, spec.batch.is_some());
                                }
                            }
                            _ => break,
                        }
                    }
                    p.kill().await;
                    let why = format!("{why}{}", p.last_words());
                    lost(spec, &mut worker, &mut asked, &mut again, Trouble::Died(why));
                },
            },
            _ = halt.stopping(), if spec.python && !told => {
                p.ask_to_stop();
                told = true;
            },
            _ = tokio::time::sleep_until(deadline) => {
                p.kill().await;
                worker = None;
                if let Some(head) = asked.pop_front() {
                    answer_all(head.work.jobs, || CallFailure::Timeout(timeout));
                }
                // Those written behind it never started: a new worker takes them.
                requeue(&mut asked, &mut again);
            },
            jobs = next_jobs(&queue, spec.batch), if pull => match jobs {
                Some(jobs) => again.push_back(Work::of(jobs)),
                None => closed = true,
            },
        }
    }
    if let Some(p) = worker {
        p.close().await;
    }
}

/// Requests written to a worker that is gone, in order before those waiting.
fn requeue(asked: &mut VecDeque<Asked>, again: &mut VecDeque<Work>) {
    for a in asked.drain(..).rev() {
        again.push_front(a.work);
    }
}

/// The worker is gone (it died, or broke the protocol and was killed): the
/// request it was on fails (a death: asked once more first), and those written
/// behind it go to the next worker.
fn lost(
    spec: &Spawn,
    worker: &mut Option<Process>,
    asked: &mut VecDeque<Asked>,
    again: &mut VecDeque<Work>,
    trouble: Trouble,
) {
    *worker = None;
    if let Some(head) = asked.pop_front() {
        match trouble {
            Trouble::Died(why) if head.work.jobs.iter().any(|j| j.retried) => {
                answer_all(head.work.jobs, || CallFailure::Died(why.clone()));
            }
            Trouble::Died(why) => {
                tracing::warn!(
                    "a worker of `{}` died ({why}); starting another and asking again",
                    spec.step
                );
                let mut work = head.work;
                work.jobs.iter_mut().for_each(|j| j.retried = true);
                // First in line again, ahead of those written behind it.
                asked.push_front(Asked {
                    id: 0,
                    work,
                    since: None,
                });
            }
            Trouble::Protocol(why) => {
                answer_all(head.work.jobs, || CallFailure::Protocol(why.clone()));
            }
        }
    }
    requeue(asked, again);
}

/// Up to `batch` jobs already waiting, without waiting for any.
fn waiting_jobs(
    queue: &tokio::sync::Mutex<mpsc::Receiver<Job>>,
    batch: Option<usize>,
) -> Option<Vec<Job>> {
    let mut rx = queue.try_lock().ok()?;
    let mut jobs = Vec::new();
    while jobs.len() < batch.unwrap_or(1) {
        match rx.try_recv() {
            Ok(j) => jobs.push(j),
            Err(_) => break,
        }
    }
    (!jobs.is_empty()).then_some(jobs)
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
