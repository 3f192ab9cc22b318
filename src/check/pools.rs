//! Guideline pools: a stdlib name or a `.yaml` path, `guidelines: [{id, title,
//! text}]`, refused before it is read when it lies outside the sandbox.

use crate::diagnostic::{Diagnostic, FileId};
use crate::workflow::{NodeId, Workflow};

pub fn load_pool(wf: &mut Workflow, id: NodeId, file: FileId, diags: &mut Vec<Diagnostic>) {
    let Some(loc) = wf.nodes[id].str_arg("location").map(str::to_string) else {
        return;
    };
    let span = wf.nodes[id].arg_span("location");
    let path = wf.pool_path(&loc);
    // Refused before it is read.
    if let Some(d) = super::sandbox::refuse(&wf.sandbox, &wf.nodes[id], &path) {
        diags.push(d);
        return;
    }
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) => {
            let known = known_pools(&wf.stdlib.join("guidelines"));
            diags.push(Diagnostic::error("unknown-pool", file, span, format!("cannot read guideline pool `{loc}`: {e}")).with_help(
                format!(
                    "a stdlib name (available: {}) or a .yaml path relative to the workflow's folder",
                    if known.is_empty() { "none found".to_string() } else { known.join(", ") }
                ),
            ));
            return;
        }
    };
    #[derive(serde::Deserialize)]
    struct Pool {
        guidelines: Vec<Entry>,
    }
    #[derive(serde::Deserialize, serde::Serialize)]
    struct Entry {
        id: String,
        title: String,
        text: String,
    }
    match serde_yaml::from_str::<Pool>(&text) {
        Ok(p) if !p.guidelines.is_empty() => {
            let take = wf.nodes[id]
                .int_arg("take")
                .map_or(usize::MAX, |t| t.max(0) as usize);
            wf.nodes[id].pool_items = p
                .guidelines
                .into_iter()
                .take(take)
                .filter_map(|g| serde_json::to_value(g).ok())
                .collect();
        }
        Ok(_) => diags.push(Diagnostic::error(
            "invalid-pool",
            file,
            span,
            format!("guideline pool `{loc}` is empty"),
        )),
        Err(e) => diags.push(
            Diagnostic::error(
                "invalid-pool",
                file,
                span,
                format!("guideline pool `{loc}` is not valid: {e}"),
            )
            .with_help("expected `guidelines:` with a list of {id, title, text}"),
        ),
    }
}

/// Stdlib pool names, for the help line of an unknown one.
fn known_pools(dir: &std::path::Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| {
            e.file_name()
                .to_str()?
                .strip_suffix(".yaml")
                .map(str::to_string)
        })
        .collect();
    names.sort();
    names
}
