//! `regen diff BASE VARIANT`: the steps a variant changes, and what in each.

use crate::plan;
use clap::Args;
use std::path::PathBuf;

#[derive(Args)]
pub struct DiffArgs {
    /// The base workflow (a file, or `@name` for a shipped one).
    #[arg(value_parser = super::workflow_arg)]
    pub base: PathBuf,
    /// The variant (a file, or `@ablations/no-hint`).
    #[arg(value_parser = super::workflow_arg)]
    pub variant: PathBuf,
    #[arg(long = "set", value_parser = super::parse_set)]
    pub sets: Vec<(String, String)>,
    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
}

pub fn run(a: DiffArgs) -> i32 {
    let base = match super::checked_or_exit(&a.base, &a.sets) {
        Ok(c) => c.workflow,
        Err(code) => return code,
    };
    let variant = match super::checked_or_exit(&a.variant, &a.sets) {
        Ok(c) => c.workflow,
        Err(code) => return code,
    };
    let Some(d) = plan::diff::diff(&base, &variant) else {
        eprintln!("error: a workflow has a cycle");
        return 1;
    };
    if a.json {
        match serde_json::to_string_pretty(&d) {
            Ok(s) => println!("{s}"),
            Err(e) => {
                eprintln!("error: {e}");
                return 2;
            }
        }
    } else {
        println!("{} → {}", base.name, variant.name);
        print!("{}", d.text());
    }
    0
}
