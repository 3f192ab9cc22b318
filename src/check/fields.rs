//! Graph facts the checker and the lints need: a topological order (or the
//! cycle), the fields available at each node, and each node's lineage sources.

use super::template_reads::GLOBALS;
use crate::diagnostic::{did_you_mean, Diagnostic, Span};
use crate::syntax::ast::DeclKind;
use crate::workflow::{ArgType, NodeId, Workflow};
use std::collections::BTreeSet;

#[derive(Debug, Clone, Default)]
pub struct Analysis {
    /// Nodes in dependency order (empty when there is a cycle).
    pub order: Vec<NodeId>,
    /// Fields of the records a node receives.
    pub fields_in: Vec<BTreeSet<String>>,
    /// Fields of the records a node emits.
    pub fields_out: Vec<BTreeSet<String>>,
    /// The sources a node's records descend from.
    pub lineage: Vec<BTreeSet<NodeId>>,
    /// A node downstream of an input that failed to resolve: its fields are unknown.
    pub incomplete: Vec<bool>,
}

/// Every node a node depends on: inputs and references.
pub fn deps(wf: &Workflow, id: NodeId) -> impl Iterator<Item = NodeId> + '_ {
    wf.nodes[id]
        .inputs
        .iter()
        .copied()
        .chain(wf.nodes[id].refs.values().copied())
}

pub fn analyse(wf: &Workflow, diags: &mut Vec<Diagnostic>) -> Analysis {
    let mut g = petgraph::graph::DiGraph::<NodeId, ()>::new();
    let ix: Vec<_> = (0..wf.nodes.len()).map(|i| g.add_node(i)).collect();
    for i in 0..wf.nodes.len() {
        for d in deps(wf, i) {
            g.add_edge(ix[d], ix[i], ());
        }
    }
    let order = match petgraph::algo::toposort(&g, None) {
        Ok(o) => o.into_iter().map(|n| g[n]).collect::<Vec<_>>(),
        Err(cycle) => {
            let start = g[cycle.node_id()];
            let path = cycle_path(wf, start);
            let n = &wf.nodes[start];
            diags.push(
                Diagnostic::error("cycle", n.file, n.name_span, format!("steps depend on each other in a cycle: {}", path.join(" → ")))
                    .with_help("a step cannot read, directly or through others, its own output; break the loop"),
            );
            return Analysis::default();
        }
    };
    let n = wf.nodes.len();
    let mut a = Analysis {
        order: order.clone(),
        fields_in: vec![BTreeSet::new(); n],
        fields_out: vec![BTreeSet::new(); n],
        lineage: vec![BTreeSet::new(); n],
        incomplete: vec![false; n],
    };
    for &id in &order {
        let node = &wf.nodes[id];
        // Records (and lineage) come from the inputs that are neither a pool nor a side input.
        let side = node.kind.side_input();
        let record_inputs: Vec<NodeId> = node
            .inputs
            .iter()
            .enumerate()
            .filter(|(i, n)| Some(*i) != side && wf.nodes[**n].decl != DeclKind::Pool)
            .map(|(_, n)| *n)
            .collect();
        // A field is guaranteed only if every input provides it.
        let mut fin: Option<BTreeSet<String>> = None;
        for i in &record_inputs {
            fin = Some(match fin {
                None => a.fields_out[*i].clone(),
                Some(f) => f.intersection(&a.fields_out[*i]).cloned().collect(),
            });
            let l = a.lineage[*i].clone();
            a.lineage[id].extend(l);
        }
        if node.decl == DeclKind::Source {
            a.lineage[id].insert(id);
        }
        a.incomplete[id] = node.unresolved || deps(wf, id).any(|d| a.incomplete[d]);
        let fin = fin.unwrap_or_default();
        let mut fout = fin.clone();
        fout.extend(node.kind.adds(node, wf));
        a.fields_in[id] = fin;
        a.fields_out[id] = fout;
    }
    check_reads(wf, &a, diags);
    a
}

fn cycle_path(wf: &Workflow, start: NodeId) -> Vec<String> {
    // Walk dependencies from `start` until we come back to it.
    let mut path = vec![start];
    let mut seen = BTreeSet::new();
    fn dfs(
        wf: &Workflow,
        cur: NodeId,
        start: NodeId,
        path: &mut Vec<NodeId>,
        seen: &mut BTreeSet<NodeId>,
    ) -> bool {
        for d in deps(wf, cur) {
            if d == start {
                return true;
            }
            if seen.insert(d) {
                path.push(d);
                if dfs(wf, d, start, path, seen) {
                    return true;
                }
                path.pop();
            }
        }
        false
    }
    dfs(wf, start, start, &mut path, &mut seen);
    path.push(start);
    path.reverse();
    path.into_iter().map(|i| wf.nodes[i].name.clone()).collect()
}

/// Every field a template, filter or argument reads must reach that node.
fn check_reads(wf: &Workflow, a: &Analysis, diags: &mut Vec<Diagnostic>) {
    // Downstream of an input that did not resolve, the fields that reach a step are
    // not known. Every field some step of the workflow provides might: only a name
    // nothing provides (a typo such as `predictd`) is reported there, so there are
    // no cascades of false errors and no typo hides behind an earlier mistake.
    let anywhere: BTreeSet<String> = a.fields_out.iter().flatten().cloned().collect();
    for &id in &a.order {
        let node = &wf.nodes[id];
        let have = if a.incomplete[id] {
            &anywhere
        } else {
            &a.fields_in[id]
        };
        let mut missing = |field: &str, span: Span, what: String| {
            let is_pool = wf
                .node(field)
                .is_some_and(|p| wf.nodes[p].decl == DeclKind::Pool);
            // Templates may read params too (`{% if answer_format == "choice" %}`); filters fold them already.
            let is_param = wf.param(field).is_some();
            if have.contains(field) || GLOBALS.contains(&field) || is_pool || is_param {
                return;
            }
            let mut d = Diagnostic::error(
                "unknown-field",
                node.file,
                span,
                format!("{what} reads `{field}`, which no upstream step provides"),
            );
            let avail: Vec<&str> = have.iter().map(String::as_str).collect();
            d.help = Some(match did_you_mean(field, avail.iter().copied()) {
                Some(dym) => format!(
                    "{dym} (fields reaching `{}`: {})",
                    node.name,
                    avail.join(", ")
                ),
                None => format!("fields reaching `{}`: {}", node.name, avail.join(", ")),
            });
            diags.push(d);
        };
        for (key, p) in &node.prompts {
            for f in &p.reads {
                missing(
                    f,
                    p.span,
                    format!("template `{}` (`{key}:` of `{}`)", p.name, node.name),
                );
            }
        }
        if let Some(filter) = &node.filter {
            let mut fs = Vec::new();
            filter.fields(&mut fs);
            for f in fs {
                missing(
                    &f,
                    node.arg_span("where"),
                    format!("the condition of `{}`", node.name),
                );
            }
        }
        // The fields a kind declares it reads (`FieldIn`, `FieldList`).
        for spec in node.kind.args() {
            let read: Vec<&str> = match (spec.ty, node.args.get(spec.name)) {
                (ArgType::FieldIn, Some(v)) => v.as_str().into_iter().collect(),
                (ArgType::FieldList, Some(v)) => v
                    .as_array()
                    .map_or(vec![], |l| l.iter().filter_map(|v| v.as_str()).collect()),
                _ => vec![],
            };
            for f in read {
                missing(
                    f,
                    node.arg_span(spec.name),
                    format!("`{}:` of `{}`", spec.name, node.name),
                );
            }
        }
        if let Some(per) = node.refs.get("per") {
            if !a.lineage[id].contains(per) && !a.lineage[id].is_empty() {
                let roots: Vec<&str> = a.lineage[id]
                    .iter()
                    .map(|i| wf.nodes[*i].name.as_str())
                    .collect();
                diags.push(
                    Diagnostic::error(
                        "wrong-group",
                        node.file,
                        node.arg_span("per"),
                        format!(
                            "`{}`'s records do not descend from `{}`",
                            node.name, wf.nodes[*per].name
                        ),
                    )
                    .with_help(format!("they descend from: {}", roots.join(", "))),
                );
            }
        }
    }
}
