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
