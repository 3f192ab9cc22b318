//! Stage 2: load (with variants), resolve names and arguments, infer fields
//! along the graph, run the lint catalogue. Output: a workflow and diagnostics.

pub mod args;
pub mod exprs;
pub mod fields;
pub(crate) mod functions;
mod inputs;
pub mod label_use;
pub mod lints;
pub mod load;
pub mod models;
mod pools;
pub mod resolve;
pub mod sandbox;
pub(crate) mod shaped_fields;
mod shapes;
mod template_calls;
pub mod template_reads;
pub mod templates;
pub mod value;

use crate::diagnostic::{Diagnostic, SourceMap};
use crate::workflow::Workflow;
use fields::Analysis;
use std::path::{Path, PathBuf};

pub use resolve::Options;

pub struct Checked {
    pub sources: SourceMap,
    pub workflow: Workflow,
    pub analysis: Analysis,
    pub diagnostics: Vec<Diagnostic>,
}

impl Checked {
    pub fn has_errors(&self) -> bool {
        self.diagnostics.iter().any(Diagnostic::is_error)
    }
}

/// Default threshold of the `call-estimate` lint.
pub const CALL_THRESHOLD: f64 = 1_000_000.0;

pub fn check_file(path: &Path, opts: &Options, call_threshold: f64) -> std::io::Result<Checked> {
    check_sources(path, opts, call_threshold, SourceMap::default())
}

/// As [`check_file`], reading workflow files through `sources` (an editor's
/// unsaved buffers win over the disk; `extends` resolves against them too).
pub fn check_sources(
    path: &Path,
    opts: &Options,
    call_threshold: f64,
    mut sources: SourceMap,
) -> std::io::Result<Checked> {
    let mut diags = Vec::new();
    let given: Vec<String> = opts.sets.iter().map(|(_, v)| v.clone()).collect();
    let sandbox = sandbox::Sandbox::new(path, &opts.stdlib, &given, opts.allow_outside);
    let loaded = load::load(path, &mut sources, &sandbox, &mut diags)?;
    let mut workflow = resolve::resolve(&loaded, &sources, opts, &sandbox, &mut diags);
    sandbox::check(&workflow, &sandbox, &mut diags);
    functions::check(&workflow, &sandbox, &mut diags);
    workflow.sandbox = sandbox;
    let analysis = fields::analyse(&workflow, &mut diags);
    shaped_fields::check(&workflow, &analysis, &mut diags);
    let lint_cx = lints::LintContext {
        wf: &workflow,
        analysis: &analysis,
        call_threshold,
    };
    if !diags.iter().any(Diagnostic::is_error) {
        diags.extend(lints::run_all(&lint_cx));
    }
    // Stable order: by file, then position; errors and warnings interleaved as in the text.
    diags.sort_by_key(|d| (d.file, d.span.start, d.span.end));
    diags.dedup_by(|a, b| {
        a.code == b.code && a.span == b.span && a.file == b.file && a.message == b.message
    });
    Ok(Checked {
        sources,
        workflow,
        analysis,
        diagnostics: diags,
    })
}

/// Where the stdlib is: `$REGEN_STDLIB`, else a `stdlib/` beside the workflow or
/// in a folder above it, else the copy built into this binary (unpacked once):
/// what it was built with, never a build folder that may have changed since.
pub fn find_stdlib(workflow: &Path) -> PathBuf {
    if let Some(p) = std::env::var_os("REGEN_STDLIB") {
        return PathBuf::from(p);
    }
    let abs = std::fs::canonicalize(workflow).unwrap_or_else(|_| workflow.to_path_buf());
    for dir in abs.ancestors().skip(1) {
        let candidate = dir.join("stdlib");
        if candidate.join("guidelines").is_dir() {
            return candidate;
        }
    }
    match crate::shipped::unpacked() {
        Ok(dir) => dir.join("stdlib"),
        Err(e) => {
            // The cache cannot be written: the build folder, if it is still there, is the next best.
            tracing::warn!("{e}");
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("stdlib")
        }
    }
}
