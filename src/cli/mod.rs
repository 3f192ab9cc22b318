//! Command line: parse flags, call the stages, render results. Thin by design.

mod ablate;
mod ablate_report;
mod ablate_row;
mod batch;
mod data;
mod diff;
mod doctor;
mod doctor_functions;
mod doctor_shapes;
mod eval;
mod explain;
mod finetune;
mod fmt;
mod graph;
mod html;
mod lint;
mod lint_formats;
mod log;
mod merge;
mod new;
mod plan;
pub mod render;
mod run;
mod run_report;
mod shard;
mod show;

use crate::check::{self, Checked, Options};
use clap::{Parser, Subcommand, ValueEnum};
use std::io::IsTerminal;
use std::path::{Path, PathBuf};

#[derive(Parser)]
#[command(
    name = "regen",
    version,
    about = "A checked workflow language and streaming interpreter for LLM data synthesis (ReGenesis and friends)"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
    /// Let workflows read files outside their project tree, the stdlib and the
    /// paths given on the command line (and sinks write outside the run folder).
    #[arg(long, global = true)]
    pub allow_outside: bool,
}

static ALLOW_OUTSIDE: std::sync::OnceLock<bool> = std::sync::OnceLock::new();

pub fn allow_outside() -> bool {
    ALLOW_OUTSIDE.get().copied().unwrap_or(false)
}

#[derive(Subcommand)]
pub enum Command {
    /// Check workflow files (or folders of them) and report every problem.
    Lint(lint::LintArgs),
    /// Print the compiled DAG as Graphviz DOT or Mermaid.
    Graph(graph::GraphArgs),
    /// Estimate calls and tokens per step before paying for them.
    Plan(plan::PlanArgs),
    /// Rewrite workflow files in the canonical layout (comments kept).
    Fmt(fmt::FmtArgs),
    /// Start a project: a workflow (ReGenesis, STaR or plain chain of thought), its prompts and a tiny dataset.
    New(new::NewArgs),
    /// A language server over stdio, for editors: diagnostics as you type, hover, go to definition, completion, formatting, rename.
    Lsp,
    /// Batch input for a GPU box with no API: `regen batch export F --step S --out FILE`, then `regen batch import OUT…`.
    Batch {
        #[command(subcommand)]
        command: batch::BatchCommand,
    },
    /// Join the shards of a sharded run (`regen run --shard K/N`) into the files an unsharded run writes.
    Merge(merge::MergeArgs),
    /// The run store: `regen store merge A.sqlite B.sqlite --into S.sqlite` joins caches.
    Store {
        #[command(subcommand)]
        command: merge::StoreCommand,
    },
    /// Run a workflow against its endpoints, streaming, cached and resumable.
    Run(run::RunArgs),
    /// List the runs in the run store.
    Runs(show::StoreArgs),
    /// Show one run: summary and every failure with its reason.
    Show(show::ShowArgs),
    /// Run a workflow and its variants on one shared cache and compare them.
    Ablate(ablate::AblateArgs),
    /// The steps a variant changes against its base, and what changes in each (prompt, sampling, arguments, inputs).
    Diff(diff::DiffArgs),
    /// Accuracy of a model on labelled files (greedy or self-consistency).
    Eval(eval::EvalArgs),
    /// Check a chat training file, upload it and start a fine-tuning job.
    Finetune(finetune::FinetuneArgs),
    /// Generate example datasets (arithmetic word problems with answers).
    Data(data::DataArgs),
    /// Check the machine and the models of the given workflows: toolchain, cache, endpoints, keys.
    Doctor(doctor::DoctorArgs),
    /// Explain a diagnostic code: what it means, an example and the fix (`--all` lists every code).
    Explain(explain::ExplainArgs),
    /// List the shipped workflows (ReGenesis, its ablations, the baselines), each usable as `@name` wherever a workflow file goes.
    Workflows,
}

#[derive(Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum OutputFormat {
    Human,
    Json,
}

/// Where runs, ablations and evaluations keep their store unless told otherwise.
pub const DEFAULT_STORE: &str = ".regen/store.sqlite";

/// `--set name=value`
pub fn parse_set(s: &str) -> Result<(String, String), String> {
    let (k, v) = s
        .split_once('=')
        .ok_or_else(|| format!("`{s}` is not name=value"))?;
    if k.trim().is_empty() {
        return Err(format!("`{s}` has no param name before `=`"));
    }
    Ok((k.trim().to_string(), v.to_string()))
}

pub fn main() -> i32 {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() { 2 } else { 0 };
        }
    };
    let _ = ALLOW_OUTSIDE.set(cli.allow_outside);
    log::init(matches!(&cli.command, Command::Run(a) if a.verbose));
    match cli.command {
        Command::Lint(a) => lint::run(a),
        Command::Explain(a) => explain::run(a),
        Command::Workflows => list_workflows(),
        Command::Diff(a) => diff::run(a),
        Command::Doctor(a) => doctor::run(a),
        Command::Graph(a) => graph::run(a),
        Command::Plan(a) => plan::run(a),
        Command::Fmt(a) => fmt::run(a),
        Command::New(a) => new::run(a),
        Command::Merge(a) => merge::merge(a),
        Command::Batch { command } => batch::run(command),
        Command::Store { command } => merge::store(command),
        Command::Lsp => match crate::lsp::serve() {
            Ok(()) => 0,
            Err(e) => {
                eprintln!("error: regen lsp: {e}");
                1
            }
        },
        Command::Data(a) => data::run(a),
        Command::Run(a) => run::run(a),
        Command::Runs(a) => show::runs(a),
        Command::Show(a) => show::show(a),
        Command::Ablate(a) => ablate::run(a),
        Command::Eval(a) => eval::run(a),
        Command::Finetune(a) => finetune::run(a),
    }
}

/// The tokio runtime for a command that runs workflows; Err is the exit code.
///
/// One thread by default: a run is waiting on the network almost all the
/// time, and on two cores shared with a model server the multi-threaded
/// scheduler spent its time handing tasks and wake-ups between workers (P1,
/// 20k calls at C = 256: 1.76 s of CPU on the default runtime, 1.42 s on this
/// one; `bench/PROFILE.md`, round five). The store's writer and the Parquet
/// reader keep their own threads, and blocking work goes to tokio's blocking
/// pool. `REGEN_THREADS=N` (N > 1) runs on N worker threads instead, for a
/// machine where regen's own CPU is what a run waits for (very fast servers
/// at very high concurrency).
pub fn runtime() -> Result<tokio::runtime::Runtime, i32> {
    let threads = match std::env::var("REGEN_THREADS") {
        Err(std::env::VarError::NotPresent) => 1,
        Ok(v) => match v.trim().parse::<usize>() {
            Ok(n) if n >= 1 => n,
            _ => return Err(bad_threads(&v)),
        },
        Err(std::env::VarError::NotUnicode(v)) => return Err(bad_threads(&v.to_string_lossy())),
    };
    let built = if threads == 1 {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
    } else {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(threads)
            .enable_all()
            .build()
    };
    built.map_err(|e| {
        eprintln!("error: cannot start the runtime: {e}");
        2
    })
}

fn bad_threads(value: &str) -> i32 {
    eprintln!("error: REGEN_THREADS={value:?} is not a number of threads\n  help: give a whole number, 1 or more (1, the default, runs on one thread), or unset it");
    2
}

pub fn color() -> bool {
    std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none()
}

/// Check one file for a command that needs a valid workflow: print its
/// diagnostics; None (with the exit code) when it has errors.
pub fn checked_or_exit(file: &Path, sets: &[(String, String)]) -> Result<Checked, i32> {
    let opts = Options {
        sets: sets.to_vec(),
        stdlib: check::find_stdlib(file),
        allow_outside: allow_outside(),
    };
    let checked = match check::check_file(file, &opts, check::CALL_THRESHOLD) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("error: cannot read {}: {e}", file.display());
            return Err(2);
        }
    };
    for d in checked.diagnostics.iter().filter(|d| d.is_error()) {
        eprint!("{}", render::human(d, &checked.sources, color()));
    }
    if checked.has_errors() {
        eprintln!(
            "{}: {}",
            file.display(),
            render::summary(&checked.diagnostics)
        );
        return Err(1);
    }
    Ok(checked)
}

/// A workflow file argument: a path, or `@name` for a shipped workflow
/// (`regen run @regenesis` works from any folder; `regen workflows` lists them).
pub fn workflow_arg(s: &str) -> Result<PathBuf, String> {
    match s.strip_prefix('@') {
        Some(name) => crate::shipped::workflow(name).map_err(|e| e.to_string()),
        None => Ok(PathBuf::from(s)),
    }
}

/// `regen workflows`: the shipped workflows, by the name `@name` takes.
fn list_workflows() -> i32 {
    for name in crate::shipped::names() {
        println!("@{name:<36} {}", crate::shipped::summary(&name));
    }
    println!("\nrun one with `regen run @regenesis`, check one with `regen lint @ablations/no-hint`; `regen new` copies one into a project to edit");
    0
}

pub fn stdlib_for(file: &Path) -> PathBuf {
    check::find_stdlib(file)
}

/// A positive number of seconds (`--progress-every 0.5`).
pub fn positive_seconds(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(x) if x > 0.0 && x.is_finite() && x < 86_400.0 => Ok(x),
        _ => Err(format!(
            "`{s}` is not a number of seconds between 0 and 86400"
        )),
    }
}
