//! Stable step identities: a hash of what a step does and of its upstream
//! identities — never of its line number or (where it does not matter) its name —
//! so editing one step, or a variant that replaces one, leaves the rest unchanged.

use crate::workflow::SEMANTIC;
use crate::workflow::{NodeId, Workflow};
use serde_json::{json, Map, Value};

pub fn identities(wf: &Workflow, order: &[NodeId]) -> Vec<String> {
    let mut ids = vec![String::new(); wf.nodes.len()];
    for &i in order {
        let desc = describe(wf, i, &ids);
        ids[i] = blake3::hash(desc.to_string().as_bytes()).to_hex()[..16].to_string();
    }
    ids
}

/// Everything that decides a step's output, as canonical JSON.
pub fn describe(wf: &Workflow, i: NodeId, ids: &[String]) -> Value {
    let n = &wf.nodes[i];
    let mut args: Map<String, Value> = n.args.clone();
    // A dataset is the file it points at, however the path was written.
    if n.decl == crate::syntax::ast::DeclKind::Source {
        if let Some(s) = n.settings.get::<crate::steps::SourceSettings>() {
            let p = wf.locate(&s.location);
            let abs = std::fs::canonicalize(&p).unwrap_or(p);
            args.insert("location".into(), Value::String(abs.display().to_string()));
        }
    }
    for (k, p) in &n.prompts {
        args.insert(k.clone(), json!({ "template": p.text }));
    }
    let mut inputs: Vec<&str> = n.inputs.iter().map(|x| ids[*x].as_str()).collect();
    // Input order matters only where one input plays another part (a side input).
    if n.kind.side_input().is_none() {
        inputs.sort();
    }
    let refs: Map<String, Value> = n
        .refs
        .iter()
        .map(|(k, r)| (k.clone(), Value::String(ids[*r].clone())))
        .collect();
    let model = n.model.and_then(|m| wf.models.get(m)).map(|m| {
        let s: Map<String, Value> = m
            .values
            .iter()
            .filter(|(k, _)| SEMANTIC.contains(&k.as_str()))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        json!({ "alias": m.name, "settings": s })
    });
    json!({
        "decl": n.decl.keyword(),
        "kind": n.kind.name(),
        "adds": n.kind.adds(n, wf),
        "args": args,
        "filter": n.filter,
        "pool": n.pool_items,
        "model": model,
        "inputs": inputs,
        "refs": refs,
    })
}
