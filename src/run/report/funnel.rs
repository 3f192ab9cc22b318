//! The filter funnel: a `keep(where: a and b and …)` counts, for each of its
//! conditions, the records that condition was the first to remove. This is what
//! a user asks first when the yield is low (judge said no? no box? too long?).

use crate::expr::{Func, RecordExpr};
use crate::syntax::ast::BinOp;
use crate::workflow::{NodeId, Workflow};

/// One row per condition: a reason a person reads, and the condition as written.
pub fn labels(wf: &Workflow, id: NodeId) -> Vec<(String, String)> {
    let Some(filter) = &wf.nodes[id].filter else {
        return vec![];
    };
    let verdicts: Vec<String> = wf.nodes.iter().filter_map(|n| n.kind.verdict(n)).collect();
    filter
        .conjuncts()
        .into_iter()
        .map(|c| (reason(c, &verdicts), c.describe()))
        .collect()
}

fn reason(c: &RecordExpr, verdicts: &[String]) -> String {
    match c {
        RecordExpr::Field(p) if verdicts.contains(&p[0]) => "judge said no".into(),
        RecordExpr::Call(Func::HasBoxed, _) => "no \\boxed{} answer".into(),
        RecordExpr::Call(Func::MentionsBoxed, _) => "no `boxed` in the path".into(),
        RecordExpr::Call(Func::ExactMatch, _) => "answer does not match the label".into(),
        RecordExpr::Call(Func::AnswerMatches, _) => "answer does not match the label".into(),
        RecordExpr::Call(Func::NumberedSteps, _) => "no numbered steps".into(),
        RecordExpr::Binary(BinOp::Lt | BinOp::Le, l, _)
            if matches!(**l, RecordExpr::Call(Func::Tokens, _)) =>
        {
            "too long".into()
        }
        other => format!("failed `{}`", other.describe()),
    }
}
