//! `regen explain CODE`: the catalogue entry of a diagnostic code, in the manner
//! of `rustc --explain` and `ruff rule`.

use crate::catalogue::{find, CATALOGUE};
use clap::Args;

#[derive(Args)]
pub struct ExplainArgs {
    /// A code as `regen lint` prints it (`unknown-field` or `regen::unknown-field`).
    pub code: Option<String>,
    /// List every code with its summary.
    #[arg(long)]
    pub all: bool,
    /// Print the reference table of step kinds and their arguments (Markdown).
    #[arg(long)]
    pub kinds: bool,
}

pub fn run(a: ExplainArgs) -> i32 {
    if a.kinds {
        print!("{}", crate::steps::reference_table());
        return 0;
    }
    match (a.code.as_deref(), a.all) {
        (_, true) | (None, false) => {
            for e in CATALOGUE {
                println!("{:<22} {:<8} {}", e.code, e.severity, e.summary);
            }
            0
        }
        (Some(code), false) => match find(code) {
            Some(e) => {
                print!("{}", e.text());
                0
            }
            None => {
                let known = CATALOGUE.iter().map(|e| e.code);
                let hint = crate::diagnostic::did_you_mean(code, known)
                    .unwrap_or_else(|| "`regen explain --all` lists them".into());
                eprintln!("error: no diagnostic code `{code}`; {hint}");
                2
            }
        },
    }
}
