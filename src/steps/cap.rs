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

/// `cap`'s arguments, typed.
struct CapArgs {
    /// Records kept per source record.
    n: usize,
    seed: u64,
}

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
    fn configure(&self, node: &NodeDef) -> StepSettings {
        StepSettings::new(CapArgs {
            n: node.args.get("n").and_then(Value::as_i64).unwrap_or(1).max(0) as usize,
            seed: node.args.get("seed").and_then(Value::as_i64).unwrap_or(0) as u64,
        })
    }
    fn graph_detail(&self, node: &NodeDef) -> Option<String> {
        Some(format!("n={}", node.settings::<CapArgs>().n))
    }
    fn estimate(&self, node: &NodeDef, _wf: &Workflow, inputs: &[Estimate]) -> Estimate {
        let (records, upper_bound) = sum_inputs(inputs);
        let n = node.settings::<CapArgs>().n as f64;
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
        let a = node.settings::<CapArgs>();
        let seed = a.seed ^ lineage.wrapping_mul(0x9e37_79b9_7f4a_7c15);
        held.shuffle(&mut rand_chacha::ChaCha8Rng::seed_from_u64(seed));
        held.truncate(a.n);
        held.sort_by(|a, b| a.key.cmp(&b.key));
        held
    }
}
