//! `regen graph`: the plan as Graphviz DOT or Mermaid.

use super::{Edge, Plan};
use crate::syntax::ast::DeclKind;
use crate::workflow::{NodeId, Shape, Workflow};
use petgraph::visit::EdgeRef;

fn label(wf: &Workflow, id: NodeId) -> String {
    let n = &wf.nodes[id];
    let mut detail = format!("{} · {}", n.kind.name(), n.kind.role());
    if let Some(p) = n.call_prompt() {
        detail = format!("{} · {}", n.kind.name(), p.name);
    }
    if n.is_llm() && n.kind.samples(n) > 1 {
        detail.push_str(&format!(" ×{}", n.kind.samples(n)));
    }
    if n.kind.declared_hint(n) {
        detail.push_str(" (hint)");
    }
    if n.decl == DeclKind::Pool {
        detail = format!("guideline pool · {} items", n.pool_items.len());
    }
    if let Some(more) = n.kind.graph_detail(n) {
        detail.push_str(&format!(" {more}"));
    }
    format!("{}\\n{}", n.name, detail)
}

fn shape(wf: &Workflow, id: NodeId) -> &'static str {
    let n = &wf.nodes[id];
    match n.kind.shape() {
        Shape::Source => "cylinder",
        Shape::Pool => "folder",
        Shape::Sink => "note",
        // A judge, typed or not, is a decision.
        Shape::ModelCall if n.kind.verdict(n).is_some() || n.kind.sees_label_by_design() => {
            "diamond"
        }
        Shape::ModelCall => "box",
        _ if n.filter.is_some() => "invtrapezium",
        _ => "ellipse",
    }
}

pub fn dot(wf: &Workflow, plan: &Plan) -> String {
    let mut s = format!(
        "digraph \"{}\" {{\n  rankdir=TB;\n  node [fontname=\"Helvetica\", fontsize=10];\n",
        wf.name
    );
    for &id in &plan.order {
        let style = if wf.nodes[id].is_llm() {
            ", style=\"rounded,filled\", fillcolor=\"#e8f0fe\""
        } else {
            ""
        };
        s.push_str(&format!(
            "  \"{}\" [label=\"{}\", shape={}{}];\n",
            wf.nodes[id].name,
            label(wf, id).replace('"', "'"),
            shape(wf, id),
            style
        ));
    }
    for e in plan.graph.edge_references() {
        let (a, b) = (
            &wf.nodes[plan.graph[e.source()]].name,
            &wf.nodes[plan.graph[e.target()]].name,
        );
        match e.weight() {
            Edge::Records => s.push_str(&format!("  \"{a}\" -> \"{b}\";\n")),
            Edge::Ref(k) => s.push_str(&format!(
                "  \"{a}\" -> \"{b}\" [style=dashed, label=\"{k}\"];\n"
            )),
        }
    }
    s.push_str("}\n");
    s
}

pub fn mermaid(wf: &Workflow, plan: &Plan) -> String {
    let mut s = String::from("flowchart TD\n");
    for &id in &plan.order {
        let n = &wf.nodes[id];
        let text = label(wf, id).replace("\\n", "<br/>").replace('"', "'");
        let (open, close) = match shape(wf, id) {
            "cylinder" => ("[(", ")]"),
            "folder" => ("[/", "/]"),
            "note" => ("[[", "]]"),
            "diamond" => ("{", "}"),
            "invtrapezium" => ("[\\", "/]"),
            "box" => ("(", ")"),
            _ => ("([", "])"),
        };
        s.push_str(&format!("  {}{}\"{}\"{}\n", n.name, open, text, close));
    }
    for e in plan.graph.edge_references() {
        let (a, b) = (
            &wf.nodes[plan.graph[e.source()]].name,
            &wf.nodes[plan.graph[e.target()]].name,
        );
        match e.weight() {
            Edge::Records => s.push_str(&format!("  {a} --> {b}\n")),
            Edge::Ref(k) => s.push_str(&format!("  {a} -. {k} .-> {b}\n")),
        }
    }
    s
}
