//! Why a model's client could not be set up. Data; the run's error (and the
//! CLI) render it.

use crate::secrets::KeyProblem;
use crate::setup_error::SetupError;

#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// The HTTP client could not be built (never replaced by a default one
    /// without the timeout and the no-redirect policy).
    #[error("cannot set up the HTTP client for {endpoint}: {source}")]
    Http {
        endpoint: String,
        source: reqwest::Error,
    },
    #[error("{0}")]
    Key(#[from] KeyProblem),
    /// The embedded model could not be set up or started.
    #[error("{0}")]
    Local(#[from] SetupError),
    #[error("the model has no endpoint")]
    NoEndpoint,
}

/// Why batch mode could not submit, poll or import a step's calls.
#[derive(Debug, thiserror::Error)]
pub enum BatchError {
    #[error("reading the cache failed: {0}")]
    CacheRead(rusqlite::Error),
    #[error("the run store: {0}")]
    Store(rusqlite::Error),
    #[error("the run store did not take an answer: {0}")]
    Answer(crate::run::store::error::StoreError),
    #[error("the run store did not take batch {batch}: {source}")]
    RecordBatch {
        batch: String,
        source: rusqlite::Error,
    },
    #[error("cannot {action} {}: {source}", path.display())]
    Io {
        action: &'static str,
        path: std::path::PathBuf,
        source: std::io::Error,
    },
    /// A line of a batch output file given to `regen batch import`.
    #[error("line {line}: {problem}")]
    Line { line: usize, problem: String },
    #[error("{0}")]
    Client(#[from] ClientError),
    #[error("{what} failed: {source}")]
    Api {
        what: String,
        source: Box<async_openai::error::OpenAIError>,
    },
    #[error("stopped while batch {0} runs; run again to poll it")]
    Stopped(String),
    #[error("batch {batch}: an output line is not JSON: {source}")]
    Output {
        batch: String,
        source: serde_json::Error,
    },
}
