//! `missing(source, from: step)`: the source records with no output in `from`
//! (the hint-retry trigger); fires per record once its work in `from` is done.

use super::*;

const ARGS: &[ArgSpec] = &[required("from", ArgType::Node, "the step whose outputs are looked for")];

#[derive(Debug)]
pub struct Missing;

impl StepKind for Missing {
    fn name(&self) -> &'static str {
        "missing"
    }
    fn decl(&self) -> DeclKind {
        DeclKind::Step
    }
    fn role(&self) -> &'static str {
        "source records with no output in a step"
    }
    fn positional(&self) -> Positional {
        Positional::Records { min: 1, max: 1 }
    }
    fn args(&self) -> &'static [ArgSpec] {
        ARGS
    }
    fn estimate(&self, _node: &NodeDef, _wf: &Workflow, inputs: &[Estimate]) -> Estimate {
        let (records, _) = sum_inputs(inputs);
        Estimate { records, calls: 0.0, upper_bound: true }
    }
    fn shape(&self) -> Shape {
        Shape::PerSourceRecord
    }
    fn passes_records_through(&self) -> bool {
        true
    }
    fn holds(&self, port: usize) -> bool {
        // Port 0 is the source record; `from:`'s outputs are only counted.
        port == 0
    }
    fn gather(&self, _node: &NodeDef, _lineage: u64, held: Vec<Arc<Rec>>, counted: usize) -> Vec<Arc<Rec>> {
        if counted == 0 {
            held
        } else {
            vec![]
        }
    }
}
