//! The run store and call cache: one SQLite database (WAL). A finished call is
//! written before its result moves on, so a killed run repeats no finished call.
//! `schema` holds the tables and their upgrades, `writer` the one thread that
//! writes, `key_filter` the in-memory index of cached keys, `merge` joins the
//! stores of shards, `batches` remembers submitted batches; errors are
//! [`StoreError`].

mod batches;
pub(crate) mod error;
pub(crate) mod key_filter;
mod merge;
mod schema;
mod writer;

use crate::run::store::error::StoreError;
use crate::run::store::writer::{now, Row, Write};
pub use crate::run::store::writer::{CachedCall, SampleRow};
use rusqlite::{params, Connection, OptionalExtension};
use serde::Serialize;
use std::path::Path;
use std::sync::Mutex;

/// Everything that decides an LLM reply. Printable, hashed with blake3 over its JSON.
/// The endpoint appears by its alias (the model declaration's name), never with a key.
#[derive(Debug, Clone, Serialize)]
pub struct CacheKey {
    pub endpoint_alias: String,
    pub model: String,
    pub messages: Vec<(String, String)>,
    pub temperature: Option<f64>,
    pub top_p: Option<f64>,
    pub max_tokens: Option<u32>,
    pub seed: Option<i64>,
    pub sample: u32,
    /// Which record asks, when sampling is random (temperature above 0): two
    /// records with the same prompt are two samples, not one shared reply. The
    /// record's key is made of source ids and step names, so a variant that
    /// leaves a step's upstream alone keeps its keys (and its cache hits).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub record: Option<String>,
    /// The `response_format` a `reply:` shape asks with (its JSON Schema), when
    /// it asks with one: the shape is part of the key.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub response_format: Option<serde_json::Value>,
    /// vLLM's `structured_outputs` (`reply_format = "vllm"`), likewise keyed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub structured_outputs: Option<serde_json::Value>,
    /// A re-ask of a reply that did not fit its shape (0: the first ask), so a
    /// re-ask is a call of its own, cached and resumed like any other.
    #[serde(skip_serializing_if = "is_first")]
    pub attempt: u32,
}

fn is_first(attempt: &u32) -> bool {
    *attempt == 0
}

impl CacheKey {
    /// The seed sent to the server: the model's seed moved by the sample index and
    /// the record, so independent samples do not share a seeded reply. Wrapping, in 0..=i64::MAX.
    pub fn request_seed(&self) -> Option<i64> {
        let record = self.record.as_deref().map_or(0, |r| {
            let h = blake3::hash(r.as_bytes());
            i64::from_le_bytes(h.as_bytes()[..8].try_into().unwrap_or([0; 8]))
        });
        // A re-ask moves the seed too, or a seeded server would repeat its reply.
        let attempt = i64::from(self.attempt).wrapping_mul(0x9e37_79b9);
        self.seed.map(|s| {
            s.wrapping_add(i64::from(self.sample))
                .wrapping_add(record)
                .wrapping_add(attempt)
                & i64::MAX
        })
    }

    /// The hash that names the call in the cache, and the JSON it was taken from.
    pub fn identity(&self) -> (String, String) {
        // It holds only strings, numbers and options, so serde_json cannot fail on
        // it; were it ever to, the debug form still tells keys apart (an empty
        // string would make every call share one cached reply).
        let json = serde_json::to_string(self).unwrap_or_else(|_| format!("{self:?}"));
        (blake3::hash(json.as_bytes()).to_hex().to_string(), json)
    }
}

/// (id, workflow, file, started, finished, status)
pub type RunRow = (i64, String, String, f64, Option<f64>, String);

pub struct Store {
    conn: Mutex<Connection>,
    /// The keys the `calls` table holds, in memory: a miss costs no SQLite read.
    known: std::sync::Arc<crate::run::store::key_filter::KnownKeys>,
    /// Every write goes to one writer thread that commits them in groups: one
    /// transaction (and one set of file locks and WAL syncs) for every call that
    /// finished meanwhile. A call waits for its group's commit, so a reply it
    /// acts on is always durable — kill -9 can lose only calls nobody saw.
    writer: std::sync::mpsc::Sender<Write>,
    /// Failure rows the writer could not store, by step (see `flush`).
    lost: std::sync::Arc<Mutex<Vec<String>>>,
}

/// WAL pages before a commit copies them into the database. Cache keys land on
/// random pages of the key index, so the same pages are written again and again:
/// a longer WAL copies each of them once per checkpoint instead of many times
/// (SQLite's default is 1,000 pages; this is at most 40 MB of WAL).
const WAL_PAGES: u32 = 10_000;

/// Settings each connection to the store needs (both the lookups' and the writer's).
fn connection_pragmas() -> String {
    format!(
        "PRAGMA synchronous=NORMAL; PRAGMA busy_timeout={}; PRAGMA wal_autocheckpoint={WAL_PAGES};",
        crate::run::store::schema::BUSY_WAIT.as_millis()
    )
}

impl Store {
    pub fn open(path: &Path) -> rusqlite::Result<Store> {
        let mut conn = Connection::open(path)?;
        conn.execute_batch(&connection_pragmas())?;
        conn.execute_batch("PRAGMA journal_mode=WAL;")?;
        crate::run::store::schema::prepare(&mut conn)?;
        let writer_conn = Connection::open(path)?;
        writer_conn.execute_batch(&connection_pragmas())?;
        let known = std::sync::Arc::new(crate::run::store::key_filter::KnownKeys::default());
        let (writer, rx) = std::sync::mpsc::channel();
        let lost = std::sync::Arc::new(Mutex::new(Vec::new()));
        let (writer_known, writer_lost) = (known.clone(), lost.clone());
        std::thread::Builder::new()
            .name("regen-store".into())
            .spawn(move || {
                crate::run::store::writer::writer_loop(writer_conn, rx, &writer_known, &writer_lost)
            })
            .map_err(|e| rusqlite::Error::ToSqlConversionFailure(Box::new(e)))?;
        Ok(Store {
            conn: Mutex::new(conn),
            known,
            writer,
            lost,
        })
    }

    /// How many calls the run expects to add (the plan's estimate): sizes the
    /// in-memory key filter. Call it before the first lookup.
    pub fn expect_calls(&self, calls: u64) {
        self.known.expect(calls);
    }

    pub(super) fn lock(&self) -> std::sync::MutexGuard<'_, Connection> {
        self.conn.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// A cached reply, `None` on a miss; an error when the store cannot be read.
    pub fn get(&self, key: &str) -> rusqlite::Result<Option<CachedCall>> {
        if !self.known.may_contain(key) {
            // (`recheck_due` waits while another lookup fills the filter, so
            // the second look below sees what that one read.)
            if self.known.recheck_due() {
                self.known.catch_up(&self.lock())?;
            }
            if !self.known.may_contain(key) {
                return Ok(None);
            }
        }
        let conn = self.lock();
        let mut stmt =
            conn.prepare_cached("SELECT reply, prompt_tokens, completion_tokens, truncated FROM calls WHERE slot = ?1 AND key = ?2")?;
        stmt.query_row(params![crate::run::store::schema::slot(key), key], |r| {
            Ok(CachedCall {
                reply: r.get(0)?,
                prompt_tokens: r.get::<_, i64>(1)? as u64,
                completion_tokens: r.get::<_, i64>(2)? as u64,
                truncated: r.get::<_, i64>(3)? != 0,
            })
        })
        .optional()
    }

    /// Store a reply; returns once it is committed, handing the call back (the
    /// writer only borrows it for the insert, so the reply is never copied).
    pub async fn put(
        &self,
        key: String,
        request: String,
        call: CachedCall,
    ) -> Result<CachedCall, StoreError> {
        let (done, wait) = tokio::sync::oneshot::channel();
        self.writer
            .send(Write::Call {
                key,
                request,
                call,
                done,
            })
            .map_err(|_| StoreError::WriterGone)?;
        wait.await.map_err(|_| StoreError::WriterGone)?
    }

    /// Answer this store's writes on the current tokio runtime from now on: one
    /// wake-up per committed group instead of one per call (see `store_writer::Relay`).
    /// Call it from within the run; without it the writer answers each call itself.
    pub fn relay_answers(&self) -> Result<(), StoreError> {
        let (relay, mut groups) =
            tokio::sync::mpsc::unbounded_channel::<Vec<crate::run::store::writer::Answer>>();
        tokio::spawn(async move {
            while let Some(group) = groups.recv().await {
                group
                    .into_iter()
                    .for_each(crate::run::store::writer::Answer::give);
            }
        });
        self.writer
            .send(Write::Relay(relay))
            .map_err(|_| StoreError::WriterGone)
    }

    /// Wait until every write queued so far is committed; the steps of the
    /// failure rows the store could not take (each is also logged).
    pub async fn flush(&self) -> Result<Vec<String>, StoreError> {
        let (done, wait) = tokio::sync::oneshot::channel();
        self.writer
            .send(Write::Flush(done))
            .map_err(|_| StoreError::WriterGone)?;
        wait.await.map_err(|_| StoreError::WriterGone)?;
        Ok(std::mem::take(
            &mut *self.lost.lock().unwrap_or_else(|p| p.into_inner()),
        ))
    }

    pub fn start_run(&self, workflow: &str, file: &str) -> rusqlite::Result<i64> {
        let c = self.lock();
        c.execute(
            "INSERT INTO runs (workflow, file, started, status) VALUES (?1, ?2, ?3, 'running')",
            params![workflow, file, now()],
        )?;
        Ok(c.last_insert_rowid())
    }

    /// A run that ends without a summary (quit at a second Ctrl-C): its status
    /// says so, so `regen runs` never shows it running.
    pub fn abandon_run(&self, run: i64, status: &str) -> rusqlite::Result<()> {
        self.lock().execute(
            "UPDATE runs SET finished = ?1, status = ?2 WHERE id = ?3",
            params![now(), status, run],
        )?;
        Ok(())
    }

    pub fn finish_run(&self, run: i64, status: &str, summary: &str) -> rusqlite::Result<()> {
        self.lock().execute(
            "UPDATE runs SET finished = ?1, status = ?2, summary = ?3 WHERE id = ?4",
            params![now(), status, summary, run],
        )?;
        Ok(())
    }

    /// Queue a failure row for the writer (committed with the next group;
    /// `flush` reports one the store did not take).
    pub fn record_failure(
        &self,
        run: i64,
        step: &str,
        record: &str,
        reason: &str,
        raw: &str,
    ) -> Result<(), StoreError> {
        let row = Row::Failure {
            run,
            step: step.into(),
            record: record.into(),
            reason: reason.into(),
            raw: raw.into(),
        };
        self.writer
            .send(Write::Row(row))
            .map_err(|_| StoreError::WriterGone)
    }

    /// Keep one record as a sample of what a step did (see `run::samples`); queued like a failure.
    pub fn record_sample(&self, run: i64, step: &str, row: SampleRow) -> Result<(), StoreError> {
        self.writer
            .send(Write::Row(Row::Sample {
                run,
                step: step.into(),
                row,
            }))
            .map_err(|_| StoreError::WriterGone)
    }

    /// A run's samples, in the order they were kept: (step, sample).
    pub fn samples(&self, run: i64) -> rusqlite::Result<Vec<(String, SampleRow)>> {
        let c = self.lock();
        let mut st = c.prepare("SELECT step, record, outcome, reason, depth, fields FROM samples WHERE run = ?1 ORDER BY rowid")?;
        let rows = st.query_map([run], |r| {
            Ok((
                r.get(0)?,
                SampleRow {
                    record: r.get(1)?,
                    outcome: r.get(2)?,
                    reason: r.get(3)?,
                    depth: r.get(4)?,
                    fields: r.get(5)?,
                },
            ))
        })?;
        rows.collect()
    }

    pub fn runs(&self) -> rusqlite::Result<Vec<RunRow>> {
        let c = self.lock();
        let mut st = c.prepare(
            "SELECT id, workflow, file, started, finished, status FROM runs ORDER BY id",
        )?;
        let rows = st.query_map([], |r| {
            Ok((
                r.get(0)?,
                r.get(1)?,
                r.get(2)?,
                r.get(3)?,
                r.get(4)?,
                r.get(5)?,
            ))
        })?;
        rows.collect()
    }

    pub fn run_summary(
        &self,
        run: i64,
    ) -> rusqlite::Result<Option<(String, String, Option<String>)>> {
        self.lock()
            .query_row(
                "SELECT workflow, status, summary FROM runs WHERE id = ?1",
                [run],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .optional()
    }

    /// (step, record, reason, raw)
    pub fn failures(&self, run: i64) -> rusqlite::Result<Vec<(String, String, String, String)>> {
        let c = self.lock();
        let mut st = c.prepare("SELECT step, record, reason, raw FROM failures WHERE run = ?1")?;
        let rows = st.query_map([run], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?;
        rows.collect()
    }
}
