//! Counters per step, read by the progress line and the summary.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

/// The furthest-reaching rejected record of a filter: (conditions it passed, the record).
pub type Best = Option<(usize, std::sync::Arc<crate::record::Rec>)>;

/// (seconds since start, calls answered so far, tokens so far)
pub type Point = (f64, u64, u64);

#[derive(Default)]
pub struct StepStats {
    pub received: AtomicU64,
    pub emitted: AtomicU64,
    pub calls: AtomicU64,
    pub cache_hits: AtomicU64,
    pub inflight: AtomicU64,
    /// Records a stop (budget, Ctrl-C, an endpoint nobody answers) left unprocessed.
    pub not_run: AtomicU64,
    /// Re-asks of replies that did not fit the step's `reply:` shape.
    pub reasked: AtomicU64,
    pub prompt_tokens: AtomicU64,
    pub completion_tokens: AtomicU64,
    pub failures: Mutex<BTreeMap<String, u64>>,
    /// A filter's funnel: records removed by each of its conditions (see `funnel`).
    pub removed: Mutex<Vec<u64>>,
    pub sampled_kept: AtomicU64,
    pub sampled_removed: AtomicU64,
    pub best_rejected: Mutex<Best>,
}

impl StepStats {
    /// A reply counts as a cache hit, or as a call with its tokens.
    pub fn count_reply(&self, reply: &crate::run::client::Reply) {
        if reply.cached {
            self.cache_hits.fetch_add(1, Ordering::Relaxed);
        } else {
            self.calls.fetch_add(1, Ordering::Relaxed);
            self.prompt_tokens
                .fetch_add(reply.prompt_tokens, Ordering::Relaxed);
            self.completion_tokens
                .fetch_add(reply.completion_tokens, Ordering::Relaxed);
        }
    }
}

/// A sink whose partial file is complete and synced, waiting for the run's
/// outcome (`sink_target::promote` moves it into place, or not).
pub struct FinishedSink {
    pub id: usize,
    pub path: std::path::PathBuf,
    pub partial: std::path::PathBuf,
}

pub struct Stats {
    pub steps: Vec<StepStats>,
    pub sink_records: Mutex<BTreeMap<String, u64>>,
    /// Distinct source records behind each sink's lines (the "yield" of a training sink).
    pub sink_sources: Mutex<BTreeMap<String, u64>>,
    pub source_records: AtomicU64,
    pub skipped_rows: AtomicU64,
    /// Calls and tokens over time (see `timeline`).
    pub timeline: Mutex<Vec<Point>>,
    /// Records written per sink, by the seed guideline behind them.
    pub sink_guidelines: Mutex<BTreeMap<String, BTreeMap<String, u64>>>,
    /// Batch mode: requests sent through the Batch API, batches, requests sent again, and left to online calls.
    pub batch: [AtomicU64; 4],
    /// Sinks whose partial files are complete, waiting for the run's outcome.
    pub finished_sinks: Mutex<Vec<FinishedSink>>,
}

impl Stats {
    pub fn new(n: usize) -> Self {
        Stats {
            steps: (0..n).map(|_| StepStats::default()).collect(),
            sink_records: Mutex::new(BTreeMap::new()),
            sink_sources: Mutex::new(BTreeMap::new()),
            source_records: AtomicU64::new(0),
            skipped_rows: AtomicU64::new(0),
            sink_guidelines: Mutex::new(BTreeMap::new()),
            timeline: Mutex::new(Vec::new()),
            batch: Default::default(),
            finished_sinks: Mutex::new(Vec::new()),
        }
    }
    pub fn step(&self, id: usize) -> &StepStats {
        &self.steps[id]
    }
    pub fn fail(&self, id: usize, reason: &str) {
        let mut f = self.steps[id]
            .failures
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        *f.entry(reason.to_string()).or_default() += 1;
    }
    pub fn removed(&self, id: usize, condition: usize) {
        let mut r = self.steps[id]
            .removed
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        if r.len() <= condition {
            r.resize(condition + 1, 0);
        }
        r[condition] += 1;
    }
    pub fn total_failures(&self) -> u64 {
        // Read through a poisoned lock: a panic elsewhere must not make failures read as zero.
        self.steps
            .iter()
            .map(|s| read(&s.failures).values().sum::<u64>())
            .sum()
    }
    pub fn get(a: &AtomicU64) -> u64 {
        a.load(Ordering::Relaxed)
    }
}

/// A copy of what a lock holds, read even when a panic poisoned it: the data
/// is whole (every writer here updates it in one step), and reading it as
/// empty would report a failed run's failures as zero.
pub fn read<T: Clone>(m: &Mutex<T>) -> T {
    m.lock().unwrap_or_else(|p| p.into_inner()).clone()
}
