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
    fn adds(&self, node: &NodeDef, wf: &Workflow) -> Vec<String> {
        let f = node.str_arg("as").unwrap_or("guideline").to_string();
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
                node.int_arg("take").map_or(all, |t| all.min(t.max(0) as usize)) as f64
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
        let f = node.str_arg("as").unwrap_or("guideline").to_string();
        match node.inputs.get(1).map(|p| &wf.nodes[*p]) {
            Some(pool) if pool.decl == DeclKind::Pool => pool
                .pool_items
                .iter()
                .take(node.int_arg("take").map_or(usize::MAX, |t| t.max(0) as usize))
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
