//! Sharded runs: which shard this process is (`--shard K/N`, or the
//! scheduler's environment), and the marker a finished shard leaves for
//! `regen merge`.

use crate::run::shard::Shard;
use crate::syntax::ast::DeclKind;
use crate::workflow::Workflow;
use clap::Args;
use serde_json::{json, Value};
use std::path::Path;

/// The file a shard writes when it finished with no failure.
pub const MARKER: &str = "COMPLETE.json";

#[derive(Args, Default)]
pub struct ShardArgs {
    /// Run shard K of N: the source rows whose id hashes to K. Defaults from
    /// SLURM_ARRAY_TASK_ID/SLURM_ARRAY_TASK_COUNT, or JOB_COMPLETION_INDEX with --shards.
    #[arg(long, value_name = "K/N")]
    pub shard: Option<String>,
    /// The shard count when the index comes from a Kubernetes Indexed Job (JOB_COMPLETION_INDEX).
    #[arg(long, value_name = "N")]
    pub shards: Option<u64>,
}

/// This process's shard, if it is one, and where that came from.
pub fn resolve(a: &ShardArgs) -> Result<Option<(Shard, &'static str)>, String> {
    let env = |k: &str| std::env::var(k).ok().filter(|v| !v.trim().is_empty());
    let num = |k: &str, v: String| v.trim().parse::<u64>().map_err(|_| format!("{k}={v} is not a number"));
    if let Some(s) = &a.shard {
        return Ok(Some((Shard::parse(s)?, "--shard")));
    }
    if let Some(n) = a.shards {
        let Some(k) = env("JOB_COMPLETION_INDEX") else {
            return Err(
                "--shards N needs the shard index: give --shard K/N, or run as a Kubernetes Indexed Job (JOB_COMPLETION_INDEX)".into()
            );
        };
        return Ok(Some((Shard::new(num("JOB_COMPLETION_INDEX", k)?, n)?, "JOB_COMPLETION_INDEX")));
    }
    if let (Some(id), Some(count)) = (env("SLURM_ARRAY_TASK_ID"), env("SLURM_ARRAY_TASK_COUNT")) {
        // Array ids need not start at 0 (`--array=1-3`): the index is counted from the lowest.
        let min = env("SLURM_ARRAY_TASK_MIN").map(|m| num("SLURM_ARRAY_TASK_MIN", m)).transpose()?.unwrap_or(0);
        let id = num("SLURM_ARRAY_TASK_ID", id)?;
        let index = id.checked_sub(min).ok_or_else(|| format!("SLURM_ARRAY_TASK_ID={id} is below SLURM_ARRAY_TASK_MIN={min}"))?;
        return Ok(Some((Shard::new(index, num("SLURM_ARRAY_TASK_COUNT", count)?)?, "SLURM_ARRAY_TASK_ID")));
    }
    Ok(None)
}

/// The sinks as a merge needs them: path under the run folder, and the shuffle seed if shuffled.
pub fn sinks(wf: &Workflow) -> Vec<Value> {
    wf.nodes
        .iter()
        .filter(|n| n.decl == DeclKind::Sink)
        .map(|n| {
            let shuffle = n.args.get("shuffle").and_then(Value::as_bool) == Some(true);
            json!({"path": n.str_arg("path").unwrap_or_default(), "shuffle_seed": shuffle.then(|| n.int_arg("seed").unwrap_or(0))})
        })
        .collect()
}

/// Written last, after every sink is in place: a merge trusts only marked shards.
pub fn write_marker(run_dir: &Path, shard: Shard, workflow: &str, run_id: i64, store: &Path, sinks: Vec<Value>) -> std::io::Result<()> {
    let marker = json!({
        "workflow": workflow, "shard": shard.index, "shards": shard.count, "run": run_id,
        "store": std::fs::canonicalize(store).unwrap_or_else(|_| store.to_path_buf()), "sinks": sinks,
    });
    let tmp = run_dir.join(format!("{MARKER}.partial"));
    std::fs::write(&tmp, format!("{marker:#}\n"))?;
    std::fs::rename(tmp, run_dir.join(MARKER))
}
