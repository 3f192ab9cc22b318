//! `pool seeds = guidelines("seed25")`: a YAML list of `{id, title, text}` from
//! `stdlib/guidelines/` or a path next to the workflow; `take: N` keeps the first N.

use super::*;

const ARGS: &[ArgSpec] = &[arg("take", ArgType::Int { min: 1, max: 100_000 }, "use only the first N guidelines, in the file's order")];

#[derive(Debug)]
pub struct Guidelines;

impl StepKind for Guidelines {
    fn name(&self) -> &'static str {
        "guidelines"
    }
    fn decl(&self) -> DeclKind {
        DeclKind::Pool
    }
    fn role(&self) -> &'static str {
        "guideline pool"
    }
    fn positional(&self) -> Positional {
        Positional::Location
    }
    fn args(&self) -> &'static [ArgSpec] {
        ARGS
    }
    fn estimate(&self, node: &NodeDef, _wf: &Workflow, _inputs: &[Estimate]) -> Estimate {
        Estimate { records: node.pool_items.len() as f64, calls: 0.0, upper_bound: false }
    }
}
