//! `call-estimate`: the whole dataset would cost more calls than the threshold.

use super::*;
use crate::syntax::ast::DeclKind;

pub struct CallEstimate;

impl Lint for CallEstimate {
    fn code(&self) -> &'static str {
        "call-estimate"
    }
    fn check(&self, cx: &LintContext) -> Vec<Diagnostic> {
        let wf = cx.wf;
        let Some(rows) = crate::plan::estimate::dataset_rows(wf) else {
            return vec![];
        };
        let Some(est) = crate::plan::estimate::estimate(wf, rows as f64) else {
            return vec![];
        };
        if est.total_calls <= cx.call_threshold {
            return vec![];
        }
        let Some(src) = wf.nodes.iter().find(|n| n.decl == DeclKind::Source) else {
            return vec![];
        };
        vec![Diagnostic::warning(
            self.code(),
            src.file,
            src.name_span,
            format!("a full run over {rows} records makes up to {:.0} calls (threshold {:.0})", est.total_calls, cx.call_threshold),
        )
        .with_help("check `regen plan`, run with --limit first, or raise the threshold with --call-threshold")]
    }
}
