//! Many servers behind one model: which replica takes the next request, and
//! which are out of the rotation. `least_outstanding` sends each request to the
//! replica with the fewest requests in flight; `affinity` keeps a source
//! record's calls on one replica (its prefix cache holds the long shared
//! prompt), spilling to the least loaded when that one is full. A replica whose
//! requests keep failing (no connection, 5xx, timeouts) leaves the rotation for
//! a cool-down that doubles while it stays bad; the retry goes elsewhere.

use crate::run::exec::failure::FailReason;
use async_openai::config::OpenAIConfig;
use async_openai::Client;
use hdrhistogram::Histogram;
use std::sync::atomic::{AtomicU32, AtomicU64, AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::Duration;
use tokio::time::Instant;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Routing {
    LeastOutstanding,
    Affinity,
    /// Each replica in turn, whatever its load: the baseline the others are measured against.
    RoundRobin,
}

impl Routing {
    pub fn parse(s: Option<&str>) -> Routing {
        match s {
            Some("affinity") => Routing::Affinity,
            Some("round_robin") => Routing::RoundRobin,
            _ => Routing::LeastOutstanding,
        }
    }
}

/// Failures in a row that take a replica out of the rotation.
const STRIKES: u32 = 3;
const FIRST_COOL_DOWN: Duration = Duration::from_secs(2);
const LONGEST_COOL_DOWN: Duration = Duration::from_secs(60);
/// The longest latency the histogram tells apart (a day); longer ones count as this.
const LONGEST_MS: u64 = 24 * 3600 * 1000;

/// Three significant digits: every latency under 2 s is exact to the millisecond.
fn latency_histogram() -> Histogram<u64> {
    // Fixed, valid bounds: construction cannot fail.
    Histogram::new_with_bounds(1, LONGEST_MS, 3).expect("valid histogram bounds")
}

pub struct Replica {
    pub url: String,
    pub client: Client<OpenAIConfig>,
    outstanding: AtomicUsize,
    in_a_row: AtomicU32,
    out_until: Mutex<Option<(Instant, Duration)>>,
    calls: AtomicU64,
    failures: AtomicU64,
    /// Latency in ms as a histogram: its size is fixed, however many calls the run makes.
    latencies_ms: Mutex<Histogram<u64>>,
    /// Since when every connection to it has failed (cleared by any answer).
    refusing_since: Mutex<Option<Instant>>,
}

pub struct Replicas {
    pub list: Vec<Replica>,
    routing: Routing,
    /// Requests in flight per replica at most (the model's `concurrency`), held
    /// even when other replicas are down; `affinity` spills over past it.
    per_replica: usize,
    turn: AtomicUsize,
    /// Signalled whenever a request leaves a replica: a waiting request looks again.
    freed: tokio::sync::Notify,
}

/// A request in flight on a replica; the count drops with it.
pub struct InFlight<'a> {
    pub index: usize,
    pub replica: &'a Replica,
    started: Instant,
    freed: Option<&'a tokio::sync::Notify>,
}

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.replica.outstanding.fetch_sub(1, Ordering::AcqRel);
        if let Some(f) = self.freed {
            f.notify_waiters();
        }
    }
}

impl Replicas {
    pub fn new(
        clients: Vec<(String, Client<OpenAIConfig>)>,
        routing: Routing,
        per_replica: usize,
    ) -> Replicas {
        let list = clients
            .into_iter()
            .map(|(url, client)| Replica {
                url,
                client,
                outstanding: AtomicUsize::new(0),
                in_a_row: AtomicU32::new(0),
                out_until: Mutex::new(None),
                calls: AtomicU64::new(0),
                failures: AtomicU64::new(0),
                latencies_ms: Mutex::new(latency_histogram()),
                refusing_since: Mutex::new(None),
            })
            .collect();
        Replicas {
            list,
            routing,
            per_replica: per_replica.max(1),
            turn: AtomicUsize::new(0),
            freed: tokio::sync::Notify::new(),
        }
    }

    fn in_rotation(&self, i: usize, now: Instant) -> bool {
        self.list[i]
            .out_until
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .is_none_or(|(until, _)| now >= until)
    }

    /// The replica for the next attempt, waiting while every replica it may use
    /// holds `concurrency` requests already (with one replica down, the others
    /// do not take its share). `avoid` is the one the last attempt failed on;
    /// it is taken only when nothing else is in the rotation.
    pub async fn begin(&self, affinity: u64, avoid: Option<usize>) -> InFlight<'_> {
        if self.list.len() == 1 {
            // One replica never leaves the rotation (see `failed`), and the model's gate holds its concurrency.
            return self.take(0);
        }
        loop {
            let freed = self.freed.notified();
            tokio::pin!(freed);
            // Registered before looking, so a request that leaves meanwhile is not missed.
            freed.as_mut().enable();
            if let Some(f) = self.try_begin(affinity, avoid) {
                return f;
            }
            freed.await;
        }
    }

    /// The replica for the next attempt, if one it may use has room now.
    pub fn try_begin(&self, affinity: u64, avoid: Option<usize>) -> Option<InFlight<'_>> {
        let n = self.list.len();
        if n == 1 {
            return Some(self.take(0));
        }
        let now = Instant::now();
        let mut up: Vec<usize> = (0..n)
            .filter(|&i| self.in_rotation(i, now) && Some(i) != avoid)
            .collect();
        if up.is_empty() {
            up = (0..n).filter(|&i| self.in_rotation(i, now)).collect();
        }
        if up.is_empty() {
            // All out: the one that comes back first.
            let back = |i: usize| {
                self.list[i]
                    .out_until
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .map_or(now, |(t, _)| t)
            };
            up = (0..n).min_by_key(|&i| back(i)).into_iter().collect();
        }
        let load = |i: &usize| self.list[*i].outstanding.load(Ordering::Acquire);
        let room: Vec<usize> = up
            .iter()
            .copied()
            .filter(|i| load(i) < self.per_replica)
            .collect();
        let least = || room.iter().copied().min_by_key(|i| (load(i), *i));
        let index = match self.routing {
            Routing::Affinity => {
                let home = (affinity.wrapping_mul(0x9e37_79b9_7f4a_7c15) >> 17) as usize % n;
                if room.contains(&home) {
                    Some(home)
                } else {
                    least()
                }
            }
            Routing::LeastOutstanding => least(),
            Routing::RoundRobin if room.is_empty() => None,
            Routing::RoundRobin => {
                let t = self.turn.fetch_add(1, Ordering::Relaxed);
                Some(room[t % room.len()])
            }
        }?;
        // Taken only if it still has room (another request may have won the race).
        let r = &self.list[index];
        r.outstanding
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |o| {
                (o < self.per_replica).then_some(o + 1)
            })
            .ok()?;
        Some(InFlight {
            index,
            replica: r,
            started: Instant::now(),
            freed: Some(&self.freed),
        })
    }

    fn take(&self, index: usize) -> InFlight<'_> {
        let replica = &self.list[index];
        replica.outstanding.fetch_add(1, Ordering::AcqRel);
        InFlight {
            index,
            replica,
            started: Instant::now(),
            freed: None,
        }
    }

    /// The attempt got an HTTP answer that says nothing bad about the replica.
    pub fn answered(&self, f: &InFlight) {
        let r = f.replica;
        r.calls.fetch_add(1, Ordering::Relaxed);
        r.in_a_row.store(0, Ordering::Release);
        *r.out_until.lock().unwrap_or_else(|p| p.into_inner()) = None;
        *r.refusing_since.lock().unwrap_or_else(|p| p.into_inner()) = None;
        let ms = f.started.elapsed().as_millis().min(u128::from(LONGEST_MS)) as u64;
        // `saturating_record` clamps into the histogram's range, so it cannot fail.
        r.latencies_ms
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .saturating_record(ms);
    }

    /// The attempt failed. Failures that speak of the replica (no connection,
    /// a broken or missing answer, 5xx) count toward taking it out.
    pub fn failed(&self, f: &InFlight, reason: FailReason) {
        let r = f.replica;
        r.calls.fetch_add(1, Ordering::Relaxed);
        r.failures.fetch_add(1, Ordering::Relaxed);
        if reason == FailReason::Connection {
            r.refusing_since
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .get_or_insert_with(Instant::now);
        }
        let the_replicas_fault = matches!(
            reason,
            FailReason::Connection | FailReason::Disconnected | FailReason::Timeout
        ) || matches!(reason, FailReason::Http(code) if code >= 500);
        if !the_replicas_fault || self.list.len() < 2 {
            return;
        }
        if r.in_a_row.fetch_add(1, Ordering::AcqRel) + 1 >= STRIKES {
            let mut out = r.out_until.lock().unwrap_or_else(|p| p.into_inner());
            let next = out.map_or(FIRST_COOL_DOWN, |(_, d)| (d * 2).min(LONGEST_COOL_DOWN));
            *out = Some((Instant::now() + next, next));
            tracing::warn!(endpoint = %r.url, "out of the rotation for {} s after {STRIKES} failures in a row", next.as_secs());
        }
    }

    /// How long no replica has taken a connection, when none has for a while:
    /// one dead replica among live ones is routed around, not a reason to stop.
    pub fn all_refusing_for(&self) -> Option<Duration> {
        let mut shortest: Option<Duration> = None;
        for r in &self.list {
            let since = (*r.refusing_since.lock().unwrap_or_else(|p| p.into_inner()))?;
            let d = since.elapsed();
            shortest = Some(shortest.map_or(d, |s| s.min(d)));
        }
        shortest
    }

    /// Calls, failures and latency percentiles per endpoint, for the run summary.
    pub fn report(&self) -> Vec<crate::run::report::run_summary::EndpointSummary> {
        self.list
            .iter()
            .map(|r| {
                let l = r.latencies_ms.lock().unwrap_or_else(|p| p.into_inner());
                let pct = |p: f64| (!l.is_empty()).then(|| l.value_at_quantile(p));
                crate::run::report::run_summary::EndpointSummary {
                    endpoint: r.url.clone(),
                    calls: r.calls.load(Ordering::Relaxed),
                    failures: r.failures.load(Ordering::Relaxed),
                    p50_ms: pct(0.5),
                    p95_ms: pct(0.95),
                    p99_ms: pct(0.99),
                }
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn replicas(n: usize, routing: Routing, per: usize) -> Replicas {
        let clients = (0..n)
            .map(|i| {
                (
                    format!("http://r{i}/v1"),
                    Client::with_config(OpenAIConfig::new()),
                )
            })
            .collect();
        Replicas::new(clients, routing, per)
    }

    #[test]
    fn least_outstanding_spreads_and_skips_a_replica_out_of_rotation() {
        let r = replicas(3, Routing::LeastOutstanding, 8);
        let held: Vec<InFlight> = (0..6).map(|_| r.try_begin(0, None).unwrap()).collect();
        let per: Vec<usize> = (0..3)
            .map(|i| held.iter().filter(|f| f.index == i).count())
            .collect();
        assert_eq!(per, vec![2, 2, 2]);
        drop(held);
        for _ in 0..STRIKES {
            let f = r.try_begin(0, None).unwrap();
            let bad = f.index;
            r.failed(&f, FailReason::Connection);
            assert_eq!(bad, 0, "least loaded, lowest index first while it is in");
        }
        let picks: Vec<usize> = (0..4)
            .map(|_| r.try_begin(0, None).unwrap().index)
            .collect();
        assert!(picks.iter().all(|&i| i != 0), "{picks:?}");
    }

    #[test]
    fn affinity_keeps_a_source_record_home_and_spills_when_full() {
        let r = replicas(4, Routing::Affinity, 2);
        let home = r.try_begin(42, None).unwrap().index;
        for _ in 0..5 {
            assert_eq!(
                r.try_begin(42, None).unwrap().index,
                home,
                "same record, same replica"
            );
        }
        let a = r.try_begin(42, None).unwrap();
        let b = r.try_begin(42, None).unwrap();
        assert_eq!((a.index, b.index), (home, home));
        let spilled = r.try_begin(42, None).unwrap();
        assert_ne!(spilled.index, home, "full: spills to the least loaded");
        let homes: std::collections::BTreeSet<usize> = (0..64u64)
            .map(|k| r.try_begin(k * 7919, None).unwrap().index)
            .collect();
        assert!(
            homes.len() > 1,
            "different records land on different replicas"
        );
    }

    #[test]
    fn concurrency_per_replica_holds_when_a_replica_is_down() {
        let r = replicas(2, Routing::LeastOutstanding, 2);
        for _ in 0..STRIKES {
            let f = r.try_begin(0, Some(1)).unwrap();
            assert_eq!(f.index, 0);
            r.failed(&f, FailReason::Connection);
        }
        let held: Vec<InFlight> = (0..2).map(|_| r.try_begin(0, None).unwrap()).collect();
        assert!(held.iter().all(|f| f.index == 1));
        assert!(
            r.try_begin(0, None).is_none(),
            "the survivor is full: the third request waits instead of making 3 in flight"
        );
        drop(held);
        assert_eq!(r.try_begin(0, None).map(|f| f.index), Some(1));
    }

    #[test]
    fn latency_percentiles_are_exact_in_ms_and_memory_does_not_grow() {
        let r = replicas(1, Routing::LeastOutstanding, 8);
        assert_eq!(r.report()[0].p50_ms, None, "no calls, no percentile");
        let size = r.list[0].latencies_ms.lock().unwrap().distinct_values();
        {
            let mut h = r.list[0].latencies_ms.lock().unwrap();
            for ms in 1..=1000u64 {
                h.saturating_record(ms);
            }
            h.saturating_record(LONGEST_MS * 10);
        }
        let report = &r.report()[0];
        assert_eq!((report.p50_ms, report.p95_ms), (Some(501), Some(951)));
        assert_eq!(
            r.list[0].latencies_ms.lock().unwrap().distinct_values(),
            size,
            "fixed size"
        );
        assert!(
            r.list[0].latencies_ms.lock().unwrap().max() >= LONGEST_MS,
            "a huge latency is clamped, not lost"
        );
    }
}
