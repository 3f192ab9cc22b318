//! `cross(records, other, as: field)`: every record paired with every item of a
//! pool (`as` gets its text, `<as>_id` its id) or every record of another step
//! (`as` gets the whole record; e.g. a per-task structure broadcast to instances).

use super::*;

const ARGS: &[ArgSpec] = &[
    arg("as", ArgType::FieldOut, "field that receives the pool item's text or the other record (default: `guideline`)"),
    arg("take", ArgType::Int { min: 0, max: 1_000_000 }, "use only the first N items of the pool (default: all)"),
];

#[derive(Debug)]
pub struct Cross;

/// `cross`'s arguments, typed.
struct CrossArgs {
    /// The field that receives the pool item or the other record (`as:`).
    field: String,
    /// Only the pool's first items (`take:`; all when unset).
    take: usize,
}

impl StepKind for Cross {
    fn name(&self) -> &'static str {
        "cross"
    }
    fn decl(&self) -> DeclKind {
        DeclKind::Step
    }
    fn role(&self) -> &'static str {
        "cross product with a pool"
    }
    fn positional(&self) -> Positional {
        Positional::Records { min: 2, max: 2 }
    }
    fn args(&self) -> &'static [ArgSpec] {
        ARGS
    }
    fn configure(&self, node: &NodeDef) -> StepSettings {
        StepSettings::new(CrossArgs {
            field: node.args.get("as").and_then(Value::as_str).unwrap_or("guideline").to_string(),
            take: node.args.get("take").and_then(Value::as_i64).map_or(usize::MAX, |t| t.max(0) as usize),
        })
    }
    fn adds(&self, node: &NodeDef, wf: &Workflow) -> Vec<String> {
        let f = node.settings::<CrossArgs>().field.clone();
        let from_pool = node.inputs.get(1).is_some_and(|p| wf.nodes[*p].decl == DeclKind::Pool);
        if from_pool {
            vec![format!("{f}_id"), f]
        } else {
            vec![f]
        }
    }
    fn estimate(&self, node: &NodeDef, wf: &Workflow, inputs: &[Estimate]) -> Estimate {
        let first = inputs.first().copied().unwrap_or_default();
        let other = match node.inputs.get(1) {
            Some(p) if wf.nodes[*p].decl == DeclKind::Pool => {
                let all = wf.nodes[*p].pool_items.len();
                all.min(node.settings::<CrossArgs>().take) as f64
            }
            _ => inputs.get(1).map_or(0.0, |e| e.records),
        };
        Estimate { records: first.records * other, calls: 0.0, upper_bound: first.upper_bound }
    }
    fn takes_pool(&self, index: usize) -> bool {
        index == 1
    }
    fn side_input(&self) -> Option<usize> {
        Some(1)
    }
    fn map(&self, _step: usize, node: &NodeDef, wf: &Workflow, r: &Arc<Rec>, side: &[Arc<Rec>], _env: &dyn StepEnv) -> Vec<Rec> {
        let a = node.settings::<CrossArgs>();
        let f = &a.field;
        match node.inputs.get(1).map(|p| &wf.nodes[*p]) {
            Some(pool) if pool.decl == DeclKind::Pool => pool
                .pool_items
                .iter()
                .take(a.take)
                .map(|item| {
                    let text_of = |k: &str| item.get(k).and_then(Value::as_str).unwrap_or("");
                    let gid = text_of("id").to_string();
                    let text = format!("{}: {}", text_of("title"), text_of("text"));
                    child(r, &format!("{}:{gid}", node.name), [(f.clone(), Value::String(text)), (format!("{f}_id"), Value::String(gid))])
                })
                .collect(),
            _ => {
                side.iter().map(|o| child(r, &format!("{}:{}", node.name, o.key), [(f.clone(), Value::Object(o.fields.clone()))])).collect()
            }
        }
    }
}
