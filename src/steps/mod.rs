//! Step kinds. Each kind is one file implementing [`StepKind`]; registration is
//! one line of the `kinds!` list below.

pub use crate::syntax::ast::DeclKind;
// What a kind declares lives with the checked workflow (a node holds its kind);
// the kinds themselves live here, one file each.
pub use crate::record::{child, Rec};
pub use crate::step_env::StepEnv;
pub use crate::workflow::{
    arg, into_field, required, sum_inputs, ArgSpec, ArgType, DataFormat, Estimate, Positional,
    Shape, StepKind, StepSettings,
};
pub use crate::workflow::{NodeDef, Workflow};
pub use serde_json::Value;
pub use std::sync::Arc;

/// Declares each kind's file as a module and lists the kind in [`KINDS`] (in
/// the order the docs show them): adding a kind is its file plus one line here.
macro_rules! kinds {
    ($($file:ident :: $kind:ident),* $(,)?) => {
        $(mod $file;)*
        pub static KINDS: &[&dyn StepKind] = &[$(&$file::$kind),*];
    };
}

pub(crate) mod function_settings;
mod sink_settings;
mod source_settings;
pub use function_settings::{program_path, FunctionStep, Program};
pub use python::split_function;
pub use sink_settings::{SinkFormat, SinkSettings};
pub use source_settings::{SourceSettings, DEFAULT_FIELDS};

kinds![
    source_jsonl::SourceJsonl,
    source_parquet::SourceParquet,
    pool_guidelines::Guidelines,
    llm::Llm,
    judge::Judge,
    cross::Cross,
    extract::Extract,
    keep::Keep,
    cap::Cap,
    vote::Vote,
    dedupe::Dedupe,
    missing::Missing,
    union::Union,
    render::Render,
    python::Python,
    command::Command,
    sink_jsonl::SinkJsonl,
    sink_parquet::SinkParquet,
];

pub fn find(decl: DeclKind, name: &str) -> Option<&'static dyn StepKind> {
    KINDS
        .iter()
        .copied()
        .find(|k| k.decl() == decl && k.name() == name)
}

pub fn names_for(decl: DeclKind) -> impl Iterator<Item = &'static str> {
    KINDS
        .iter()
        .filter(move |k| k.decl() == decl)
        .map(|k| k.name())
}

/// The reference table of every kind and its arguments, as GRAMMAR.md shows it
/// (generated from the declarations; a test keeps the document in step).
pub fn reference_table() -> String {
    let mut t =
        String::from("| declaration | kind | role | runs | arguments |\n|---|---|---|---|---|\n");
    for k in KINDS {
        let positional = match k.positional() {
            Positional::Location => "a path or stdlib name".to_string(),
            Positional::Records { min, max } if max == usize::MAX => {
                format!("{min}+ record inputs")
            }
            Positional::Records { min, max } if min == max => format!("{min} record input(s)"),
            Positional::Records { min, max } => format!("{min}–{max} record inputs"),
        };
        let args: Vec<String> = k
            .args()
            .iter()
            .map(|a| {
                format!(
                    "`{}`{}: {}",
                    a.name,
                    if a.required { " (required)" } else { "" },
                    a.doc.replace('|', "\\|")
                )
            })
            .collect();
        t.push_str(&format!(
            "| `{}` | `{}` | {} | {} | {}; {} |\n",
            k.decl().keyword(),
            k.name(),
            k.role(),
            k.shape().describe(),
            positional,
            if args.is_empty() {
                "no named arguments".into()
            } else {
                args.join("<br>")
            }
        ));
    }
    t
}
