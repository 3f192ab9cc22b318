//! `missing-data`: a source file that does not exist (yet); the run would fail.

use super::*;
use crate::syntax::ast::DeclKind;

pub struct MissingData;

impl Lint for MissingData {
    fn code(&self) -> &'static str {
        "missing-data"
    }
    fn check(&self, cx: &LintContext) -> Vec<Diagnostic> {
        let wf = cx.wf;
        wf.nodes
            .iter()
            .filter(|n| n.decl == DeclKind::Source)
            .filter_map(|n| {
                let loc = n.str_arg("location")?;
                let path = wf.locate(loc);
                // A file, or (for Parquet) a folder of shards.
                (!path.exists()).then(|| {
                    Diagnostic::warning(self.code(), n.file, n.arg_span("location"), format!("dataset `{}` does not exist", path.display()))
                        .with_help("paths are relative to the workflow file (`stdlib/…` to the stdlib); pass another with --set")
                })
            })
            .collect()
    }
}
