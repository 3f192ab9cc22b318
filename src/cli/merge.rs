//! `regen merge RUN_DIR`: the shards' sinks joined into the files an unsharded
//! run writes; `regen store merge A B… --into S`: their caches joined into one.
//! Both only read their inputs and may be repeated.

use super::shard::MARKER;
use crate::run::store::Store;
use clap::{Args, Subcommand};
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

#[derive(Args)]
pub struct MergeArgs {
    /// The run folder holding `shard-K-of-N/` folders (e.g. runs/regenesis).
    pub run_dir: PathBuf,
    /// Where the merged sinks go (default: the run folder itself).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Also merge the shards' stores (caches) into this store.
    #[arg(long)]
    pub store: Option<PathBuf>,
}

#[derive(Subcommand)]
pub enum StoreCommand {
    /// Merge the caches of several stores into one (write-once and content-addressed: safe to repeat).
    Merge {
        #[arg(required = true)]
        stores: Vec<PathBuf>,
        #[arg(long)]
        into: PathBuf,
    },
}

pub fn merge(a: MergeArgs) -> i32 {
    match merge_shards(&a) {
        Ok(lines) => {
            for l in lines {
                println!("{l}");
            }
            0
        }
        Err(e) => {
            eprintln!("error: {e}");
            1
        }
    }
}

pub fn store(cmd: StoreCommand) -> i32 {
    let StoreCommand::Merge { stores, into } = cmd;
    match merge_stores(&stores, &into) {
        Ok(lines) => {
            for l in lines {
                println!("{l}");
            }
            0
        }
        Err(e) => {
            eprintln!("error: {e}");
            1
        }
    }
}

/// The marked shards of a run folder, by index; every one of 0..N must be there and complete.
fn shards(run_dir: &Path) -> Result<Vec<(PathBuf, Value)>, String> {
    let entries = std::fs::read_dir(run_dir)
        .map_err(|e| format!("cannot read {}: {e}", run_dir.display()))?;
    let mut found: BTreeMap<u64, PathBuf> = BTreeMap::new();
    let mut count = None;
    for e in entries.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        let Some((k, n)) = name
            .strip_prefix("shard-")
            .and_then(|r| r.split_once("-of-"))
        else {
            continue;
        };
        let (Ok(k), Ok(n)) = (k.parse::<u64>(), n.parse::<u64>()) else {
            continue;
        };
        if *count.get_or_insert(n) != n {
            return Err(format!(
                "{} holds shards of different counts ({} and {n}); merge one sharding at a time",
                run_dir.display(),
                count.unwrap_or(n)
            ));
        }
        found.insert(k, e.path());
    }
    let n = count.ok_or_else(|| {
        format!(
            "{} has no shard-K-of-N folders; run `regen run FILE --shard K/N` first",
            run_dir.display()
        )
    })?;
    let mut out = Vec::new();
    let mut problems = Vec::new();
    for k in 0..n {
        match found.get(&k) {
            None => problems.push(format!(
                "shard {k} of {n} has not run (no shard-{k}-of-{n}/)"
            )),
            Some(dir) => match std::fs::read_to_string(dir.join(MARKER)) {
                Err(_) => problems.push(format!(
                    "shard {k} of {n} has not finished cleanly (no {MARKER} in {}); run it again",
                    dir.display()
                )),
                Ok(text) => match serde_json::from_str::<Value>(&text) {
                    Ok(v) => out.push((dir.clone(), v)),
                    Err(e) => problems.push(format!("{}: {e}", dir.join(MARKER).display())),
                },
            },
        }
    }
    if !problems.is_empty() {
        return Err(format!(
            "cannot merge {}:\n  {}",
            run_dir.display(),
            problems.join("\n  ")
        ));
    }
    Ok(out)
}

fn merge_shards(a: &MergeArgs) -> Result<Vec<String>, String> {
    let shards = shards(&a.run_dir)?;
    let out_dir = a.out.clone().unwrap_or_else(|| a.run_dir.clone());
    let sinks = shards[0].1["sinks"].as_array().cloned().unwrap_or_default();
    // Everything is read and checked before anything is written: a merge that
    // cannot finish leaves no half-merged files and no partial store.
    let stores = match &a.store {
        Some(_) => shards
            .iter()
            .map(|(dir, m)| shard_store(dir, m))
            .collect::<Result<Vec<_>, _>>()?,
        None => vec![],
    };
    let mut merged = Vec::new();
    for sink in &sinks {
        let rel = sink["path"].as_str().unwrap_or_default();
        let mut text = String::new();
        for (dir, _) in &shards {
            let p = dir.join(rel);
            text.push_str(
                &std::fs::read_to_string(&p)
                    .map_err(|e| format!("cannot read {}: {e}", p.display()))?,
            );
        }
        merged.push((rel, sink["shuffle_seed"].as_i64(), text));
    }
    let mut report = Vec::new();
    for (rel, seed, text) in &merged {
        let mut lines: Vec<&str> = text.lines().collect();
        // The unsharded run's order: its seeded shuffle, else sorted (arrival order is not reproducible).
        match seed {
            Some(seed) => crate::run::exec::sink::shuffled(&mut lines, *seed as u64),
            None => lines.sort_unstable(),
        }
        let target = out_dir.join(rel);
        if let Some(parent) = target.parent() {
            std::fs::create_dir_all(parent)
                .map_err(|e| format!("cannot create {}: {e}", parent.display()))?;
        }
        let tmp = target.with_extension("merge.partial");
        let mut body = lines.join("\n");
        if !lines.is_empty() {
            body.push('\n');
        }
        std::fs::write(&tmp, body)
            .and_then(|()| std::fs::rename(&tmp, &target))
            .map_err(|e| format!("cannot write {}: {e}", target.display()))?;
        report.push(format!(
            "merged {} shards into {} ({} lines)",
            shards.len(),
            target.display(),
            lines.len()
        ));
    }
    if let Some(into) = &a.store {
        report.extend(merge_stores(&stores, into)?);
    }
    Ok(report)
}

/// A shard's store, as its marker names it: relative to the shard folder (so a
/// run folder that moved, or is mounted elsewhere, still merges), or absolute
/// (older markers; when that path is gone, the same file name in the shard folder).
fn shard_store(dir: &Path, marker: &Value) -> Result<PathBuf, String> {
    let named = marker["store"]
        .as_str()
        .ok_or_else(|| format!("{} names no store", dir.join(MARKER).display()))?;
    let named = Path::new(named);
    let path = if named.is_relative() {
        dir.join(named)
    } else {
        named.to_path_buf()
    };
    if path.is_file() {
        return Ok(path);
    }
    if let Some(local) = named
        .file_name()
        .map(|f| dir.join(f))
        .filter(|p| p.is_file())
    {
        return Ok(local);
    }
    Err(format!(
        "shard {}: its store {} is not there\n  help: copy the shard folder with its store, or merge without --store",
        dir.display(),
        path.display()
    ))
}

fn merge_stores(stores: &[PathBuf], into: &Path) -> Result<Vec<String>, String> {
    if let Some(dir) = into.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)
            .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    }
    let target = Store::open(into).map_err(|e| format!("cannot open {}: {e}", into.display()))?;
    let mut report = Vec::new();
    for s in stores {
        if !s.is_file() {
            return Err(format!("no store at {}", s.display()));
        }
        // Opening brings an older store's schema up to date before it is read.
        drop(Store::open(s).map_err(|e| format!("cannot open {}: {e}", s.display()))?);
        let m = target
            .merge_cache(s)
            .map_err(|e| format!("merging {} into {}: {e}", s.display(), into.display()))?;
        let mut line = format!(
            "{}: {} cached calls added, {} already there",
            s.display(),
            m.added,
            m.present
        );
        if m.differing > 0 {
            line.push_str(&format!(
                " ({} of those with another reply: the first stored is kept)",
                m.differing
            ));
        }
        if m.shadowed > 0 {
            line.push_str(&format!(
                "; {} not added: another call here has the same first 64 bits of key (a run that needs them asks again)",
                m.shadowed
            ));
        }
        report.push(line);
    }
    Ok(report)
}
