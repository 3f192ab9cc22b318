//! A step's record inputs: each written input resolved to a node, and pools
//! only where the kind takes them.

use crate::diagnostic::{did_you_mean, Diagnostic, FileId};
use crate::syntax::ast::{Call, DeclKind, Expr};
use crate::workflow::{NodeId, Workflow};

pub(super) fn input_ref(
    wf: &Workflow,
    me: NodeId,
    e: &Expr,
    file: FileId,
    diags: &mut Vec<Diagnostic>,
) -> Option<NodeId> {
    let Some(n) = e.as_ident() else {
        diags.push(
            Diagnostic::error(
                "invalid-input",
                file,
                e.span,
                "inputs are step, source or pool names, joined with `+`",
            )
            .with_help("named arguments come after the inputs: `llm(questions, prompt: \"…\")`"),
        );
        return None;
    };
    match wf.node(&n.text) {
        Some(i) if wf.nodes[i].decl == DeclKind::Sink => {
            diags.push(Diagnostic::error(
                "sink-as-input",
                file,
                n.span,
                format!("`{}` is a sink; sinks cannot feed steps", n.text),
            ));
            None
        }
        Some(i) if i == me => {
            diags.push(Diagnostic::error(
                "cycle",
                file,
                n.span,
                format!("`{}` reads its own output", n.text),
            ));
            None
        }
        Some(i) => Some(i),
        None if wf.broken.contains(&n.text) => None,
        None => {
            let mut d = Diagnostic::error(
                "unknown-step",
                file,
                n.span,
                format!("no step, source or pool named `{}`", n.text),
            );
            let names: Vec<&str> = wf
                .nodes
                .iter()
                .filter(|x| x.decl != DeclKind::Sink)
                .map(|x| x.name.as_str())
                .collect();
            let params = wf.param(&n.text).is_some();
            d.help = Some(if params {
                format!("`{}` is a param; inputs must be steps", n.text)
            } else {
                did_you_mean(&n.text, names)
                    .unwrap_or_else(|| "declare it with `step`, `source` or `pool`".into())
            });
            diags.push(d);
            None
        }
    }
}

/// Pools feed only the inputs a kind takes them on (`cross`'s second).
pub(super) fn check_pools(
    wf: &Workflow,
    id: NodeId,
    inputs: &[NodeId],
    file: FileId,
    call: &Call,
    diags: &mut Vec<Diagnostic>,
) {
    for (i, n) in inputs.iter().enumerate() {
        let pool = wf.nodes[*n].decl == DeclKind::Pool;
        if pool && !wf.nodes[id].kind.takes_pool(i) {
            diags.push(
                Diagnostic::error(
                    "pool-as-input",
                    file,
                    call.span,
                    format!(
                        "`{}` is a pool; pools feed records only through `cross`",
                        wf.nodes[*n].name
                    ),
                )
                .with_help(format!("step x = cross(questions, {})", wf.nodes[*n].name)),
            );
        }
    }
}
