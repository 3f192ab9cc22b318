//! Model declarations: known settings, their types and ranges.

use super::exprs::{constant, Scope};
use crate::diagnostic::{did_you_mean, Diagnostic};
use crate::syntax::ast::Prop;
use serde_json::{Map, Value};

pub use crate::model_settings::SETTINGS;
pub use crate::workflow::SEMANTIC;

pub fn settings(
    props: &[Prop],
    params: &std::collections::HashMap<String, Value>,
    diags: &mut Vec<Diagnostic>,
) -> Map<String, Value> {
    let mut out = Map::new();
    for p in props {
        let scope = Scope {
            params,
            file: p.file,
            fields_allowed: false,
        };
        let Some(spec) = SETTINGS.iter().find(|s| s.name == p.name.text) else {
            let mut d = Diagnostic::error(
                "unknown-setting",
                p.file,
                p.name.span,
                format!("models have no setting `{}`", p.name.text),
            );
            d.help = Some(did_you_mean(&p.name.text, SETTINGS.iter().map(|s| s.name)).unwrap_or_else(|| {
                if p.name.text.contains("key") {
                    "name the variable that holds the key with `api_key_env = \"OPENAI_API_KEY\"`".into()
                } else {
                    format!("settings: {}", SETTINGS.iter().map(|s| s.name).collect::<Vec<_>>().join(", "))
                }
            }));
            diags.push(d);
            continue;
        };
        let Some(v) = constant(&p.value, &scope, diags) else {
            continue;
        };
        match super::value::check(&p.name.text, spec.ty, v) {
            Ok(v) => {
                out.insert(p.name.text.clone(), v);
            }
            Err(r) => {
                let help = r.help.unwrap_or_else(|| spec.doc.to_string());
                diags.push(
                    Diagnostic::error(r.code, p.file, p.value.span, r.message).with_help(help),
                );
            }
        }
    }
    if out.contains_key("endpoint") && out.contains_key("endpoints") {
        if let Some(p) = props.iter().find(|p| p.name.text == "endpoints") {
            diags.push(
                Diagnostic::error(
                    "conflicting-settings",
                    p.file,
                    p.name.span,
                    "the model sets both `endpoint` and `endpoints`",
                )
                .with_help(
                    "keep `endpoints` for replicas (a list of one is fine) and remove `endpoint`",
                ),
            );
        }
    }
    out
}
