//! The store's record of submitted batches: a chunk of requests (by the hash
//! of its custom ids) and the batch that answers it.

use crate::run::store::Store;
use rusqlite::OptionalExtension;

impl Store {
    pub fn batch_for(&self, chunk: &str) -> rusqlite::Result<Option<String>> {
        self.lock()
            .query_row("SELECT batch FROM batches WHERE chunk = ?1", [chunk], |r| {
                r.get(0)
            })
            .optional()
    }

    /// An exported request waiting for its answer (`regen batch import` finds it by hash).
    pub fn record_pending(&self, key: &str, request: &str) -> rusqlite::Result<()> {
        self.lock().execute(
            "INSERT OR REPLACE INTO pending (key, request) VALUES (?1, ?2)",
            [key, request],
        )?;
        Ok(())
    }

    pub fn pending_request(&self, key: &str) -> rusqlite::Result<Option<String>> {
        self.lock()
            .query_row("SELECT request FROM pending WHERE key = ?1", [key], |r| {
                r.get(0)
            })
            .optional()
    }

    pub fn record_batch(&self, chunk: &str, batch: &str) -> rusqlite::Result<()> {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0.0, |d| d.as_secs_f64());
        self.lock().execute(
            "INSERT OR REPLACE INTO batches (chunk, batch, created) VALUES (?1, ?2, ?3)",
            rusqlite::params![chunk, batch, now],
        )?;
        Ok(())
    }
}
