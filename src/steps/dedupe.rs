//! `dedupe(records, field: path, per: source)`: of a source record's records,
//! one per distinct value of `field` (compared with runs of whitespace made
//! one), so a question's training set does not hold the same path twice.

use super::*;

const ARGS: &[ArgSpec] = &[
    required("field", ArgType::FieldIn, "field whose values must differ"),
    required("per", ArgType::Source, "the source whose records are the groups"),
];

#[derive(Debug)]
pub struct Dedupe;

/// `dedupe`'s one argument, typed: the field whose values must differ.
struct DedupeField(String);

impl StepKind for Dedupe {
    fn name(&self) -> &'static str {
        "dedupe"
    }
    fn decl(&self) -> DeclKind {
        DeclKind::Step
    }
    fn role(&self) -> &'static str {
        "drop repeated values per source record"
    }
    fn positional(&self) -> Positional {
        Positional::Records { min: 1, max: usize::MAX }
    }
    fn args(&self) -> &'static [ArgSpec] {
        ARGS
    }
    fn shape(&self) -> Shape {
        Shape::PerSourceRecord
    }
    fn passes_records_through(&self) -> bool {
        true
    }
    fn configure(&self, node: &NodeDef) -> StepSettings {
        // The field whose values must differ.
        StepSettings::new(DedupeField(node.args.get("field").and_then(Value::as_str).unwrap_or("path").to_string()))
    }
    fn estimate(&self, _node: &NodeDef, _wf: &Workflow, inputs: &[Estimate]) -> Estimate {
        let (records, _) = sum_inputs(inputs);
        Estimate { records, calls: 0.0, upper_bound: true }
    }
    fn gather(&self, node: &NodeDef, _lineage: u64, mut held: Vec<Arc<Rec>>, _counted: usize) -> Vec<Arc<Rec>> {
        // By key first: which of two equal records stays does not depend on arrival order.
        held.sort_by(|a, b| a.key.cmp(&b.key));
        let field = &node.settings::<DedupeField>().0;
        let mut seen = std::collections::HashSet::new();
        held.retain(|r| {
            let v = r.fields.get(field).map(crate::expr::text).unwrap_or_default();
            seen.insert(v.split_whitespace().collect::<Vec<_>>().join(" "))
        });
        held
    }
}
