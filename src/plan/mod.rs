//! Stage 3: the checked workflow as a petgraph DAG with stable step identities,
//! a static estimate of calls and tokens, and DOT/Mermaid renderings.

pub mod diff;
pub mod estimate;
pub mod export;
pub mod identity;
pub mod shared;

use crate::workflow::{NodeId, Workflow};
use petgraph::graph::{DiGraph, NodeIndex};

/// An edge: a record input, or a named reference (`per`, `from`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Edge {
    Records,
    Ref(String),
}

pub struct Plan {
    pub graph: DiGraph<NodeId, Edge>,
    pub index: Vec<NodeIndex>,
    /// Dependency order.
    pub order: Vec<NodeId>,
    /// Stable identity of each node (hex), from its definition and its upstream.
    pub identity: Vec<String>,
}

/// None when the workflow has a cycle (the checker reports it).
pub fn compile(wf: &Workflow) -> Option<Plan> {
    let mut graph = DiGraph::new();
    let index: Vec<NodeIndex> = (0..wf.nodes.len()).map(|i| graph.add_node(i)).collect();
    for (i, n) in wf.nodes.iter().enumerate() {
        for &inp in &n.inputs {
            graph.add_edge(index[inp], index[i], Edge::Records);
        }
        for (k, &r) in &n.refs {
            graph.add_edge(index[r], index[i], Edge::Ref(k.clone()));
        }
    }
    let order: Vec<NodeId> = petgraph::algo::toposort(&graph, None)
        .ok()?
        .into_iter()
        .map(|x| graph[x])
        .collect();
    let identity = identity::identities(wf, &order);
    Some(Plan {
        graph,
        index,
        order,
        identity,
    })
}
