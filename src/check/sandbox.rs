//! The sandbox check of a resolved workflow: sources and sinks (pools, prompts
//! and `extends` are checked where they are read). The policy is `crate::sandbox`.

use crate::diagnostic::Diagnostic;
pub use crate::sandbox::{real, Sandbox};
use crate::syntax::ast::DeclKind;
use crate::workflow::Workflow;
use std::path::{Component, Path};

/// The diagnostic for a declaration whose `location` leaves the sandbox, if it does.
pub fn refuse(sandbox: &Sandbox, n: &crate::workflow::NodeDef, path: &Path) -> Option<Diagnostic> {
    (!sandbox.permits(path)).then(|| {
        Diagnostic::error(
            "outside-sandbox",
            n.file,
            n.arg_span("location"),
            format!(
                "`{}` reads `{}`, outside the workflow's tree",
                n.name,
                real(path).display()
            ),
        )
        .with_help(sandbox.help())
    })
}

/// Sources and sinks of a resolved workflow (pools, prompts and `extends` are
/// checked where they are read).
pub fn check(wf: &Workflow, sandbox: &Sandbox, diags: &mut Vec<Diagnostic>) {
    if sandbox.open {
        return;
    }
    for n in &wf.nodes {
        match n.decl {
            // Pools are checked where they are read (`args::load_pool`), before reading.
            DeclKind::Source => {
                let Some(loc) = n.str_arg("location") else {
                    continue;
                };
                diags.extend(refuse(sandbox, n, &wf.locate(loc)));
            }
            DeclKind::Sink => {
                let Some(p) = n.str_arg("path") else { continue };
                let escapes = Path::new(p).is_absolute()
                    || Path::new(p)
                        .components()
                        .any(|c| matches!(c, Component::ParentDir));
                if escapes {
                    diags.push(
                        Diagnostic::error("outside-sandbox", n.file, n.arg_span("path"), format!("sink `{}` writes `{p}`, outside the run folder", n.name))
                            .with_help("sink paths are relative to the run folder (`--run-dir`), e.g. `path: \"train.jsonl\"`; or run with --allow-outside"),
                    );
                }
            }
            _ => {}
        }
    }
}
