//! The step protocol (docs/step-protocol.md): one JSON object a line on the
//! program's stdin and stdout. regen says hello first and the program answers
//! with its own; then each request `{id, record}` (or `{id, records}` in batch
//! mode) gets one reply, `{id, ok}` or `{id, error}`, in order.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The protocol's name and version, in both hellos.
pub const PROTOCOL: &str = "regen-step";
pub const VERSION: u32 = 1;

#[derive(Debug, Serialize)]
pub struct Hello<'a> {
    pub protocol: &'a str,
    pub version: u32,
    /// The step being served (programs may log it).
    pub step: &'a str,
    /// Records per request, when the step batches them.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub batch: Option<usize>,
}

#[derive(Debug, Serialize)]
pub struct HelloLine<'a> {
    pub hello: Hello<'a>,
}

/// A request: one record, or a batch of them.
#[derive(Debug, Serialize)]
pub struct Request<'a> {
    pub id: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub record: Option<&'a Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub records: Option<&'a [Value]>,
}

/// The program's hello; it may carry the error that kept it from starting
/// (a Python module that does not import).
#[derive(Debug, Deserialize)]
pub struct HelloReply {
    pub hello: Option<PeerHello>,
    pub error: Option<ErrorInfo>,
}

#[derive(Debug, Deserialize)]
pub struct PeerHello {
    pub protocol: String,
    pub version: u32,
}

/// One reply line.
#[derive(Debug, Deserialize)]
pub struct Reply {
    pub id: u64,
    /// `Some(Null)` for `"ok": null`; `None` when there is no `ok` at all.
    #[serde(default, deserialize_with = "present")]
    pub ok: Option<Value>,
    #[serde(default)]
    pub error: Option<ErrorInfo>,
}

/// What went wrong in the program, as it says it.
#[derive(Debug, Clone, Deserialize, Default)]
pub struct ErrorInfo {
    /// The exception's type (`ZeroDivisionError`), or the program's own word.
    #[serde(rename = "type", default)]
    pub kind: String,
    #[serde(default)]
    pub message: String,
    #[serde(default)]
    pub traceback: String,
    /// The error is about the result (not JSON, say), not the call itself.
    #[serde(default)]
    pub output: bool,
}

impl std::fmt::Display for ErrorInfo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let kind = if self.kind.is_empty() {
            "error"
        } else {
            &self.kind
        };
        write!(f, "{kind}: {}", self.message)?;
        if !self.traceback.trim().is_empty() {
            write!(f, "\n{}", self.traceback.trim_end())?;
        }
        Ok(())
    }
}

/// A field that is there, even as `null`.
fn present<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Value>, D::Error> {
    Value::deserialize(d).map(Some)
}
