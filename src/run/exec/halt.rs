//! Stopping a run cleanly: on Ctrl-C/SIGTERM or when a budget (calls, tokens,
//! cost) is spent, no new request starts, requests in flight get a grace period,
//! then the run winds down normally — sinks and the store are flushed and every
//! finished call is in the cache, so the same command resumes it.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::Duration;
use tokio::sync::watch;
use tokio::time::Instant;

#[derive(Debug, Default, Clone, Copy)]
pub struct Budget {
    pub max_calls: Option<u64>,
    pub max_tokens: Option<u64>,
    /// In the currency of the models' `price_prompt` / `price_completion` (per million tokens).
    pub max_cost: Option<f64>,
}

/// Why a run stopped before its end. Each has its own exit code.
#[derive(Debug, Clone, PartialEq)]
pub enum StopReason {
    /// Ctrl-C or SIGTERM.
    Interrupted,
    /// A `--max-calls/--max-tokens/--max-cost` limit was reached (the message says which).
    Budget(String),
    /// Nobody answers at a model's endpoint, or it refuses us: waiting will not help.
    Endpoint {
        model: String,
        endpoint: String,
        problem: String,
        advice: String,
    },
    /// A `python`/`command` step's program cannot start: every call would fail.
    Program { step: String, problem: String },
    /// A record of a step with `on_error: stop` failed.
    StepFailed { step: String, problem: String },
}

impl StopReason {
    pub fn exit_code(&self) -> i32 {
        match self {
            StopReason::Interrupted => 130,
            StopReason::Budget(_) => 3,
            StopReason::Endpoint { .. } | StopReason::Program { .. } => 4,
            StopReason::StepFailed { .. } => 1,
        }
    }
    pub fn is_budget(&self) -> bool {
        matches!(self, StopReason::Budget(_))
    }
}

impl std::fmt::Display for StopReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StopReason::Interrupted => f.write_str("interrupted"),
            StopReason::Budget(why) => write!(f, "budget: {why}"),
            StopReason::Endpoint {
                model,
                endpoint,
                problem,
                ..
            } => write!(f, "model `{model}` at {endpoint}: {problem}"),
            StopReason::Program { step, problem } => write!(f, "step `{step}`: {problem}"),
            StopReason::StepFailed { step, problem } => {
                write!(f, "step `{step}` failed (on_error: stop): {problem}")
            }
        }
    }
}

pub struct Halt {
    stopped: AtomicBool,
    reason: Mutex<Option<StopReason>>,
    /// When in-flight requests are cancelled (set on stop: now + grace).
    deadline: watch::Sender<Option<Instant>>,
    grace: Duration,
    budget: Budget,
    calls: AtomicU64,
    tokens: AtomicU64,
    /// Spent so far, in millionths.
    cost_micro: AtomicU64,
}

impl Halt {
    pub fn new(budget: Budget, grace: Duration) -> Self {
        Halt {
            stopped: AtomicBool::new(false),
            reason: Mutex::new(None),
            deadline: watch::channel(None).0,
            grace,
            budget,
            calls: AtomicU64::new(0),
            tokens: AtomicU64::new(0),
            cost_micro: AtomicU64::new(0),
        }
    }

    /// Stop starting requests; the first reason given is the one reported.
    pub fn stop(&self, why: StopReason) {
        if self.stopped.swap(true, Ordering::SeqCst) {
            return;
        }
        *self.reason.lock().unwrap_or_else(|p| p.into_inner()) = Some(why);
        self.deadline
            .send_replace(Some(Instant::now() + self.grace));
    }

    pub fn stopped(&self) -> bool {
        self.stopped.load(Ordering::SeqCst)
    }

    pub fn reason(&self) -> Option<StopReason> {
        self.reason
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// May a new HTTP request start? Counts it against `max_calls`.
    pub fn admit(&self) -> Result<(), StopReason> {
        if self.stopped() {
            return Err(self.reason().unwrap_or(StopReason::Interrupted));
        }
        let n = self.calls.fetch_add(1, Ordering::SeqCst) + 1;
        if let Some(max) = self.budget.max_calls {
            if n > max {
                self.stop(StopReason::Budget(format!("--max-calls {max} reached")));
                return Err(self.reason().unwrap_or(StopReason::Interrupted));
            }
        }
        Ok(())
    }

    /// Account a reply's tokens and cost; stop new requests once a budget is spent.
    pub fn charge(&self, prompt: u64, completion: u64, price_prompt: f64, price_completion: f64) {
        let tokens =
            self.tokens.fetch_add(prompt + completion, Ordering::SeqCst) + prompt + completion;
        // Prices are per million tokens, the tally is in millionths: tokens × price.
        let cost = (prompt as f64 * price_prompt + completion as f64 * price_completion) as u64;
        let spent = self.cost_micro.fetch_add(cost, Ordering::SeqCst) + cost;
        if let Some(max) = self.budget.max_tokens.filter(|m| tokens >= *m) {
            self.stop(StopReason::Budget(format!(
                "--max-tokens {max} reached ({tokens} tokens)"
            )));
        }
        if let Some(max) = self.budget.max_cost.filter(|m| spent as f64 / 1e6 >= *m) {
            self.stop(StopReason::Budget(format!(
                "--max-cost {max} reached ({:.4} spent)",
                spent as f64 / 1e6
            )));
        }
    }

    /// Resolves when the run stops (new requests are refused from then on).
    pub async fn stopping(&self) {
        let mut rx = self.deadline.subscribe();
        if rx.wait_for(Option::is_some).await.is_err() {
            std::future::pending::<()>().await;
        }
    }

    /// Resolves when requests in flight must be abandoned (stop + grace).
    pub async fn cancelled(&self) {
        let mut rx = self.deadline.subscribe();
        let Ok(deadline) = rx.wait_for(Option::is_some).await.map(|d| *d) else {
            return std::future::pending().await;
        };
        if let Some(d) = deadline {
            tokio::time::sleep_until(d).await;
        }
    }
}

/// Ctrl-C or SIGTERM: stop cleanly; a second one exits at once (the store's
/// commits are atomic and sinks are written under a temporary name, so nothing
/// is torn).
/// On the second signal, `on_quit` runs (it marks the run in the store) before
/// the process exits.
pub fn on_signals(
    halt: std::sync::Arc<Halt>,
    on_quit: impl FnOnce() + Send + 'static,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut term =
            tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).ok();
        next_signal(&mut term).await;
        halt.stop(StopReason::Interrupted);
        tracing::warn!("interrupted — no new calls; waiting up to {} s for calls in flight (again to quit now)", halt.grace.as_secs());
        next_signal(&mut term).await;
        tracing::warn!(
            "quitting now; every finished call is in the cache — run the same command to resume; the sinks' files were not replaced (lines so far are in their `.partial` files)"
        );
        on_quit();
        std::process::exit(130);
    })
}

async fn next_signal(term: &mut Option<tokio::signal::unix::Signal>) {
    match term {
        Some(t) => {
            tokio::select! {
                r = tokio::signal::ctrl_c() => {
                    if r.is_err() {
                        t.recv().await;
                    }
                }
                _ = t.recv() => {}
            }
        }
        None => {
            // No handler could be installed: wait for nothing, never stop on a failure.
            if tokio::signal::ctrl_c().await.is_err() {
                std::future::pending::<()>().await;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn budgets_stop_admission() {
        let h = Halt::new(
            Budget {
                max_calls: Some(2),
                ..Default::default()
            },
            Duration::ZERO,
        );
        assert!(h.admit().is_ok() && h.admit().is_ok());
        assert!(h.admit().unwrap_err().to_string().contains("--max-calls 2"));
        assert!(h.admit().is_err(), "stays stopped");
        let h = Halt::new(
            Budget {
                max_cost: Some(0.5),
                ..Default::default()
            },
            Duration::ZERO,
        );
        h.charge(100_000, 100_000, 1.0, 2.0); // 0.1 + 0.2
        assert!(!h.stopped());
        h.charge(100_000, 100_000, 1.0, 2.0);
        assert!(h.stopped() && h.reason().unwrap().to_string().contains("--max-cost 0.5"));
    }
}
