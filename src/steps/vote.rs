//! `vote(records, field: predicted, per: source, into: majority)`: the most common
//! value of `field` among a source record's records, added to each of them (LMSI).

use super::*;

const ARGS: &[ArgSpec] = &[
    required("field", ArgType::FieldIn, "field to vote on"),
    required("per", ArgType::Source, "the source whose records are the groups"),
    arg("into", ArgType::FieldOut, "field that receives the majority value (default: `majority`)"),
];

#[derive(Debug)]
pub struct Vote;

/// `vote`'s arguments, typed.
struct VoteArgs {
    field: String,
    into: String,
}

impl StepKind for Vote {
    fn name(&self) -> &'static str {
        "vote"
    }
    fn decl(&self) -> DeclKind {
        DeclKind::Step
    }
    fn role(&self) -> &'static str {
        "majority vote per source record"
    }
    fn positional(&self) -> Positional {
        Positional::Records { min: 1, max: usize::MAX }
    }
    fn args(&self) -> &'static [ArgSpec] {
        ARGS
    }
    fn configure(&self, node: &NodeDef) -> StepSettings {
        StepSettings::new(VoteArgs {
            field: node.args.get("field").and_then(Value::as_str).unwrap_or("predicted").to_string(),
            into: node.args.get("into").and_then(Value::as_str).unwrap_or("majority").to_string(),
        })
    }
    fn adds(&self, node: &NodeDef, _wf: &Workflow) -> Vec<String> {
        vec![node.settings::<VoteArgs>().into.clone()]
    }
    fn shape(&self) -> Shape {
        Shape::PerSourceRecord
    }
    fn gather(&self, node: &NodeDef, _lineage: u64, held: Vec<Arc<Rec>>, _counted: usize) -> Vec<Arc<Rec>> {
        let a = node.settings::<VoteArgs>();
        let mut counts: std::collections::BTreeMap<String, usize> = Default::default();
        for r in &held {
            if let Some(v) = r.fields.get(&a.field).filter(|v| !v.is_null()) {
                *counts.entry(crate::expr::text(v)).or_default() += 1;
            }
        }
        // Ties go to the smallest value, so the result does not depend on order.
        let best = counts.iter().max_by(|a, b| a.1.cmp(b.1).then(b.0.cmp(a.0))).map(|(k, _)| Value::String(k.clone()));
        held.into_iter()
            .map(|r| {
                let mut out = (*r).clone();
                out.fields.insert(a.into.clone(), best.clone().unwrap_or(Value::Null));
                Arc::new(out)
            })
            .collect()
    }
}
