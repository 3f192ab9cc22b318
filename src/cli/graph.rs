//! `regen graph FILE --format dot|mermaid`.

use crate::plan;
use clap::{Args, ValueEnum};
use std::path::PathBuf;

#[derive(Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum GraphFormat {
    Dot,
    Mermaid,
}

#[derive(Args)]
pub struct GraphArgs {
    /// A workflow file, or `@name` for a shipped one (`regen workflows` lists them).
    #[arg(value_parser = super::workflow_arg)]
    pub file: PathBuf,
    #[arg(long, value_enum, default_value = "dot")]
    pub format: GraphFormat,
    #[arg(long = "set", value_parser = super::parse_set)]
    pub sets: Vec<(String, String)>,
}

pub fn run(a: GraphArgs) -> i32 {
    let checked = match super::checked_or_exit(&a.file, &a.sets) {
        Ok(c) => c,
        Err(code) => return code,
    };
    let Some(p) = plan::compile(&checked.workflow) else {
        return 1;
    };
    print!(
        "{}",
        match a.format {
            GraphFormat::Dot => plan::export::dot(&checked.workflow, &p),
            GraphFormat::Mermaid => plan::export::mermaid(&checked.workflow, &p),
        }
    );
    0
}
