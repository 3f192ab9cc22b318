//! Why the language server stopped, or could not answer one request (the
//! editor shows the latter's message).

#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error("the editor's initialize failed: {0}")]
    Initialize(lsp_server::ProtocolError),
    #[error("the editor's shutdown was malformed: {0}")]
    Shutdown(lsp_server::ProtocolError),
    /// A message could not be sent: the editor is gone.
    #[error("the editor closed the connection")]
    Disconnected,
    #[error("the editor connection ended badly: {0}")]
    Ended(std::io::Error),
    #[error("cannot describe the server's capabilities: {0}")]
    Capabilities(serde_json::Error),
}

#[derive(Debug, thiserror::Error)]
pub enum RequestError {
    #[error("invalid params for {method}: {source}")]
    Params {
        method: String,
        source: serde_json::Error,
    },
    #[error("regen lsp does not answer `{0}`")]
    Unknown(String),
    #[error("the document is not open")]
    NotOpen,
    #[error("the file could not be checked")]
    NotChecked,
    #[error("not formatted: fix the syntax errors first")]
    NotFormatted,
    #[error("no name under the cursor")]
    NoName,
    #[error("`{0}` is not a step, source or pool of this workflow")]
    NotANode(String),
    #[error("`{0}` is not a step name: letters, digits and `_`, starting with a letter")]
    BadName(String),
    #[error("`{0}` is already declared")]
    Taken(String),
}
