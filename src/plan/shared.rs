//! LLM steps whose calls are another step's, asked again: the same prompt and
//! sampling over (a subset of) the same records. Their calls are cache hits at
//! run time — e.g. ReGenesis's hint branch re-selects guidelines with the
//! unchanged selection prompt — so the estimate does not charge them twice.

use crate::syntax::ast::DeclKind;
use crate::workflow::{NodeId, Workflow};

/// For each node, the earlier LLM step whose calls it repeats, if any.
pub fn repeats(wf: &Workflow, order: &[NodeId]) -> Vec<Option<NodeId>> {
    let mut out = vec![None; wf.nodes.len()];
    for (i, &b) in order.iter().enumerate() {
        if !wf.nodes[b].is_llm() {
            continue;
        }
        out[b] = order[..i]
            .iter()
            .copied()
            .find(|&a| wf.nodes[a].is_llm() && same_calls(wf, a, b));
    }
    out
}

fn same_calls(wf: &Workflow, a: NodeId, b: NodeId) -> bool {
    let (na, nb) = (&wf.nodes[a], &wf.nodes[b]);
    let prompt = |n: &crate::workflow::NodeDef| n.call_prompt().map(|p| p.text.clone());
    na.kind.name() == nb.kind.name()
        && na.kind.decl() == nb.kind.decl()
        && na.model == nb.model
        && prompt(na).is_some()
        && prompt(na) == prompt(nb)
        && na.call == nb.call
        && na.kind.samples(na) == nb.kind.samples(nb)
        && na.inputs.len() == 1
        && nb.inputs.len() == 1
        && records_of(wf, na.inputs[0]) == records_of(wf, nb.inputs[0])
}

/// The node whose records these are, looking through steps that only pass some
/// of their input's records on unchanged (filters, caps, "no output in X").
fn records_of(wf: &Workflow, mut id: NodeId) -> NodeId {
    loop {
        let n = &wf.nodes[id];
        let passes_through =
            n.decl == DeclKind::Step && n.kind.passes_records_through() && !n.inputs.is_empty();
        if !passes_through {
            return id;
        }
        id = n.inputs[0];
    }
}
