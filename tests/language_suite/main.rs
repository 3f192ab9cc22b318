//! Checker, language and tooling: grammar and diagnostics, lint formats, the LSP and a real editor, `regen new`, architecture rules, `regen diff` over the shipped ablations, and the authors' filter rules case by case.
//! One test binary per area: the suite links a few times, not once per file.

#[path = "../common/mod.rs"]
mod common;

mod ablation_diff;
mod architecture;
mod authors_rules;
mod diagnostics;
mod editor;
mod json_schema_suite;
mod language;
mod lint_formats;
mod lsp;
mod new_project;
