//! `label-leakage`: training text written by a prompt that saw the ground truth,
//! directly or through fields derived from it, without being a declared hint step.

use super::*;
use crate::syntax::ast::DeclKind;
use std::collections::BTreeSet;

pub struct LabelLeakage;

impl Lint for LabelLeakage {
    fn code(&self) -> &'static str {
        "label-leakage"
    }
    fn check(&self, cx: &LintContext) -> Vec<Diagnostic> {
        let wf = cx.wf;
        let labels: BTreeSet<String> = wf
            .nodes
            .iter()
            .filter_map(|n| {
                n.settings
                    .get::<crate::steps::SourceSettings>()?
                    .label
                    .clone()
            })
            .collect();
        // Per node: fields whose text was written with the label in view (undeclared).
        let mut tainted: Vec<BTreeSet<String>> = vec![BTreeSet::new(); wf.nodes.len()];
        for &id in &cx.analysis.order {
            let n = &wf.nodes[id];
            let mut t: BTreeSet<String> = n
                .inputs
                .iter()
                .flat_map(|i| tainted[*i].iter().cloned())
                .collect();
            if n.kind.calls_llm() && !n.kind.sees_label_by_design() {
                let Some(into) = n.kind.reply_field(n) else {
                    tainted[id] = t;
                    continue;
                };
                let hint = n.kind.declared_hint(n);
                let reads = n.call_prompt().map(|p| p.reads.clone()).unwrap_or_default();
                let sees_label = reads.iter().any(|r| labels.contains(r) || t.contains(r));
                if sees_label && !hint {
                    t.insert(into);
                } else {
                    t.remove(&into);
                }
            }
            tainted[id] = t;
        }
        let mut out = Vec::new();
        for (id, n) in wf.nodes.iter().enumerate() {
            if n.decl != DeclKind::Sink || !n.kind.writes_chat(n) {
                continue;
            }
            let Some(field) = n
                .settings
                .get::<crate::steps::SinkSettings>()
                .map(|s| s.assistant.as_str())
            else {
                continue;
            };
            let leaking: Vec<&str> = n
                .inputs
                .iter()
                .filter(|i| tainted[**i].contains(field))
                .map(|i| wf.nodes[*i].name.as_str())
                .collect();
            if !leaking.is_empty() {
                out.push(
                    Diagnostic::warning(self.code(), n.file, n.arg_span("assistant"), format!("training text `{field}` was written by a prompt that saw the ground-truth label (via {})", leaking.join(", ")))
                        .with_help("mark the step that shows the label with `hint: true` if that is deliberate (hint retry), or stop the prompt reading the label"),
                );
            }
            let _ = id;
        }
        out
    }
}
