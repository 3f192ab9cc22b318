//! `regen fmt FILE... [--check]`.

use super::render;
use crate::diagnostic::SourceMap;
use crate::syntax::{format::format, parse};
use clap::Args;
use std::path::PathBuf;

#[derive(Args)]
pub struct FmtArgs {
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
    /// Report files that would change; write nothing. Exit 1 if any would.
    #[arg(long)]
    pub check: bool,
}

pub fn run(a: FmtArgs) -> i32 {
    let mut code = 0;
    for f in &a.files {
        let mut sources = SourceMap::default();
        let mut diags = Vec::new();
        let id = match crate::check::load::read_source(f, &mut sources, &mut diags) {
            Ok(id) => id,
            Err(e) => {
                eprintln!("error: cannot read {}: {e}", f.display());
                return 2;
            }
        };
        let parsed = parse(sources.text(id), id);
        diags.extend(parsed.diagnostics);
        if !diags.is_empty() {
            for d in &diags {
                eprint!("{}", render::human(d, &sources, super::color()));
            }
            eprintln!(
                "{}: not formatted, fix the syntax errors first",
                f.display()
            );
            code = 1;
            continue;
        }
        let out = format(&parsed.file, sources.text(id));
        if out == sources.text(id) {
            continue;
        }
        if a.check {
            println!("would reformat {}", f.display());
            code = 1;
        } else if let Err(e) = std::fs::write(f, &out) {
            eprintln!("error: cannot write {}: {e}", f.display());
            return 2;
        }
    }
    code
}
