//! `filter-never-passes`: a condition that is constantly false, or compares an
//! answer in one format with labels in another (a number extractor against
//! multiple-choice labels).

use super::*;
use crate::answer::{kinds_compatible, AnswerKind};
use crate::expr::{Func, RecordExpr};
use crate::syntax::ast::DeclKind;
use serde_json::Value;

pub struct FilterNeverPasses;

impl Lint for FilterNeverPasses {
    fn code(&self) -> &'static str {
        "filter-never-passes"
    }
    fn check(&self, cx: &LintContext) -> Vec<Diagnostic> {
        let wf = cx.wf;
        let mut out = Vec::new();
        for (id, n) in wf.nodes.iter().enumerate() {
            let Some(filter) = &n.filter else { continue };
            if let RecordExpr::Const(v) = filter {
                if !crate::expr::truthy(v) {
                    out.push(
                        Diagnostic::warning(
                            self.code(),
                            n.file,
                            n.arg_span("where"),
                            format!("the condition of `{}` is always false", n.name),
                        )
                        .with_help("nothing passes this filter; check the params it uses"),
                    );
                }
                continue;
            }
            let mut calls = Vec::new();
            answer_calls(filter, &mut calls);
            for (pred_field, kind) in calls {
                let label_kinds: Vec<(String, AnswerKind)> = cx
                    .analysis
                    .lineage
                    .get(id)
                    .into_iter()
                    .flatten()
                    .filter(|s| wf.nodes[**s].decl == DeclKind::Source)
                    .map(|s| {
                        (
                            wf.nodes[*s].name.clone(),
                            wf.nodes[*s]
                                .settings
                                .get::<crate::steps::SourceSettings>()
                                .map_or(AnswerKind::Number, |s| s.answers),
                        )
                    })
                    .collect();
                for (src, lk) in &label_kinds {
                    if !kinds_compatible(kind, *lk) {
                        out.push(
                            Diagnostic::warning(
                                self.code(),
                                n.file,
                                n.arg_span("where"),
                                format!("`{}` compares answers as {kind:?} but `{src}` has {lk:?} labels; nothing can pass", n.name)
                                    .to_lowercase(),
                            )
                            .with_help(format!("use answer_matches({pred_field}, …, \"{}\")", format!("{lk:?}").to_lowercase())),
                        );
                    }
                }
                if let Some(ek) = extractor_kind(cx, id, &pred_field) {
                    if !kinds_compatible(ek, kind) {
                        out.push(
                            Diagnostic::warning(
                                self.code(),
                                n.file,
                                n.arg_span("where"),
                                format!("`{pred_field}` is extracted as {ek:?} but compared as {kind:?}; nothing can pass").to_lowercase(),
                            )
                            .with_help("use the same answer format in `extract` and `answer_matches`"),
                        );
                    }
                }
            }
        }
        out
    }
}

fn answer_calls(e: &RecordExpr, out: &mut Vec<(String, AnswerKind)>) {
    match e {
        RecordExpr::Call(Func::AnswerMatches, args) => {
            if let (Some(RecordExpr::Field(f)), Some(RecordExpr::Const(Value::String(k)))) =
                (args.first(), args.get(2))
            {
                if let Some(kind) = AnswerKind::parse(k) {
                    out.push((f[0].clone(), kind));
                }
            }
        }
        RecordExpr::Call(_, args) => args.iter().for_each(|a| answer_calls(a, out)),
        RecordExpr::Unary(_, x) => answer_calls(x, out),
        RecordExpr::Binary(_, l, r) => {
            answer_calls(l, out);
            answer_calls(r, out);
        }
        _ => {}
    }
}

/// The answer format of the nearest upstream `extract` that writes `field`.
fn extractor_kind(cx: &LintContext, id: usize, field: &str) -> Option<AnswerKind> {
    let wf = cx.wf;
    let mut stack: Vec<usize> = wf.nodes[id].inputs.clone();
    let mut seen = std::collections::BTreeSet::new();
    while let Some(i) = stack.pop() {
        if !seen.insert(i) {
            continue;
        }
        let n = &wf.nodes[i];
        if let Some((_, kind)) = n.kind.extracted_answer(n).filter(|(into, _)| into == field) {
            return Some(kind);
        }
        stack.extend(n.inputs.iter().copied());
    }
    None
}
