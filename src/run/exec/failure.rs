//! Why a record failed: a closed set of reasons the store keeps (as their
//! stable names) and `regen show` groups by, and the error a call returns.

use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum FailReason {
    /// The server answered with this HTTP status (after retries where retrying helps).
    Http(u16),
    Timeout,
    /// The connection could not be made (refused, DNS, TLS).
    Connection,
    /// The connection was made but broke before the reply was complete.
    Disconnected,
    MalformedReply,
    EmptyReply,
    NoChoices,
    /// A reply cut off at max_tokens.
    Truncated,
    /// A reply that did not fit the step's `reply:` shape, after its re-asks.
    ReplyShape,
    /// A template failed to render for this record.
    Template,
    /// A record lacks a field a chat turn needs.
    MissingField,
    SinkOpen,
    SinkWrite,
    /// The run store could not be read or written.
    Store,
    /// The request could not be built.
    Request,
    /// Any other client error.
    Client,
    /// The embedded local model's server could not be set up or started.
    LocalServer,
    /// A dataset row skipped under `on_bad_row: skip`.
    BadRow,
    /// A call not in the cache while the run may make none (`regen batch export`).
    NotCached,
    /// regen itself failed on this record (a bug): recorded, never silent.
    Panic,
    /// A `python`/`command` step's code raised (its type, message and traceback are kept).
    Exception,
    /// A step's worker process died on this record twice.
    WorkerDied,
}

impl FailReason {
    /// Errors that retrying can fix.
    pub fn retryable(self) -> bool {
        match self {
            FailReason::Http(code) => code == 429 || code == 408 || code >= 500,
            FailReason::Timeout
            | FailReason::Connection
            | FailReason::Disconnected
            | FailReason::MalformedReply
            | FailReason::EmptyReply
            | FailReason::NoChoices => true,
            _ => false,
        }
    }
}

impl fmt::Display for FailReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = match self {
            FailReason::Http(code) => return write!(f, "http-{code}"),
            FailReason::Timeout => "timeout",
            FailReason::Connection => "connection",
            FailReason::Disconnected => "disconnected",
            FailReason::MalformedReply => "malformed-reply",
            FailReason::EmptyReply => "empty-reply",
            FailReason::NoChoices => "no-choices",
            FailReason::Truncated => "truncated",
            FailReason::ReplyShape => "reply-shape",
            FailReason::Template => "template",
            FailReason::MissingField => "missing-field",
            FailReason::SinkOpen => "sink-open",
            FailReason::SinkWrite => "sink-write",
            FailReason::Store => "store",
            FailReason::Request => "request",
            FailReason::Client => "client",
            FailReason::LocalServer => "local-server",
            FailReason::BadRow => "bad-row",
            FailReason::NotCached => "not-cached",
            FailReason::Panic => "internal-error",
            FailReason::Exception => "exception",
            FailReason::WorkerDied => "worker-died",
        };
        f.write_str(name)
    }
}

#[derive(Debug, Clone)]
pub enum CallError {
    /// Failed for good: the reason and the raw text seen (a recorded failure).
    Failed { reason: FailReason, raw: String },
    /// Not attempted, or abandoned, because the run was stopping: "not run", not failed
    /// (the halt keeps why).
    Stopped,
}

impl CallError {
    pub fn failed(reason: FailReason, raw: impl Into<String>) -> Self {
        CallError::Failed {
            reason,
            raw: raw.into(),
        }
    }
}

/// The message a panic carried, for a recorded `internal-error` failure.
pub fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    let what = payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "no message".into());
    format!("regen failed on this record (a bug; please report it with this message): {what}")
}
