//! `no-sink`: a step that is used, but whose records never reach a sink: its
//! calls are paid for and thrown away.

use super::*;
use crate::syntax::ast::DeclKind;

pub struct NoSink;

impl Lint for NoSink {
    fn code(&self) -> &'static str {
        "no-sink"
    }
    fn check(&self, cx: &LintContext) -> Vec<Diagnostic> {
        let wf = cx.wf;
        let mut reaches = vec![false; wf.nodes.len()];
        for &id in cx.analysis.order.iter().rev() {
            reaches[id] =
                wf.nodes[id].decl == DeclKind::Sink || wf.consumers(id).any(|c| reaches[c]);
        }
        (0..wf.nodes.len())
            .filter(|&i| {
                !reaches[i] && wf.consumers(i).next().is_some() && !cx.analysis.order.is_empty()
            })
            .map(|i| {
                let n = &wf.nodes[i];
                Diagnostic::warning(
                    self.code(),
                    n.file,
                    n.name_span,
                    format!("`{}` reaches no sink; its work is never written", n.name),
                )
                .with_help("feed its records (or a step after it) to a sink")
            })
            .collect()
    }
}
