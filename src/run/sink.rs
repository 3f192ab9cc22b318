//! JSONL sinks. Lines go to `<path>.partial`, flushed per record; the file is
//! renamed into place when the run ends, so a killed run leaves no torn or
//! duplicated output — the rerun rebuilds it from the cache, each record once.

use super::exec::Ctx;
use super::record::Rec;
use crate::workflow::NodeId;
use serde_json::{json, Value};
use std::collections::HashSet;
use std::path::PathBuf;
use tokio::io::AsyncWriteExt;

pub struct Sink {
    id: NodeId,
    path: PathBuf,
    partial: PathBuf,
    file: tokio::io::BufWriter<tokio::fs::File>,
    seen: HashSet<String>,
    sources: HashSet<u64>,
    count: u64,
}

impl Sink {
    pub async fn open(cx: &Ctx, id: NodeId) -> Option<Sink> {
        let node = &cx.wf.nodes[id];
        let path = cx.run_dir.join(node.str_arg("path").unwrap_or("out.jsonl"));
        if let Some(dir) = path.parent() {
            let _ = tokio::fs::create_dir_all(dir).await;
        }
        let partial = path.with_extension("jsonl.partial");
        match tokio::fs::File::create(&partial).await {
            Ok(f) => Some(Sink {
                id,
                path,
                partial,
                file: tokio::io::BufWriter::new(f),
                seen: HashSet::new(),
                sources: HashSet::new(),
                count: 0,
            }),
            Err(e) => {
                eprintln!("error: cannot write {}: {e}", partial.display());
                None
            }
        }
    }

    pub async fn write(&mut self, cx: &Ctx, r: &Rec) {
        if !self.seen.insert(r.key.clone()) {
            return;
        }
        let node = &cx.wf.nodes[self.id];
        let line = if node.str_arg("format") == Some("chat") {
            let mut messages = Vec::new();
            if let Some(s) = node.str_arg("system") {
                messages.push(json!({"role": "system", "content": s}));
            }
            let user = match node.prompts.get("user") {
                Some(_) => cx.render(self.id, "user", r.fields.clone()).unwrap_or_default(),
                None => r.fields.get("question").map(crate::expr::text).unwrap_or_default(),
            };
            let assistant = r.fields.get(node.str_arg("assistant").unwrap_or("path")).map(crate::expr::text).unwrap_or_default();
            messages.push(json!({"role": "user", "content": user}));
            messages.push(json!({"role": "assistant", "content": assistant}));
            json!({ "messages": messages })
        } else {
            match node.args.get("fields").and_then(Value::as_array) {
                Some(list) => {
                    let mut m = serde_json::Map::new();
                    for f in list.iter().filter_map(Value::as_str) {
                        m.insert(f.into(), r.fields.get(f).cloned().unwrap_or(Value::Null));
                    }
                    Value::Object(m)
                }
                None => Value::Object(r.fields.clone()),
            }
        };
        let mut text = line.to_string();
        text.push('\n');
        if self.file.write_all(text.as_bytes()).await.is_ok() {
            self.count += 1;
            self.sources.insert(r.lineage);
        }
    }

    pub async fn close(mut self, cx: &Ctx) {
        let _ = self.file.flush().await;
        let _ = self.file.get_ref().sync_all().await;
        drop(self.file);
        if let Err(e) = tokio::fs::rename(&self.partial, &self.path).await {
            eprintln!("error: cannot move {} into place: {e}", self.partial.display());
        }
        let name = self.path.display().to_string();
        cx.stats.sink_sources.lock().unwrap_or_else(|p| p.into_inner()).insert(name.clone(), self.sources.len() as u64);
        cx.stats.sink_records.lock().unwrap_or_else(|p| p.into_inner()).insert(name, self.count);
    }
}
