//! Why a run could not start or ended in error, as data (the CLI renders it).
//! A run that made its calls but had failures is not an error: it is a
//! `RunReport` whose status says so.

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error("the workflow has a cycle")]
    Cycle,
    /// A template that passed the checker could not be compiled for the run.
    #[error("step `{step}`: its template does not compile: {source}")]
    Template {
        step: String,
        source: minijinja::Error,
    },
    #[error("cannot create {}: {source}", path.display())]
    CreateFolder {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot open the run store {}: {reason}", path.display())]
    OpenStore { path: PathBuf, reason: String },
    /// Reading or writing the run store failed.
    #[error("{0}")]
    Store(String),
    #[error("--refresh names no step of this workflow: {0:?}")]
    UnknownRefresh(Vec<String>),
    #[error("`{step}` is not a step that calls a model; export one of: {}", model_steps.join(", "))]
    NotAModelStep {
        step: String,
        model_steps: Vec<String>,
    },
    /// A `python` or `command` step's code cannot be read.
    #[error("{0}")]
    Function(#[from] crate::run::exec::function::SetupProblem),
    #[error("model `{0}` has no endpoint: set `endpoint = \"http://…/v1\"` in the model or OPENAI_BASE_URL")]
    NoEndpoint(String),
    /// A model's client could not be set up (its HTTP client, its key, the local model).
    #[error("{0}")]
    Client(#[from] crate::run::client::error::ClientError),
    /// A sink cannot write where it says (checked before the first call).
    #[error("{0}")]
    Sink(#[from] crate::run::exec::sink_error::SinkError),
    /// A dataset could not be read, or a row was bad; `notes` say where the partial output is.
    #[error("{message}{}", notes.iter().map(|n| format!("\n  note: {n}")).collect::<String>())]
    Data { message: String, notes: Vec<String> },
}
