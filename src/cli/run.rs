//! `regen run FILE`.

use crate::run::{self, store::Store, RunOptions};
use clap::Args;
use std::path::PathBuf;

/// What every command that runs workflows takes: params, a row limit, the store.
#[derive(Args)]
pub struct RunInputs {
    /// Override a param: `--set name=value` (repeatable).
    #[arg(long = "set", value_parser = super::parse_set)]
    pub sets: Vec<(String, String)>,
    /// Only the first N records of each source.
    #[arg(long)]
    pub limit: Option<u64>,
    /// The SQLite run store and call cache (shared by runs, ablations and evaluations).
    #[arg(long, default_value = super::DEFAULT_STORE)]
    pub store: PathBuf,
}

#[derive(Args)]
pub struct RunArgs {
    /// A workflow file, or `@name` for a shipped one (`regen workflows` lists them).
    #[arg(value_parser = super::workflow_arg)]
    pub file: PathBuf,
    #[command(flatten)]
    pub inputs: RunInputs,
    /// Where sinks write (default: runs/<workflow>).
    #[arg(long)]
    pub run_dir: Option<PathBuf>,
    /// Re-ask this step and everything downstream of it (repeatable).
    #[arg(long)]
    pub refresh: Vec<String>,
    /// Run stage by stage (every step waits for all of its input), as the
    /// paper's scripts do; for comparison with streaming, e.g. in benchmarks.
    #[arg(long)]
    pub barrier: bool,
    #[command(flatten)]
    pub budget: BudgetArgs,
    /// Seconds calls in flight may finish after Ctrl-C or a budget stop.
    #[arg(long, default_value_t = run::DEFAULT_GRACE_S)]
    pub grace: u64,
    /// Log details (tracing).
    #[arg(short, long)]
    pub verbose: bool,
    /// Progress display: bars on a terminal, one line every few seconds otherwise (auto), or none.
    #[arg(long, value_enum, default_value = "auto")]
    pub progress: run::report::progress::ProgressMode,
    /// Also write the run report (HTML) to <run dir>/report.html.
    #[arg(long)]
    pub report: bool,
    /// Seconds between progress lines.
    #[arg(long, default_value_t = 10.0, value_parser = super::positive_seconds)]
    pub progress_every: f64,
    #[command(flatten)]
    pub sharding: super::shard::ShardArgs,
    /// Send every model's uncached calls through the OpenAI Batch API (half
    /// price; stage by stage; a killed run polls its batches again).
    #[arg(long)]
    pub batch: bool,
}

/// A run's budget: `regen run` stops at it, `regen plan` warns about it.
#[derive(Args)]
pub struct BudgetArgs {
    /// Stop starting calls after this many HTTP requests (resumable).
    #[arg(long)]
    pub max_calls: Option<u64>,
    /// Stop starting calls once this many prompt + completion tokens are spent.
    #[arg(long)]
    pub max_tokens: Option<u64>,
    /// Stop once this much is spent, from the models' price_prompt/price_completion.
    #[arg(long)]
    pub max_cost: Option<f64>,
}

pub fn run(a: RunArgs) -> i32 {
    let checked = match super::checked_or_exit(&a.file, &a.inputs.sets) {
        Ok(c) => c,
        Err(code) => return code,
    };
    // What the checker knows before a run (a filter nothing can pass) is said
    // before money is spent, one line each (`regen lint` shows the source).
    for d in checked.diagnostics.iter().filter(|d| !d.is_error()) {
        let (line, col) = checked.sources.line_col(d.file, d.span.start);
        eprintln!(
            "warning[{}]: {} ({}:{line}:{col})",
            d.code,
            d.message,
            checked.sources.path(d.file).display()
        );
    }
    let wf = checked.workflow;
    let shard = match super::shard::resolve(&a.sharding) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: {e}");
            return 2;
        }
    };
    let mut run_dir = a
        .run_dir
        .unwrap_or_else(|| PathBuf::from("runs").join(&wf.name));
    let mut store = a.inputs.store;
    let sinks = super::shard::sinks(&wf);
    if let Some((s, from)) = shard {
        // Each shard has its own folder and, unless told otherwise, its own store
        // (one SQLite file is not shared across machines); `regen merge` joins them.
        run_dir = run_dir.join(s.folder());
        if store == std::path::Path::new(super::DEFAULT_STORE) {
            store = run_dir.join("store.sqlite");
        }
        eprintln!(
            "regen: shard {} of {} (from {from}) → {}",
            s.index,
            s.count,
            run_dir.display()
        );
        if let Err(e) = std::fs::remove_file(run_dir.join(super::shard::MARKER)).or_else(|e| {
            if e.kind() == std::io::ErrorKind::NotFound {
                Ok(())
            } else {
                Err(e)
            }
        }) {
            eprintln!(
                "error: cannot clear the old completion marker in {}: {e}",
                run_dir.display()
            );
            return 2;
        }
    }
    let opts = RunOptions {
        shard: shard.map(|s| s.0),
        batch: a.batch,
        refresh: a.refresh,
        barrier: a.barrier,
        budget: run::exec::halt::Budget {
            max_calls: a.budget.max_calls,
            max_tokens: a.budget.max_tokens,
            max_cost: a.budget.max_cost,
        },
        grace: std::time::Duration::from_secs(a.grace),
        progress: a.progress,
        progress_every: std::time::Duration::from_secs_f64(a.progress_every),
        ..RunOptions::new(a.file.clone(), run_dir, store, a.inputs.limit)
    };
    let rt = match super::runtime() {
        Ok(rt) => rt,
        Err(code) => return code,
    };
    match rt.block_on(run::run(wf, &opts)) {
        Ok(report) => {
            eprintln!();
            // Everything a run prints passes the redaction, as the log does.
            print!("{}", crate::secrets::redact(&report.text));
            if a.report {
                let path = opts.run_dir.join("report.html");
                let written = match Store::open(&opts.store) {
                    Ok(store) => super::show::write_report(
                        &store,
                        report.run_id,
                        &report.workflow,
                        &report.status,
                        Some(&report.summary),
                        &path,
                    ),
                    Err(e) => {
                        eprintln!(
                            "error: cannot open {} for the report: {e}",
                            opts.store.display()
                        );
                        2
                    }
                };
                if written != 0 {
                    return written;
                }
            }
            if let Some(why) = &report.halted {
                if matches!(why, run::exec::halt::StopReason::Endpoint { .. }) {
                    say_stop("", why);
                }
                let shown = crate::secrets::redact(&why.to_string()).into_owned();
                println!(
                    "stopped early ({shown}); finished calls are cached. Resume with:\n  {}",
                    resume_command(why)
                );
                return why.exit_code();
            }
            if report.failures > 0 {
                return 1;
            }
            if let Some((s, _)) = shard {
                if let Err(e) = super::shard::write_marker(
                    &opts.run_dir,
                    s,
                    &report.workflow,
                    report.run_id,
                    &opts.store,
                    sinks,
                ) {
                    eprintln!(
                        "error: cannot write the shard's completion marker in {}: {e}",
                        opts.run_dir.display()
                    );
                    return 2;
                }
            }
            0
        }
        Err(msg) => {
            eprintln!("error: {}", crate::secrets::redact(&msg.to_string()));
            2
        }
    }
}

/// Say on stderr why a run stopped (redacted, with the endpoint's advice when
/// it has one); the exit code that goes with it. `context` leads the line
/// (`"data.jsonl: the evaluation stopped: "`), or is empty.
pub(super) fn say_stop(context: &str, why: &run::exec::halt::StopReason) -> i32 {
    eprintln!(
        "error: {context}{}",
        crate::secrets::redact(&why.to_string())
    );
    if let run::exec::halt::StopReason::Endpoint { advice, .. } = why {
        eprintln!("  help: {advice}");
    }
    why.exit_code()
}

/// The command line that resumes this run (the same one, without a spent budget).
fn resume_command(why: &run::exec::halt::StopReason) -> String {
    let mut args: Vec<String> = std::env::args().collect();
    if why.is_budget() {
        let mut kept = Vec::new();
        let mut skip = false;
        for a in args {
            if skip {
                skip = false;
                continue;
            }
            if ["--max-calls", "--max-tokens", "--max-cost"].contains(&a.as_str()) {
                skip = true;
                continue;
            }
            if ["--max-calls=", "--max-tokens=", "--max-cost="]
                .iter()
                .any(|p| a.starts_with(p))
            {
                continue;
            }
            kept.push(a);
        }
        args = kept;
    }
    args.iter()
        .map(|a| shell_quote(a))
        .collect::<Vec<_>>()
        .join(" ")
}

fn shell_quote(s: &str) -> String {
    if !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./=:,+@%".contains(c))
    {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', "'\\''"))
    }
}
