//! What a run is asked to do ([`RunOptions`]) and what it hands back ([`RunReport`]).

use crate::run::exec::{halt, shard};
use crate::run::report::{progress, run_summary};
use std::path::PathBuf;

pub struct RunOptions {
    pub limit: Option<u64>,
    /// Send every model's uncached calls through the Batch API.
    pub batch: bool,
    /// Write this step's uncached calls to this file as batch input and make no call at all.
    pub export: Option<(String, PathBuf)>,
    /// Only this shard's rows of every source.
    pub shard: Option<shard::Shard>,
    pub run_dir: PathBuf,
    pub store: PathBuf,
    pub refresh: Vec<String>,
    pub file: PathBuf,
    /// Stage by stage instead of streaming (a baseline for benchmarks).
    pub barrier: bool,
    pub budget: halt::Budget,
    /// How long calls in flight may finish after a stop.
    pub grace: std::time::Duration,
    pub progress: progress::ProgressMode,
    /// Seconds between progress lines (when not drawing bars).
    pub progress_every: std::time::Duration,
}

/// Seconds calls in flight may finish after a stop, unless told otherwise.
pub const DEFAULT_GRACE_S: u64 = 30;

impl RunOptions {
    /// A plain run: no refresh, streaming, no budget, the default grace.
    pub fn new(file: PathBuf, run_dir: PathBuf, store: PathBuf, limit: Option<u64>) -> Self {
        RunOptions {
            limit,
            batch: false,
            export: None,
            shard: None,
            run_dir,
            store,
            refresh: vec![],
            file,
            barrier: false,
            budget: halt::Budget::default(),
            grace: std::time::Duration::from_secs(DEFAULT_GRACE_S),
            progress: progress::ProgressMode::Auto,
            progress_every: std::time::Duration::from_secs(10),
        }
    }
}

pub struct RunReport {
    pub run_id: i64,
    pub workflow: String,
    /// As recorded in the store: ok, failures, stopped.
    pub status: String,
    pub text: String,
    pub summary: run_summary::RunSummary,
    pub failures: u64,
    pub http_calls: u64,
    /// Why the run stopped early (interrupt or budget), if it did.
    pub halted: Option<halt::StopReason>,
}
