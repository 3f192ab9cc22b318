//! `regen data arith --count N --seed S`: the stdlib's arithmetic word problems as JSONL.

use clap::{Args, Subcommand};
use std::path::PathBuf;

#[derive(Args)]
pub struct DataArgs {
    #[command(subcommand)]
    pub what: DataKind,
}

#[derive(Subcommand)]
pub enum DataKind {
    /// Arithmetic word problems with answers ({id, question, answer}).
    Arith {
        #[arg(long, default_value_t = 100)]
        count: usize,
        #[arg(long, default_value_t = 7)]
        seed: u64,
        /// Write here instead of standard output.
        #[arg(long, short)]
        out: Option<PathBuf>,
    },
}

pub fn run(a: DataArgs) -> i32 {
    match a.what {
        DataKind::Arith { count, seed, out } => {
            let text = crate::arith::to_jsonl(&crate::arith::generate(count, seed));
            match out {
                Some(p) => match std::fs::write(&p, text) {
                    Ok(()) => 0,
                    Err(e) => {
                        eprintln!("error: cannot write {}: {e}", p.display());
                        2
                    }
                },
                None => {
                    print!("{text}");
                    0
                }
            }
        }
    }
}
