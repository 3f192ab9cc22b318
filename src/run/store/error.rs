//! Why the run store did not take a write, as data.

#[derive(Debug, Clone, thiserror::Error)]
pub enum StoreError {
    /// The writer thread ended (an earlier error stopped it): nothing more is written.
    #[error("the store's writer has stopped")]
    WriterGone,
    /// SQLite refused the group this write was in (disk full, locked, corrupt…).
    #[error("{0}")]
    Write(String),
}
