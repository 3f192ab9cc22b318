//! Which steps read the ground-truth label: a prompt or a filter that names a
//! source's `label` field. An ablation table shows it, so a user sees at a glance
//! that e.g. the majority-vote variant (LMSI) filters without labels.

use crate::syntax::ast::DeclKind;
use crate::workflow::Workflow;
use std::collections::BTreeSet;

pub fn label_readers(wf: &Workflow) -> Vec<String> {
    let labels: BTreeSet<&str> = wf
        .nodes
        .iter()
        .filter_map(|n| {
            n.settings
                .get::<crate::steps::SourceSettings>()?
                .label
                .as_deref()
        })
        .collect();
    let mut out = Vec::new();
    for n in wf.nodes.iter().filter(|n| matches!(n.decl, DeclKind::Step)) {
        let mut reads: Vec<String> = n
            .prompts
            .values()
            .flat_map(|p| p.reads.iter().cloned())
            .collect();
        if let Some(f) = &n.filter {
            f.fields(&mut reads);
        }
        if reads.iter().any(|r| labels.contains(r.as_str())) {
            out.push(n.name.clone());
        }
    }
    out
}
