//! Hover: what a name under the cursor is, from the checked workflow.

use super::documents::Document;
use super::text;
use crate::workflow::{NodeId, Shape, Workflow};
use lsp_types::{Hover, HoverContents, MarkupContent, MarkupKind};

pub fn hover(doc: &Document, offset: usize) -> Option<Hover> {
    let checked = doc.checked.as_ref()?;
    let wf = &checked.workflow;
    let (start, end, markdown) = if let Some((a, b, s)) = text::string_at(&doc.text, offset) {
        (a, b, prompt(wf, s)?)
    } else {
        let (a, b, word) = text::word_at(&doc.text, offset)?;
        let md = if let Some(id) = wf.node(word) {
            step(checked, id)
        } else if let Some(m) = wf.models.iter().find(|m| m.name == word) {
            let rows: Vec<String> = m
                .values
                .iter()
                .map(|(k, v)| format!("| `{k}` | `{v}` |"))
                .collect();
            format!(
                "**model** `{}`\n\n| setting | value |\n|---|---|\n{}",
                m.name,
                rows.join("\n")
            )
        } else if let Some(s) = wf.shapes.get(word) {
            format!(
                "**shape** `{word}` = `{}`\n\nJSON Schema sent: `{}`",
                s.describe(),
                s.json_schema()
            )
        } else if let Some(p) = wf.param(word) {
            format!("**param** `{}`: {} = `{}`", p.name, p.ty.name(), p.value)
        } else if let Some(k) = crate::steps::KINDS.iter().find(|k| k.name() == word) {
            let args: Vec<String> = k
                .args()
                .iter()
                .map(|a| {
                    format!(
                        "- `{}`{}: {}",
                        a.name,
                        if a.required { " (required)" } else { "" },
                        a.doc
                    )
                })
                .collect();
            format!(
                "**{} kind** `{}`: {} ({})\n\n{}",
                k.decl().keyword(),
                k.name(),
                k.role(),
                k.shape().describe(),
                args.join("\n")
            )
        } else {
            field(checked, word)?
        };
        (a, b, md)
    };
    Some(Hover {
        contents: HoverContents::Markup(MarkupContent {
            kind: MarkupKind::Markdown,
            value: markdown,
        }),
        range: Some(text::range(&doc.text, start, end)),
    })
}

fn step(checked: &crate::check::Checked, id: NodeId) -> String {
    let wf = &checked.workflow;
    let n = &wf.nodes[id];
    let inputs: Vec<&str> = n
        .inputs
        .iter()
        .map(|i| wf.nodes[*i].name.as_str())
        .collect();
    let mut md = format!(
        "**{}** `{}` = `{}`({})\n\n{} · runs {}",
        n.decl.keyword(),
        n.name,
        n.kind.name(),
        inputs.join(", "),
        n.kind.role(),
        n.kind.shape().describe()
    );
    if !n.is_llm() {
        md.push_str("\n\nmakes no model calls");
    } else if let Some(est) = crate::plan::estimate::estimate(wf, 1.0) {
        if let Some(s) = est.steps.iter().find(|s| s.step == n.name) {
            md.push_str(&format!(
                "\n\nestimated calls per input record: {}",
                round(s.calls_per_input)
            ));
            if let Some(r) = &s.repeats {
                md.push_str(&format!(" (repeats `{r}`'s calls: cache hits)"));
            }
        }
    }
    if let Some(s) = &n.reply {
        md.push_str(&format!("\n\nreply shape: `{}`", s.describe()));
    }
    let adds = n.kind.adds(n, wf);
    if !adds.is_empty() {
        md.push_str(&format!(
            "\n\nadds: {}",
            adds.iter()
                .map(|f| format!("`{f}`"))
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    if let Some(fields) = checked.analysis.fields_in.get(id).filter(|f| !f.is_empty()) {
        md.push_str(&format!(
            "\n\nfields in: {}",
            fields
                .iter()
                .map(|f| format!("`{f}`"))
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    md
}

fn round(x: f64) -> String {
    if x.fract() == 0.0 {
        format!("{x}")
    } else {
        format!("{x:.1}")
    }
}

/// A field: the steps that provide it, and its type where the kind says.
fn field(checked: &crate::check::Checked, name: &str) -> Option<String> {
    let wf = &checked.workflow;
    let providers: Vec<String> = wf
        .nodes
        .iter()
        .enumerate()
        .filter(|(id, n)| {
            n.kind.adds(n, wf).iter().any(|f| f == name)
                || (n.kind.shape() == Shape::Source
                    && checked
                        .analysis
                        .fields_out
                        .get(*id)
                        .is_some_and(|f| f.contains(name)))
        })
        .map(|(_, n)| {
            format!(
                "- `{}` ({}{})",
                n.name,
                n.kind.name(),
                field_type(wf, n, name).map_or(String::new(), |t| format!(": {t}"))
            )
        })
        .collect();
    (!providers.is_empty())
        .then(|| format!("**field** `{name}`, provided by:\n{}", providers.join("\n")))
}

fn field_type(wf: &Workflow, n: &crate::workflow::NodeDef, name: &str) -> Option<String> {
    if let Some((_, s)) = n.kind.shaped_fields(n).into_iter().find(|(f, _)| f == name) {
        return Some(format!("`{}` (the parsed reply)", s.describe()));
    }
    Some(
        match n.kind.shape() {
            Shape::Source => "dataset column",
            Shape::ModelCall if n.kind.verdict(n).as_deref() == Some(name) => "bool (the verdict)",
            Shape::ModelCall => "text (the reply)",
            _ if n
                .inputs
                .iter()
                .any(|i| wf.nodes[*i].decl == crate::syntax::ast::DeclKind::Pool) =>
            {
                "text (a pool item)"
            }
            _ => return None,
        }
        .to_string(),
    )
}

/// A prompt name in a string: the template's text.
fn prompt(wf: &Workflow, s: &str) -> Option<String> {
    let p = wf
        .nodes
        .iter()
        .flat_map(|n| n.prompts.values())
        .find(|p| p.name == s)?;
    let reads = p
        .reads
        .iter()
        .map(|f| format!("`{f}`"))
        .collect::<Vec<_>>()
        .join(", ");
    Some(format!(
        "**prompt** `{}` (reads {reads})\n\n```jinja\n{}\n```",
        p.name,
        p.text.trim_end()
    ))
}
