//! What a variant changes: the steps whose own identity differs from the
//! base's (prompt text, sampling settings, arguments, filter, inputs), each
//! with what differs; the steps only one side has; and the steps that differ
//! only because something upstream does. `regen diff` prints it and a test
//! holds every shipped ablation to a golden list, so an accidental difference
//! (a hint step redefined without its temperature) fails the suite.

use super::identity;
use crate::workflow::{NodeId, Workflow};
use serde_json::{Map, Value};

/// One changed step and what changed in it, one line per difference.
#[derive(Debug, Clone, serde::Serialize)]
pub struct StepChange {
    pub step: String,
    pub what: Vec<String>,
}

#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct WorkflowDiff {
    pub only_in_base: Vec<String>,
    pub only_in_variant: Vec<String>,
    /// Steps in both whose own description differs.
    pub changed: Vec<StepChange>,
    /// Steps in both, described the same, whose upstream differs.
    pub downstream: Vec<String>,
}

impl WorkflowDiff {
    /// The steps a variant differs in by itself: changed, added and removed.
    pub fn own_steps(&self) -> Vec<String> {
        let mut out: Vec<String> = self
            .changed
            .iter()
            .map(|c| format!("~{}", c.step))
            .collect();
        out.extend(self.only_in_variant.iter().map(|s| format!("+{s}")));
        out.extend(self.only_in_base.iter().map(|s| format!("-{s}")));
        out
    }

    pub fn text(&self) -> String {
        let mut t = String::new();
        let list = |v: &[String]| {
            if v.is_empty() {
                "(none)".to_string()
            } else {
                v.join(", ")
            }
        };
        t.push_str(&format!(
            "only in the base:    {}\n",
            list(&self.only_in_base)
        ));
        t.push_str(&format!(
            "only in the variant: {}\n",
            list(&self.only_in_variant)
        ));
        if self.changed.is_empty() {
            t.push_str("changed: (none)\n");
        } else {
            t.push_str("changed:\n");
            for c in &self.changed {
                t.push_str(&format!("  {}\n", c.step));
                for w in &c.what {
                    t.push_str(&format!("    {w}\n"));
                }
            }
        }
        t.push_str(&format!(
            "downstream of a change (same step, different input): {}\n",
            list(&self.downstream)
        ));
        t
    }
}

pub fn diff(base: &Workflow, variant: &Workflow) -> Option<WorkflowDiff> {
    let (bp, vp) = (super::compile(base)?, super::compile(variant)?);
    let (bids, vids) = (
        identity::identities(base, &bp.order),
        identity::identities(variant, &vp.order),
    );
    let mut d = WorkflowDiff::default();
    for &i in &bp.order {
        let name = &base.nodes[i].name;
        let Some(j) = variant.node(name) else {
            d.only_in_base.push(name.clone());
            continue;
        };
        if bids[i] == vids[j] {
            continue;
        }
        let (a, b) = (own(base, i, &bids), own(variant, j, &vids));
        let mut what = Vec::new();
        compare("", &a, &b, &mut what);
        if what.is_empty() {
            d.downstream.push(name.clone());
        } else {
            d.changed.push(StepChange {
                step: name.clone(),
                what,
            });
        }
    }
    for &j in &vp.order {
        if base.node(&variant.nodes[j].name).is_none() {
            d.only_in_variant.push(variant.nodes[j].name.clone());
        }
    }
    Some(d)
}

/// A step's description with its inputs named, not hashed: what the step
/// itself says, apart from what flows into it.
fn own(wf: &Workflow, i: NodeId, ids: &[String]) -> Value {
    let mut v = identity::describe(wf, i, ids);
    let n = &wf.nodes[i];
    let mut inputs: Vec<&str> = n
        .inputs
        .iter()
        .map(|x| wf.nodes[*x].name.as_str())
        .collect();
    if n.kind.side_input().is_none() {
        inputs.sort();
    }
    v["inputs"] = inputs.into();
    let refs: Map<String, Value> = n
        .refs
        .iter()
        .map(|(k, r)| (k.clone(), Value::String(wf.nodes[*r].name.clone())))
        .collect();
    v["refs"] = Value::Object(refs);
    // A filter as it is written, not as its syntax tree.
    v["filter"] = n
        .filter
        .as_ref()
        .map_or(Value::Null, |f| Value::String(f.describe()));
    v
}

/// Differences between two descriptions, as `path: old → new` lines.
fn compare(path: &str, a: &Value, b: &Value, out: &mut Vec<String>) {
    if a == b {
        return;
    }
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            let mut keys: Vec<&String> = x.keys().chain(y.keys()).collect();
            keys.sort();
            keys.dedup();
            for k in keys {
                let p = if path.is_empty() {
                    k.clone()
                } else {
                    format!("{path}.{k}")
                };
                compare(
                    &p,
                    x.get(k).unwrap_or(&Value::Null),
                    y.get(k).unwrap_or(&Value::Null),
                    out,
                );
            }
        }
        (Value::String(x), Value::String(y))
            if x.chars().count() > 100 || y.chars().count() > 100 =>
        {
            // Long text (a prompt): where it starts to differ, with some context.
            let at = x
                .char_indices()
                .zip(y.chars())
                .find(|((_, c), d)| c != d)
                .map_or(x.len().min(y.len()), |((i, _), _)| i);
            let from = x[..at].char_indices().rev().nth(30).map_or(0, |(i, _)| i);
            let window = |s: &str| {
                let s = &s[from.min(s.len())..];
                let cut: String = s.chars().take(90).collect();
                format!(
                    "{}{cut:?}{}",
                    if from > 0 { "…" } else { "" },
                    if s.chars().count() > 90 { "…" } else { "" }
                )
            };
            out.push(format!("{path}: {} → {}", window(x), window(y)));
        }
        _ => out.push(format!("{path}: {} → {}", shown(a), shown(b))),
    }
}

/// A value on one line, long text cut (a prompt's whole text would drown the diff).
fn shown(v: &Value) -> String {
    let s = match v {
        Value::Null => "(unset)".to_string(),
        Value::String(s) => format!("{s:?}"),
        other => other.to_string(),
    };
    match s.char_indices().nth(100) {
        Some((cut, _)) => format!("{}…", &s[..cut]),
        None => s,
    }
}
