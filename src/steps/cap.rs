//! `cap(records, n: 5, per: source, seed: 1)`: at most n records per source
//! record, chosen at random with a seed; fires when that record's upstream is done.

use super::*;
use rand::seq::SliceRandom;
use rand::SeedableRng;

const ARGS: &[ArgSpec] = &[
    required("n", ArgType::Int { min: 1, max: 1_000_000 }, "records kept per source record"),
    required("per", ArgType::Source, "the source whose records are the groups"),
    arg("seed", crate::model_settings::SEED_RANGE, "seed of the random choice"),
];

#[derive(Debug)]
pub struct Cap;

impl StepKind for Cap {
    fn chooses_at_random(&self) -> bool {
        true
    }
    fn name(&self) -> &'static str {
        "cap"
    }
    fn decl(&self) -> DeclKind {
        DeclKind::Step
    }
    fn role(&self) -> &'static str {
        "cap per source record"
    }
    fn positional(&self) -> Positional {
        Positional::Records { min: 1, max: usize::MAX }
    }
    fn args(&self) -> &'static [ArgSpec] {
        ARGS
    }
    fn estimate(&self, node: &NodeDef, _wf: &Workflow, inputs: &[Estimate]) -> Estimate {
        let (records, upper_bound) = sum_inputs(inputs);
        let n = node.int_arg("n").unwrap_or(1) as f64;
        Estimate { records: records.min(n), calls: 0.0, upper_bound }
    }
    fn shape(&self) -> Shape {
        Shape::PerSourceRecord
    }
    fn passes_records_through(&self) -> bool {
        true
    }
    fn gather(&self, node: &NodeDef, lineage: u64, mut held: Vec<Arc<Rec>>, _counted: usize) -> Vec<Arc<Rec>> {
        // Sorted first, so the choice does not depend on arrival order.
        held.sort_by(|a, b| a.key.cmp(&b.key));
        let seed = node.int_arg("seed").unwrap_or(0) as u64 ^ lineage.wrapping_mul(0x9e37_79b9_7f4a_7c15);
        held.shuffle(&mut rand_chacha::ChaCha8Rng::seed_from_u64(seed));
        held.truncate(node.int_arg("n").unwrap_or(1).max(0) as usize);
        held.sort_by(|a, b| a.key.cmp(&b.key));
        held
    }
}
