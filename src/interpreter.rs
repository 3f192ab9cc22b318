//! The interpreter `python` steps run in: the workflow's `python = "…"`,
//! else `REGEN_PYTHON`, else `python3` on the PATH.

use crate::diagnostic::{FileId, Span};
use std::path::{Path, PathBuf};

/// The workflow's `python = "…"` setting, where it was written.
#[derive(Debug, Clone)]
pub struct PythonSetting {
    pub program: String,
    pub file: FileId,
    pub span: Span,
}

/// Where a `python` step's interpreter comes from (for messages).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InterpreterOrigin {
    Workflow,
    Env,
    Default,
}

/// The interpreter `python` steps run in: the workflow's `python = …` (a
/// relative path is next to the workflow file in `dir`), else `REGEN_PYTHON`,
/// else `python3` on the PATH.
pub fn resolve(setting: Option<&PythonSetting>, dir: &Path) -> (PathBuf, InterpreterOrigin) {
    let named = |p: &str| {
        let path = std::path::Path::new(p);
        if path.components().count() > 1 && path.is_relative() {
            dir.join(path)
        } else {
            path.to_path_buf()
        }
    };
    if let Some(p) = setting {
        return (named(&p.program), InterpreterOrigin::Workflow);
    }
    match std::env::var("REGEN_PYTHON") {
        Ok(p) if !p.trim().is_empty() => (PathBuf::from(p), InterpreterOrigin::Env),
        _ => (PathBuf::from("python3"), InterpreterOrigin::Default),
    }
}

/// Where each interpreter really lives (its `sys.executable`), learned once
/// per process: a launcher such as a pyenv shim costs ~0.1 s each time it
/// starts, and a run asks the same interpreter for its check and its workers.
static REAL: std::sync::Mutex<std::collections::BTreeMap<PathBuf, PathBuf>> =
    std::sync::Mutex::new(std::collections::BTreeMap::new());

/// `located` (an interpreter as found on the PATH or named) runs as `executable`.
pub fn learned(located: &Path, executable: &str) {
    let real = PathBuf::from(executable);
    if executable.is_empty() || !real.is_file() {
        return;
    }
    REAL.lock()
        .unwrap_or_else(|p| p.into_inner())
        .insert(located.to_path_buf(), real);
}

/// What `located` was learned to run as, if it has been.
pub fn real_path(located: &Path) -> Option<PathBuf> {
    REAL.lock()
        .unwrap_or_else(|p| p.into_inner())
        .get(located)
        .cloned()
}
