//! `unused-step`: a source, pool or step nothing reads.

use super::*;
use crate::syntax::ast::DeclKind;

pub struct UnusedStep;

impl Lint for UnusedStep {
    fn code(&self) -> &'static str {
        "unused-step"
    }
    fn check(&self, cx: &LintContext) -> Vec<Diagnostic> {
        let wf = cx.wf;
        (0..wf.nodes.len())
            .filter(|&i| wf.nodes[i].decl != DeclKind::Sink && wf.consumers(i).next().is_none())
            .map(|i| {
                let n = &wf.nodes[i];
                Diagnostic::warning(
                    self.code(),
                    n.file,
                    n.name_span,
                    format!("{} `{}` is never used", n.decl.keyword(), n.name),
                )
                .with_help("feed it to a step or a sink, or remove it")
            })
            .collect()
    }
}
