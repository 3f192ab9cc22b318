//! `keep(records, where: expr)`: passes the records for which `where` is true.

use super::*;

const ARGS: &[ArgSpec] = &[required("where", ArgType::Filter, "condition over the record's fields")];

#[derive(Debug)]
pub struct Keep;

impl StepKind for Keep {
    fn name(&self) -> &'static str {
        "keep"
    }
    fn decl(&self) -> DeclKind {
        DeclKind::Step
    }
    fn role(&self) -> &'static str {
        "filter"
    }
    fn positional(&self) -> Positional {
        Positional::Records { min: 1, max: usize::MAX }
    }
    fn args(&self) -> &'static [ArgSpec] {
        ARGS
    }
    fn estimate(&self, _node: &NodeDef, _wf: &Workflow, inputs: &[Estimate]) -> Estimate {
        let (records, _) = sum_inputs(inputs);
        Estimate { records, calls: 0.0, upper_bound: true }
    }
    fn passes_records_through(&self) -> bool {
        true
    }
    fn map(&self, step: usize, node: &NodeDef, _wf: &Workflow, r: &Arc<Rec>, _side: &[Arc<Rec>], env: &dyn StepEnv) -> Vec<Rec> {
        let Some(filter) = &node.filter else { return vec![] };
        match filter.first_failing(&Value::Object(r.fields.clone())) {
            None => {
                env.kept(step, r);
                vec![(**r).clone()]
            }
            Some(condition) => {
                env.removed(step, r, condition);
                vec![]
            }
        }
    }
}
