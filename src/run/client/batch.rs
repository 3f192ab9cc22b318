//! Batch mode: a step's uncached calls go through the OpenAI Batch API
//! (`/v1/files` then `/v1/batches`) at batch prices, and the answers land in
//! the cache; the step then runs as usual, every call a cache hit. Batches are
//! recorded in the store before they are polled, so a killed run polls the
//! same batches again instead of paying twice. Lines that fail or expire are
//! sent again (up to three rounds); what is still unanswered is asked online.

use crate::record::Rec;
use crate::run::client::error::BatchError;
use crate::run::exec::context::Ctx;
use crate::run::store::{CacheKey, CachedCall};
use crate::workflow::NodeId;
use async_openai::types::batches::{
    BatchCompletionWindow, BatchEndpoint, BatchRequest, BatchStatus,
};
use async_openai::types::files::{CreateFileRequest, FileInput, FilePurpose};
use async_openai::types::InputSource;
use serde_json::{json, Value};
use std::collections::{BTreeMap, HashSet};
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

/// The Batch API's limits per input file.
const MAX_LINES: usize = 50_000;
const MAX_BYTES: usize = 190 * 1024 * 1024;
const ROUNDS: usize = 3;

/// Whether this step's model runs in batch mode.
pub fn batched(cx: &Ctx, id: NodeId) -> bool {
    let node = &cx.wf.nodes[id];
    node.is_llm()
        && (cx.batch
            || node
                .model
                .and_then(|m| cx.wf.models.get(m))
                .is_some_and(|m| m.settings.batch == Some(true)))
}

/// The step's calls for these records that the cache does not hold.
fn wanted(cx: &Ctx, id: NodeId, records: &[Arc<Rec>]) -> Result<Wanted, BatchError> {
    let node = &cx.wf.nodes[id];
    let samples = node.kind.samples(node);
    let mut wanted: Wanted = BTreeMap::new();
    for r in records {
        // A prompt that does not render is recorded as a failure by the step itself.
        let Ok(keys) = crate::run::exec::llm::keys(cx, id, r, samples) else {
            continue;
        };
        for key in keys {
            let (hash, json) = key.identity();
            if !cx.refresh[id]
                && cx
                    .store
                    .get(&hash)
                    .map_err(BatchError::CacheRead)?
                    .is_some()
            {
                continue;
            }
            wanted.insert(hash, (key, json));
        }
    }
    Ok(wanted)
}

/// Writes the step's uncached calls as batch input (the OpenAI format, which
/// vLLM's `run-batch` reads) and remembers them for `regen batch import`.
pub async fn export(
    cx: &Ctx,
    id: NodeId,
    records: &[Arc<Rec>],
    path: &std::path::Path,
) -> Result<usize, BatchError> {
    let wanted = wanted(cx, id, records)?;
    let model = &cx.models[cx.wf.nodes[id].model.unwrap_or(0)];
    let mut body = Vec::new();
    for (ids, bytes) in chunks(model, &wanted)? {
        body.extend(bytes);
        for hash in ids {
            cx.store
                .record_pending(&hash, &wanted[&hash].1)
                .map_err(BatchError::Store)?;
        }
    }
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|source| BatchError::Io {
            action: "create",
            path: dir.to_path_buf(),
            source,
        })?;
    }
    // Written fresh: a symlink planted at the (temporary) name is replaced, not followed.
    crate::sandbox::create_fresh(path)
        .and_then(|mut f| std::io::Write::write_all(&mut f, &body))
        .map_err(|source| BatchError::Io {
            action: "write",
            path: path.to_path_buf(),
            source,
        })?;
    Ok(wanted.len())
}

/// Loads batch output lines (OpenAI's or vLLM `run-batch`'s format) into the
/// cache: (answered, failed lines, lines for requests this store never exported).
pub async fn import(
    store: &crate::run::store::Store,
    text: &str,
) -> Result<(u64, u64, u64), BatchError> {
    let (mut answered, mut failed, mut unknown) = (0, 0, 0);
    for (i, line) in text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
    {
        let v: Value = serde_json::from_str(line).map_err(|e| BatchError::Line {
            line: i + 1,
            problem: format!("not JSON: {e}"),
        })?;
        let hash = v["custom_id"].as_str().ok_or_else(|| BatchError::Line {
            line: i + 1,
            problem: "no custom_id".into(),
        })?;
        let Some(request) = store.pending_request(hash).map_err(BatchError::Store)? else {
            unknown += 1;
            continue;
        };
        match answer(&v) {
            Some(call) => {
                store
                    .put(hash.to_string(), request, call)
                    .await
                    .map_err(BatchError::Answer)?;
                answered += 1;
            }
            None => failed += 1,
        }
    }
    Ok((answered, failed, unknown))
}

/// Fills the cache with the step's calls for these records through the Batch API.
pub async fn prefill(cx: &Ctx, id: NodeId, records: &[Arc<Rec>]) -> Result<(), BatchError> {
    let node = &cx.wf.nodes[id];
    let mut wanted = wanted(cx, id, records)?;
    let model = &cx.models[node.model.unwrap_or(0)];
    let replicas = model.api().await?;
    let client = &replicas.list[0].client;
    for round in 0..ROUNDS {
        if wanted.is_empty() {
            break;
        }
        if round > 0 {
            cx.stats.batch[2].fetch_add(wanted.len() as u64, Ordering::Relaxed);
        }
        for chunk in chunks(model, &wanted)? {
            let answered = run_chunk(cx, model, client, &chunk, &wanted).await?;
            for hash in answered {
                wanted.remove(&hash);
            }
        }
    }
    if !wanted.is_empty() {
        cx.stats.batch[3].fetch_add(wanted.len() as u64, Ordering::Relaxed);
        tracing::warn!(step = %node.name, "{} requests the Batch API did not answer in {ROUNDS} rounds are asked online", wanted.len());
    }
    Ok(())
}

/// Requests still wanted: cache hash → (key, request JSON).
type Wanted = BTreeMap<String, (CacheKey, String)>;
/// One input file: its custom ids and its body.
type Chunk = (Vec<String>, Vec<u8>);

/// Batch input lines, split at the API's limits.
fn chunks(
    model: &crate::run::client::model::ModelClient,
    wanted: &Wanted,
) -> Result<Vec<Chunk>, BatchError> {
    let mut out = vec![(Vec::new(), Vec::new())];
    for (hash, (key, _)) in wanted {
        let body = model.request(key, 1);
        let line = json!({"custom_id": hash, "method": "POST", "url": "/v1/chat/completions", "body": body}).to_string();
        let last = out.last_mut().expect("starts with one chunk");
        if !last.0.is_empty()
            && (last.0.len() >= MAX_LINES || last.1.len() + line.len() + 1 > MAX_BYTES)
        {
            out.push((Vec::new(), Vec::new()));
        }
        let last = out.last_mut().expect("just pushed");
        last.0.push(hash.clone());
        last.1.extend_from_slice(line.as_bytes());
        last.1.push(b'\n');
    }
    Ok(out)
}

type Api = async_openai::Client<async_openai::config::OpenAIConfig>;

/// Submits one chunk (or finds the batch a killed run submitted for it), waits, and stores the answers.
async fn run_chunk(
    cx: &Ctx,
    model: &crate::run::client::model::ModelClient,
    client: &Api,
    chunk: &(Vec<String>, Vec<u8>),
    wanted: &BTreeMap<String, (CacheKey, String)>,
) -> Result<HashSet<String>, BatchError> {
    let (ids, body) = chunk;
    let chunk_key = blake3::hash(ids.join("\n").as_bytes()).to_hex().to_string();
    let batch_id = match cx.store.batch_for(&chunk_key).map_err(BatchError::Store)? {
        Some(b) => {
            tracing::info!("batch {b}: submitted by an earlier run, polled again");
            b
        }
        None => {
            let file = CreateFileRequest {
                file: FileInput {
                    source: InputSource::Bytes {
                        filename: format!("regen-{}.jsonl", &chunk_key[..12]),
                        bytes: body.clone().into(),
                    },
                },
                purpose: FilePurpose::Batch,
                expires_after: None,
            };
            let uploaded = client
                .files()
                .create(file)
                .await
                .map_err(|source| BatchError::Api {
                    what: "uploading a batch file".into(),
                    source: Box::new(source),
                })?;
            let request = BatchRequest {
                input_file_id: uploaded.id,
                endpoint: BatchEndpoint::V1ChatCompletions,
                completion_window: BatchCompletionWindow::W24H,
                metadata: None,
                output_expires_after: None,
            };
            let batch =
                client
                    .batches()
                    .create(request)
                    .await
                    .map_err(|source| BatchError::Api {
                        what: "creating a batch".into(),
                        source: Box::new(source),
                    })?;
            cx.store
                .record_batch(&chunk_key, &batch.id)
                .map_err(|source| BatchError::RecordBatch {
                    batch: batch.id.clone(),
                    source,
                })?;
            cx.stats.batch[0].fetch_add(ids.len() as u64, Ordering::Relaxed);
            cx.stats.batch[1].fetch_add(1, Ordering::Relaxed);
            batch.id
        }
    };
    let mut wait = Duration::from_millis(200);
    let batch = loop {
        let b = client
            .batches()
            .retrieve(&batch_id)
            .await
            .map_err(|source| BatchError::Api {
                what: format!("polling batch {batch_id}"),
                source: Box::new(source),
            })?;
        if matches!(
            b.status,
            BatchStatus::Completed
                | BatchStatus::Expired
                | BatchStatus::Failed
                | BatchStatus::Cancelled
        ) {
            break b;
        }
        tokio::select! {
            _ = tokio::time::sleep(wait) => {}
            _ = model.halt.cancelled() => return Err(BatchError::Stopped(batch_id)),
        }
        wait = (wait * 2).min(Duration::from_secs(30));
    };
    let mut answered = HashSet::new();
    if let Some(out) = &batch.output_file_id {
        let bytes = client
            .files()
            .content(out)
            .await
            .map_err(|source| BatchError::Api {
                what: format!("downloading batch output {out}"),
                source: Box::new(source),
            })?;
        for line in String::from_utf8_lossy(&bytes)
            .lines()
            .filter(|l| !l.trim().is_empty())
        {
            let v: Value = serde_json::from_str(line).map_err(|source| BatchError::Output {
                batch: batch_id.clone(),
                source,
            })?;
            let hash = v["custom_id"].as_str().unwrap_or_default();
            let Some((_, request)) = wanted.get(hash) else {
                continue;
            };
            let Some(call) = answer(&v) else { continue };
            cx.store
                .put(hash.to_string(), request.clone(), call)
                .await
                .map_err(BatchError::Answer)?;
            answered.insert(hash.to_string());
        }
    }
    tracing::info!(
        "batch {batch_id}: {:?}, {} of {} answered",
        batch.status,
        answered.len(),
        ids.len()
    );
    Ok(answered)
}

/// A successful output line's reply; `None` for an error or an empty reply (sent again).
fn answer(line: &Value) -> Option<CachedCall> {
    let resp = &line["response"];
    if resp["status_code"].as_u64() != Some(200) {
        return None;
    }
    let body = &resp["body"];
    let choice = &body["choices"][0];
    let text = choice["message"]["content"]
        .as_str()
        .filter(|t| !t.trim().is_empty())?;
    Some(CachedCall {
        reply: text.to_string(),
        prompt_tokens: body["usage"]["prompt_tokens"].as_u64().unwrap_or(0),
        completion_tokens: body["usage"]["completion_tokens"].as_u64().unwrap_or(0),
        truncated: choice["finish_reason"] == "length",
    })
}
