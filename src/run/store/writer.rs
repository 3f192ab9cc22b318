//! The store's one writer: a thread that commits every write of the run in
//! groups. Finished calls wait for their group's commit (the cache is the
//! resume log); samples and failures are queued and nobody waits for them.
//! One writer per process means the run never races itself for SQLite's
//! write lock: before, a sample written from a tokio worker while the writer
//! committed made one of them sleep in SQLite's busy handler (1, 2, 5, 10 ms…).

use crate::run::store::key_filter::KnownKeys;
use rusqlite::{params, Connection};
use serde::Serialize;
use std::sync::mpsc::Receiver;
use std::sync::Mutex;
use tokio::sync::oneshot;

pub enum Write {
    /// A finished call; `done` answers once it is committed, and hands the call back.
    Call {
        key: String,
        request: String,
        call: CachedCall,
        done: oneshot::Sender<Result<CachedCall, crate::run::store::error::StoreError>>,
    },
    /// A row that is only read later.
    Row(Row),
    /// Answered once everything queued before it is committed (or failed).
    Flush(oneshot::Sender<()>),
    /// From now on, hand each group's answers to this task on the run's runtime (see `Answer`).
    Relay(Relay),
}

/// An answer to a waiting `put` or `flush`.
pub enum Answer {
    Call(
        oneshot::Sender<Result<CachedCall, crate::run::store::error::StoreError>>,
        Result<CachedCall, crate::run::store::error::StoreError>,
    ),
    Flush(oneshot::Sender<()>),
}

impl Answer {
    /// The caller may have stopped waiting (a run that is stopping): nothing to tell then.
    pub fn give(self) {
        match self {
            Answer::Call(done, result) => drop(done.send(result)),
            Answer::Flush(done) => drop(done.send(())),
        }
    }
}

/// Where the writer sends a committed group's answers. Waking a task from this
/// thread costs the runtime a wake-up of its own (on the current-thread
/// runtime, a write to its eventfd), once per call: 20,000 in P1. Sent as one
/// message, a group costs one wake-up, and the relay on the runtime answers
/// each call there.
pub type Relay = tokio::sync::mpsc::UnboundedSender<Vec<Answer>>;

pub enum Row {
    Sample {
        run: i64,
        step: String,
        row: SampleRow,
    },
    Failure {
        run: i64,
        step: String,
        record: String,
        reason: String,
        raw: String,
    },
}

impl Row {
    fn step(&self) -> &str {
        match self {
            Row::Sample { step, .. } | Row::Failure { step, .. } => step,
        }
    }
}

/// How long the writer waits after a write for others to join its commit. A
/// call's HTTP slot is free by then, so the wait delays only its record's next
/// step, not the requests in flight (P1: the writer's CPU fell by a fifth
/// from 3 ms to 10 ms; 20 ms gained nothing more).
const GROUP_WINDOW: std::time::Duration = std::time::Duration::from_millis(10);

/// The most writes one commit takes.
const MAX_GROUP: usize = 4096;

/// Commit queued writes in groups until every sender is gone, and answer each
/// group's calls and flushes once it is committed: through the relay when one
/// is set, from this thread otherwise. Failure rows that could not be written
/// are noted in `lost` by step, for the run to count.
pub fn writer_loop(
    mut conn: Connection,
    rx: Receiver<Write>,
    known: &KnownKeys,
    lost: &Mutex<Vec<String>>,
) {
    let mut busy = false;
    let mut relay: Option<Relay> = None;
    // Kept from group to group, so it grows to the largest group once instead
    // of growing by doubling in every group (a few hundred writes each in P1).
    let mut batch = Vec::new();
    while let Ok(first) = rx.recv() {
        // Gather what finishes in the next moment into the same commit: each
        // commit writes and checksums every page it touched, and the key index
        // is touched at random, so fewer, larger commits cost far less CPU
        // (P1: the writer thread's CPU fell by 40% at a 3 ms window) for a
        // few milliseconds of latency on each call.
        // (A sleep, not a timed receive: senders then need not wake this thread.)
        // Only under load: a lone call (the last group was one write) is not held back.
        // (Nor a flush: the run is ending and waits for it.)
        if busy && !matches!(first, Write::Flush(_)) {
            std::thread::sleep(GROUP_WINDOW);
        }
        batch.push(first);
        while batch.len() < MAX_GROUP {
            match rx.try_recv() {
                Ok(w) => batch.push(w),
                Err(_) => break,
            }
        }
        busy = batch.len() > 1;
        // Flushes and a relay alone have nothing to commit (every run's first message is its relay).
        let writes = batch
            .iter()
            .any(|w| matches!(w, Write::Call { .. } | Write::Row(_)));
        let result = if writes {
            commit(&mut conn, &batch, known)
        } else {
            Ok(())
        };
        if let Err(e) = &result {
            let rows = batch.iter().filter(|w| matches!(w, Write::Row(_))).count();
            if rows > 0 {
                tracing::error!("the run store did not take {rows} sample or failure rows: {e}");
            }
            // A lost sample loses nothing (the sinks and the cache hold the data); a lost failure row is counted.
            let failures = batch.iter().filter_map(|w| {
                if let Write::Row(r @ Row::Failure { .. }) = w {
                    Some(r.step().to_string())
                } else {
                    None
                }
            });
            lost.lock()
                .unwrap_or_else(|p| p.into_inner())
                .extend(failures);
        }
        let mut answers = Vec::with_capacity(batch.len());
        for w in batch.drain(..) {
            match w {
                Write::Call { call, done, .. } => answers.push(Answer::Call(
                    done,
                    result
                        .as_ref()
                        .map(|_| call)
                        .map_err(|e| crate::run::store::error::StoreError::Write(e.to_string())),
                )),
                Write::Flush(done) => answers.push(Answer::Flush(done)),
                Write::Relay(r) => relay = Some(r),
                Write::Row(_) => {}
            }
        }
        if answers.is_empty() {
            continue;
        }
        // Without a relay (none was set, or its runtime has gone), answer from here.
        let unsent = match &relay {
            Some(r) => r.send(answers).err().map(|e| e.0),
            None => Some(answers),
        };
        if let Some(answers) = unsent {
            relay = None;
            answers.into_iter().for_each(Answer::give);
        }
    }
}

fn commit(conn: &mut Connection, batch: &[Write], known: &KnownKeys) -> rusqlite::Result<()> {
    // Immediate: the write lock first, so the rows above the last seen are
    // exactly other processes' rows and then this group's.
    let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
    known.catch_up(&tx)?;
    // The rowid of the group's last call, taken as it is inserted.
    let mut last_call = None;
    {
        let mut call = tx.prepare_cached(
            "INSERT OR REPLACE INTO calls (key, slot, request, reply, prompt_tokens, completion_tokens, created, truncated) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        )?;
        let at = now();
        for w in batch {
            match w {
                Write::Call {
                    key,
                    request,
                    call: c,
                    ..
                } => {
                    last_call = Some(call.insert(params![
                        key,
                        crate::run::store::schema::slot(key),
                        request,
                        c.reply,
                        c.prompt_tokens as i64,
                        c.completion_tokens as i64,
                        at,
                        c.truncated as i64
                    ])?);
                }
                Write::Row(Row::Sample { run, step, row: s }) => {
                    tx.prepare_cached(
                        "INSERT INTO samples (run, step, record, outcome, reason, depth, fields) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                    )?
                    .execute(params![run, step, s.record, s.outcome, s.reason, s.depth, s.fields])?;
                }
                Write::Row(Row::Failure {
                    run,
                    step,
                    record,
                    reason,
                    raw,
                }) => {
                    tx.prepare_cached("INSERT INTO failures (run, step, record, reason, raw) VALUES (?1, ?2, ?3, ?4, ?5)")?
                        .execute(params![run, step, record, reason, raw])?;
                }
                Write::Flush(_) | Write::Relay(_) => {}
            }
        }
    }
    tx.commit()?;
    if let Some(last) = last_call {
        known.committed(
            batch.iter().filter_map(|w| {
                if let Write::Call { key, .. } = w {
                    Some(key.as_str())
                } else {
                    None
                }
            }),
            last,
        );
    }
    Ok(())
}

/// A call's answer as the cache keeps it.
#[derive(Debug, Clone)]
pub struct CachedCall {
    pub reply: String,
    pub prompt_tokens: u64,
    pub completion_tokens: u64,
    pub truncated: bool,
}

/// A record kept as a sample: what happened to it and its fields (its lineage).
#[derive(Debug, Clone, Serialize)]
pub struct SampleRow {
    pub record: String,
    /// `kept` or `removed` (at a filter), `written` (at a sink).
    pub outcome: String,
    /// Why it was removed; empty otherwise.
    pub reason: String,
    /// How many of the filter's conditions it passed (the best rejected went furthest).
    pub depth: i64,
    /// The record's fields as JSON.
    pub fields: String,
}

/// Seconds since the Unix epoch, as the store's timestamps are written.
pub(super) fn now() -> f64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs_f64())
        .unwrap_or(0.0)
}
