//! Sharded runs: which shard this process is (`--shard K/N`, or the
//! scheduler's environment), and the marker a finished shard leaves for
//! `regen merge`.

use crate::run::exec::shard::Shard;
use crate::workflow::Workflow;
use clap::Args;
use serde_json::{json, Value};
use std::path::Path;

/// The file a shard writes when it finished with no failure.
pub const MARKER: &str = "COMPLETE.json";

#[derive(Args, Default)]
pub struct ShardArgs {
    /// Run shard K of N: the source rows whose id hashes to K. With --shards N,
    /// K comes from SLURM_ARRAY_TASK_ID or JOB_COMPLETION_INDEX.
    #[arg(long, value_name = "K/N")]
    pub shard: Option<String>,
    /// The shard count when the index comes from the scheduler (a Slurm array task's
    /// SLURM_ARRAY_TASK_ID, numbered from 0, or a Kubernetes Indexed Job's JOB_COMPLETION_INDEX).
    #[arg(long, value_name = "N")]
    pub shards: Option<u64>,
}

/// This process's shard, if it is one, and where that came from.
pub fn resolve(a: &ShardArgs) -> Result<Option<(Shard, &'static str)>, String> {
    let env = |k: &str| std::env::var(k).ok().filter(|v| !v.trim().is_empty());
    let num = |k: &str, v: String| {
        v.trim()
            .parse::<u64>()
            .map_err(|_| format!("{k}={v} is not a number"))
    };
    if a.shard.is_some() && a.shards.is_some() {
        return Err("give --shard K/N or --shards N, not both".into());
    }
    if a.shards == Some(0) {
        return Err("--shards must be at least 1".into());
    }
    if let Some(s) = &a.shard {
        return Ok(Some((
            Shard::parse(s).map_err(|e| e.to_string())?,
            "--shard",
        )));
    }
    let slurm_id = env("SLURM_ARRAY_TASK_ID");
    if let Some(n) = a.shards {
        if let Some(k) = env("JOB_COMPLETION_INDEX") {
            return Ok(Some((
                Shard::new(num("JOB_COMPLETION_INDEX", k)?, n).map_err(|e| e.to_string())?,
                "JOB_COMPLETION_INDEX",
            )));
        }
        // A Slurm array numbered 0..N-1; the count is N, never the array's own
        // (a resubmitted task `--array=K` is an array of one).
        if let Some(id) = slurm_id {
            let k = num("SLURM_ARRAY_TASK_ID", id)?;
            if k >= n {
                return Err(format!(
                    "SLURM_ARRAY_TASK_ID={k} is not below --shards {n}: number the array from 0 (`--array=0-{}`), and resubmit a task with its own index (`--array=K`)",
                    n.saturating_sub(1)
                ));
            }
            return Ok(Some((
                Shard::new(k, n).map_err(|e| e.to_string())?,
                "SLURM_ARRAY_TASK_ID",
            )));
        }
        return Err(
            "--shards N needs the shard index: give --shard K/N, or run as a Kubernetes Indexed Job (JOB_COMPLETION_INDEX) or a Slurm array task (SLURM_ARRAY_TASK_ID)"
                .into(),
        );
    }
    if let Some(id) = slurm_id {
        // The array's count cannot be trusted: resubmitting task K alone makes
        // SLURM_ARRAY_TASK_COUNT 1, and the run would quietly be "shard 0 of 1".
        return Err(format!(
            "this is Slurm array task {id}, but the shard count is not given: pass --shards N (the array's own count changes when a task is resubmitted)\n  help: deploy/slurm/regen-shards.sbatch takes it as its first argument"
        ));
    }
    Ok(None)
}

/// The sinks as a merge needs them: path under the run folder, and the shuffle seed if shuffled.
pub fn sinks(wf: &Workflow) -> Vec<Value> {
    wf.nodes
        .iter()
        .filter_map(|n| n.settings.get::<crate::steps::SinkSettings>())
        .map(|s| json!({"path": s.path, "shuffle_seed": s.shuffle_seed}))
        .collect()
}

/// Written last, after every sink is in place: a merge trusts only marked shards.
pub fn write_marker(
    run_dir: &Path,
    shard: Shard,
    workflow: &str,
    run_id: i64,
    store: &Path,
    sinks: Vec<Value>,
) -> std::io::Result<()> {
    // The store relative to the shard folder when it is inside it: the run
    // folder may move, or be mounted elsewhere, before the merge.
    let real_store = std::fs::canonicalize(store).unwrap_or_else(|_| store.to_path_buf());
    let named = std::fs::canonicalize(run_dir)
        .ok()
        .and_then(|d| real_store.strip_prefix(d).ok().map(Path::to_path_buf))
        .unwrap_or(real_store);
    let marker = json!({
        "workflow": workflow, "shard": shard.index, "shards": shard.count, "run": run_id,
        "store": named, "sinks": sinks,
    });
    let tmp = run_dir.join(format!("{MARKER}.partial"));
    std::fs::write(&tmp, format!("{marker:#}\n"))?;
    std::fs::rename(tmp, run_dir.join(MARKER))
}
