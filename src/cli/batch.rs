//! `regen batch export F --step S --out FILE`: a step's uncached calls as batch
//! input for a GPU box with no API (vLLM's `run-batch` reads it), and
//! `regen batch import OUT.jsonl…`: its output into the cache. The next
//! `regen run` (or the next export) continues from the cache.

use super::run::RunInputs;
use crate::run::{self, store::Store, RunOptions};
use clap::Subcommand;
use std::path::PathBuf;

#[derive(Subcommand)]
pub enum BatchCommand {
    /// Write STEP's uncached calls as batch input (OpenAI format; vLLM `run-batch` reads it). Makes no call:
    /// the steps before it must be in the cache.
    Export {
        /// A workflow file, or `@name` for a shipped one.
        #[arg(value_parser = super::workflow_arg)]
        file: PathBuf,
        #[arg(long)]
        step: String,
        #[arg(long)]
        out: PathBuf,
        #[command(flatten)]
        inputs: RunInputs,
    },
    /// Load batch output (vLLM `run-batch` or OpenAI Batch API format) into the cache.
    Import {
        #[arg(required = true)]
        outputs: Vec<PathBuf>,
        #[arg(long, default_value = super::DEFAULT_STORE)]
        store: PathBuf,
    },
}

pub fn run(cmd: BatchCommand) -> i32 {
    match cmd {
        BatchCommand::Export {
            file,
            step,
            out,
            inputs,
        } => export(file, step, out, inputs),
        BatchCommand::Import { outputs, store } => import(&outputs, &store),
    }
}

fn export(file: PathBuf, step: String, out: PathBuf, inputs: RunInputs) -> i32 {
    let checked = match super::checked_or_exit(&file, &inputs.sets) {
        Ok(c) => c,
        Err(code) => return code,
    };
    let wf = checked.workflow;
    let run_dir = std::env::temp_dir().join(format!("regen-export-{}", std::process::id()));
    // Written under a temporary name: a refused export leaves no empty file,
    // and never replaces a previous export.
    let mut partial = out.clone().into_os_string();
    partial.push(".partial");
    let partial = PathBuf::from(partial);
    let opts = RunOptions {
        export: Some((step.clone(), partial.clone())),
        progress: run::report::progress::ProgressMode::None,
        ..RunOptions::new(file.clone(), run_dir.clone(), inputs.store, inputs.limit)
    };
    let rt = match super::runtime() {
        Ok(rt) => rt,
        Err(code) => return code,
    };
    let result = rt.block_on(run::run(wf, &opts));
    if let Err(e) = std::fs::remove_dir_all(&run_dir) {
        tracing::debug!(
            "the export's scratch folder {} stays: {e}",
            run_dir.display()
        );
    }
    let report = match result {
        Ok(r) => r,
        Err(e) => {
            discard(&partial);
            eprintln!("error: {e}");
            return 2;
        }
    };
    if report.failures > 0 || !partial.is_file() {
        discard(&partial);
        eprintln!(
            "error: nothing exported: {} record(s) failed before `{step}`",
            report.failures
        );
        eprintln!(
            "  help: the steps before it must be answered from the cache; export and import them first (`regen show {}` lists what failed)",
            report.run_id
        );
        return 1;
    }
    if let Err(e) = std::fs::rename(&partial, &out) {
        discard(&partial);
        eprintln!("error: cannot write {}: {e}", out.display());
        return 2;
    }
    let lines = std::fs::read_to_string(&out).map_or(0, |t| t.lines().count());
    println!("wrote {lines} requests of `{step}` to {}", out.display());
    println!("next: run them (e.g. `python -m vllm.entrypoints.openai.run_batch -i {} -o out.jsonl --model …`),", out.display());
    println!("      then `regen batch import out.jsonl` and run or export again");
    0
}

/// An unfinished export file goes: a refusal leaves nothing behind.
fn discard(partial: &std::path::Path) {
    if partial.exists() {
        if let Err(e) = std::fs::remove_file(partial) {
            eprintln!(
                "warning: cannot remove the unfinished export {}: {e}",
                partial.display()
            );
        }
    }
}

fn import(outputs: &[PathBuf], store_path: &std::path::Path) -> i32 {
    let store = match Store::open(store_path) {
        Ok(s) => s,
        Err(e) => {
            eprintln!(
                "error: cannot open the run store {}: {e}",
                store_path.display()
            );
            return 2;
        }
    };
    let rt = match super::runtime() {
        Ok(rt) => rt,
        Err(code) => return code,
    };
    let mut code = 0;
    for f in outputs {
        let text = match std::fs::read_to_string(f) {
            Ok(t) => t,
            Err(e) => {
                eprintln!("error: cannot read {}: {e}", f.display());
                return 2;
            }
        };
        match rt.block_on(run::client::batch::import(&store, &text)) {
            Ok((answered, failed, unknown)) => {
                println!(
                    "{}: {answered} answers into the cache, {failed} failed lines, {unknown} for requests this store did not export",
                    f.display()
                );
                if failed > 0 || unknown > 0 {
                    code = 1;
                }
            }
            Err(e) => {
                eprintln!("error: {}: {e}", f.display());
                return 2;
            }
        }
    }
    code
}
