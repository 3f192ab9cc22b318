//! JSONL sinks. Lines go to `<path>.partial` (flushed and synced at the end); the file is
//! renamed into place only when the run finishes cleanly (`sink_target`), so a
//! killed, failed or stopped run leaves no torn output and the previous good
//! file as it was — the rerun rebuilds it from the cache, each record once.
//! Every error (open, render, write, flush, sync, rename) is a recorded failure:
//! a sink never drops records silently.

use crate::record::Rec;
use crate::run::exec::context::{failure, Ctx};
use crate::run::exec::failure::{CallError, FailReason};
use crate::run::exec::flatten::spread;
use crate::steps::{SinkFormat, SinkSettings};
use crate::workflow::NodeId;
use rand::seq::SliceRandom;
use rand::SeedableRng;
use serde_json::{json, Value};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::io::Write;
use std::path::PathBuf;

pub struct Sink {
    id: NodeId,
    path: PathBuf,
    partial: PathBuf,
    /// `None` once the file could not be opened or written: later records are failures.
    /// Written in place, not through tokio's file, which hands every buffer
    /// to a blocking-pool thread and back: a full 64 KiB buffer goes to the
    /// page cache in microseconds. Only the final sync, which waits for the
    /// disk, goes to the blocking pool.
    file: Option<std::io::BufWriter<std::fs::File>>,
    /// Keys written, per source record still open: what a second path to the
    /// same record must not write twice. Released when the source record is
    /// finished, so memory does not grow with the run.
    open: HashMap<u64, OpenSource>,
    /// Source records with at least one line written (those finished and released).
    sources: u64,
    /// Guideline preference, counted for training sets (chat format) only.
    guidelines: Option<BTreeMap<String, u64>>,
    count: u64,
}

/// What a sink remembers of one source record until it is finished.
#[derive(Default)]
struct OpenSource {
    /// The record keys taken (written, or failed once: not tried again).
    keys: HashSet<String>,
    written: bool,
}

/// A record's line, newline included: the chosen fields, or a chat training example.
fn line(id: NodeId, cx: &Ctx, r: &Rec) -> Result<String, CallError> {
    let node = &cx.wf.nodes[id];
    let s = node.settings::<SinkSettings>();
    let text = if s.format == SinkFormat::Records && s.flatten {
        // The chosen fields (in order), objects spread into `field.part` columns.
        let mut flat = serde_json::Map::new();
        let mut names: Vec<&String> = match &s.fields {
            Some(list) => list.iter().collect(),
            None => r.fields.keys().collect(),
        };
        // A field listed twice is written once, as without `flatten`.
        let mut seen = HashSet::new();
        names.retain(|n| seen.insert(*n));
        for name in names {
            let value = r.fields.get(name.as_str()).unwrap_or(&Value::Null);
            spread(name, value, &mut flat).map_err(|c| {
                CallError::failed(
                    FailReason::SinkWrite,
                    format!("flatten: column `{}` would be filled twice (a record field of that name and a part of an object field); rename one, or drop `flatten`", c.column),
                )
            })?;
        }
        serde_json::to_string(&flat)
    } else if s.format == SinkFormat::Records {
        match &s.fields {
            Some(list) => serde_json::to_string(&Chosen {
                list,
                fields: &r.fields,
            }),
            None => serde_json::to_string(&r.fields),
        }
    } else {
        let mut messages = Vec::new();
        if let Some(s) = &s.system {
            messages.push(json!({"role": "system", "content": s}));
        }
        let user = match node.prompts.get("user") {
            Some(_) => cx.render(id, "user", &r.fields).map_err(|e| {
                CallError::failed(
                    FailReason::Template,
                    format!("the `user:` template failed: {e}"),
                )
            })?,
            None => turn(r, "question")?,
        };
        let assistant = turn(r, &s.assistant)?;
        messages.push(json!({"role": "user", "content": user}));
        messages.push(json!({"role": "assistant", "content": assistant}));
        serde_json::to_string(&json!({ "messages": messages }))
    };
    let mut text = text.map_err(|e| {
        CallError::failed(
            FailReason::SinkWrite,
            format!("the line could not be written as JSON: {e}"),
        )
    })?;
    text.push('\n');
    Ok(text)
}

/// The fields a sink lists, in its order, written straight from the record
/// (not copied into a map first). A missing field is `null`; a name listed
/// twice is written once.
struct Chosen<'a> {
    list: &'a [String],
    fields: &'a serde_json::Map<String, Value>,
}

impl serde::Serialize for Chosen<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let names: Vec<&str> = self.list.iter().map(String::as_str).collect();
        let mut map = s.serialize_map(None)?;
        for (i, f) in names.iter().enumerate() {
            if !names[..i].contains(f) {
                map.serialize_entry(f, self.fields.get(*f).unwrap_or(&Value::Null))?;
            }
        }
        map.end()
    }
}

/// Bytes a sink gathers before each write to its file.
const SINK_BUFFER: usize = 64 * 1024;

/// The key under which a sink-level failure (not one record's) is recorded.
const WHOLE_SINK: &str = "(sink)";

impl Sink {
    pub async fn open(cx: &Ctx, id: NodeId) -> Sink {
        let node = &cx.wf.nodes[id];
        // Checked again at open time: the folders may have changed since the preflight.
        let (target, opened) = match crate::run::exec::sink_target::prepare(&cx.wf, id, &cx.run_dir)
        {
            Ok(t) => {
                let f = std::fs::File::create(&t.partial).map_err(|e| {
                    crate::run::exec::sink_error::SinkError::Target {
                        sink: node.name.clone(),
                        path: t.partial.clone(),
                        problem: crate::run::exec::sink_error::TargetProblem::Create(e),
                    }
                });
                (t, f)
            }
            Err(e) => (
                crate::run::exec::sink_target::target(&cx.wf, id, &cx.run_dir),
                Err(e),
            ),
        };
        let file = match opened {
            Ok(f) => Some(std::io::BufWriter::with_capacity(SINK_BUFFER, f)),
            Err(e) => {
                sink_failure(cx, id, FailReason::SinkOpen, e.to_string());
                None
            }
        };
        let guidelines = node.kind.writes_chat(node).then(BTreeMap::new);
        Sink {
            id,
            path: target.path,
            partial: target.partial,
            file,
            open: HashMap::new(),
            sources: 0,
            guidelines,
            count: 0,
        }
    }

    pub fn write(&mut self, cx: &Ctx, r: &Rec) {
        let Sink {
            id,
            partial,
            file,
            open,
            guidelines,
            count,
            ..
        } = self;
        let source = open.entry(r.lineage).or_default();
        if !source.keys.insert(r.key.clone()) {
            return;
        }
        let line = match line(*id, cx, r) {
            Ok(line) => line,
            Err(e) => return failure(cx, *id, r, &e),
        };
        let Some(f) = file.as_mut() else {
            let e = CallError::failed(
                FailReason::SinkWrite,
                format!("{} could not be opened", partial.display()),
            );
            return failure(cx, *id, r, &e);
        };
        match f.write_all(line.as_bytes()) {
            Ok(()) => {
                *count += 1;
                source.written = true;
                crate::run::report::samples::written(cx, *id, r);
                if let Some(guidelines) = guidelines {
                    for g in guideline_ids(cx, r) {
                        *guidelines.entry(g).or_default() += 1;
                    }
                }
            }
            Err(e) => {
                let e = CallError::failed(
                    FailReason::SinkWrite,
                    format!("cannot write {}: {e}", partial.display()),
                );
                failure(cx, *id, r, &e);
                *file = None;
            }
        }
    }

    /// Every record of source record `lineage` has arrived: forget its keys.
    pub fn release(&mut self, lineage: u64) {
        if let Some(o) = self.open.remove(&lineage) {
            self.sources += u64::from(o.written);
        }
    }

    pub async fn close(self, cx: &Ctx) {
        let Sink {
            id,
            path,
            partial,
            file,
            open,
            sources,
            guidelines,
            count,
        } = self;
        // Source records never finished (a sink fed without lineage) are counted here.
        let sources = sources + open.values().filter(|o| o.written).count() as u64;
        if let Some(f) = file {
            let done = async {
                let f = f
                    .into_inner()
                    .map_err(std::io::IntoInnerError::into_error)?;
                tokio::task::spawn_blocking(move || f.sync_all())
                    .await
                    .map_err(std::io::Error::other)??;
                let node = &cx.wf.nodes[id];
                if let Some(seed) = node.settings::<SinkSettings>().shuffle_seed {
                    shuffle_file(&partial, seed).await?;
                }
                Ok::<(), std::io::Error>(())
            }
            .await;
            match done {
                // It takes its place when the run's outcome is known (`sink_target::promote`).
                Ok(()) => cx
                    .stats
                    .finished_sinks
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .push(crate::run::exec::stats::FinishedSink {
                        id,
                        path: path.clone(),
                        partial,
                    }),
                Err(e) => sink_failure(
                    cx,
                    id,
                    FailReason::SinkWrite,
                    format!("cannot finish {}: {e}", path.display()),
                ),
            }
        }
        let name = path.display().to_string();
        cx.stats
            .sink_sources
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(name.clone(), sources);
        if let Some(guidelines) = guidelines {
            cx.stats
                .sink_guidelines
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .insert(name.clone(), guidelines);
        }
        cx.stats
            .sink_records
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(name, count);
    }
}

/// A chat turn from a field; a record without it is a failure, never an empty turn.
fn turn(r: &Rec, field: &str) -> Result<String, CallError> {
    match r.fields.get(field) {
        Some(v) if !v.is_null() => Ok(crate::expr::text(v)),
        _ => Err(CallError::failed(
            FailReason::MissingField,
            format!("the record has no `{field}` for its chat turn"),
        )),
    }
}

fn sink_failure(cx: &Ctx, id: NodeId, reason: FailReason, raw: String) {
    tracing::error!(step = %cx.wf.nodes[id].name, "{raw}");
    crate::run::exec::context::record(cx, id, WHOLE_SINK, reason, &raw);
}

/// A seeded random order that does not depend on arrival order (sorted first):
/// a shuffled sink's order, and that of shards merged back into one file.
pub fn shuffled(lines: &mut [&str], seed: u64) {
    lines.sort_unstable();
    lines.shuffle(&mut rand_chacha::ChaCha8Rng::seed_from_u64(seed));
}

/// Lines in a seeded random order that does not depend on arrival order: sorted first.
async fn shuffle_file(path: &std::path::Path, seed: u64) -> std::io::Result<()> {
    let text = tokio::fs::read_to_string(path).await?;
    let mut lines: Vec<&str> = text.lines().collect();
    shuffled(&mut lines, seed);
    let mut out = String::with_capacity(text.len());
    for l in lines {
        out.push_str(l);
        out.push('\n');
    }
    let tmp = crate::sandbox::with_suffix(path, ".shuffled");
    // A fresh file: a symlink planted at the temporary name is removed, not followed.
    let mut f = tokio::fs::File::from_std(crate::sandbox::create_fresh(&tmp)?);
    tokio::io::AsyncWriteExt::write_all(&mut f, out.as_bytes()).await?;
    f.sync_all().await?;
    tokio::fs::rename(&tmp, path).await
}

/// The seed guidelines behind a record: a single guideline's id, or the pool
/// titles a sampled selection names.
fn guideline_ids(cx: &Ctx, r: &Rec) -> Vec<String> {
    if let Some(id) = r
        .fields
        .get("guideline_id")
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
    {
        return vec![id.to_string()];
    }
    let Some(text) = r.fields.get("guideline").and_then(Value::as_str) else {
        return vec![];
    };
    let lower = text.to_lowercase();
    let mut out: Vec<String> = cx
        .pools
        .values()
        .filter_map(Value::as_array)
        .flatten()
        .filter(|g| {
            g.get("title")
                .and_then(Value::as_str)
                .is_some_and(|t| lower.contains(&t.to_lowercase()))
        })
        .filter_map(|g| g.get("id").and_then(Value::as_str).map(str::to_string))
        .collect();
    out.sort();
    out.dedup();
    if out.is_empty() {
        out.push("(none named)".into());
    }
    out
}
