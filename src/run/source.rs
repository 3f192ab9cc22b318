//! Reading a JSONL source as a stream, with the field mapping and a bad-row policy.

use crate::record::{lineage_id, Rec};
use serde_json::{Map, Value};
use tokio::io::{AsyncBufReadExt, BufReader};

pub struct SourceSpec {
    pub node: usize,
    pub name: String,
    pub path: std::path::PathBuf,
    /// record field → column
    pub fields: Vec<(String, String)>,
    pub skip_bad: bool,
    pub limit: Option<u64>,
    /// Only the rows of this shard (numbered as in the whole file).
    pub shard: Option<super::shard::Shard>,
}

pub enum RowError {
    Fatal(String),
}

/// A row skipped under `on_bad_row: skip`: where, why, and the line itself.
pub struct SkippedRow {
    pub line: u64,
    pub reason: String,
    pub raw: String,
}

/// What a source read: good rows, and the bad ones it skipped (the first 1,000 kept in full).
#[derive(Default)]
pub struct SourceCount {
    pub rows: u64,
    pub skipped: u64,
    pub skipped_rows: Vec<SkippedRow>,
}

/// Calls `emit` for every good row, in order.
pub async fn read<F, Fut>(spec: &SourceSpec, mut emit: F) -> Result<SourceCount, RowError>
where
    F: FnMut(Rec) -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let file = tokio::fs::File::open(&spec.path)
        .await
        .map_err(|e| RowError::Fatal(format!("cannot read dataset {}: {e}", spec.path.display())))?;
    let mut lines = BufReader::new(file).lines();
    let (mut row, mut line_no, mut taken) = (0u64, 0u64, 0u64);
    let mut count = SourceCount::default();
    loop {
        let line = match lines.next_line().await {
            Ok(Some(l)) => l,
            Ok(None) => break,
            Err(e) => return Err(RowError::Fatal(format!("{}:{}: {e}", spec.path.display(), line_no + 1))),
        };
        line_no += 1;
        if line.trim().is_empty() {
            continue;
        }
        if spec.limit.is_some_and(|l| row >= l) {
            break;
        }
        match map_row(&line, spec, line_no) {
            Ok(fields) => {
                let key = fields.get("id").map(|v| v.as_str().map_or(v.to_string(), str::to_string)).unwrap_or_else(|| row.to_string());
                let rec = Rec { lineage: lineage_id(spec.node, row), key: format!("{}:{key}", spec.name), fields };
                row += 1;
                if spec.shard.is_some_and(|s| !s.takes(&key)) {
                    continue;
                }
                taken += 1;
                if !emit(rec).await {
                    break;
                }
            }
            Err(msg) if spec.skip_bad => {
                count.skipped += 1;
                tracing::warn!("{msg} (skipped)");
                if count.skipped_rows.len() < 1000 {
                    count.skipped_rows.push(SkippedRow { line: line_no, reason: msg, raw: line.chars().take(2000).collect() });
                }
            }
            Err(msg) => {
                let done = if row > 0 { format!(" ({row} rows before it were processed; their calls are cached)") } else { String::new() };
                return Err(RowError::Fatal(format!(
                    "{msg}{done}\n  help: fix the row, or add `on_bad_row: skip` to the source to skip bad rows (each is counted and listed by `regen show`)"
                )));
            }
        }
    }
    if line_no == 0 {
        return Err(RowError::Fatal(format!(
            "dataset {} is empty\n  help: point the source at a JSONL file with one object per line",
            spec.path.display()
        )));
    }
    count.rows = taken;
    Ok(count)
}

fn map_row(line: &str, spec: &SourceSpec, line_no: u64) -> Result<Map<String, Value>, String> {
    let at = format!("{}:{line_no}", spec.path.display());
    let v: Value = serde_json::from_str(line).map_err(|e| format!("{at}: not valid JSON: {e}"))?;
    let Value::Object(obj) = v else { return Err(format!("{at}: expected a JSON object per line")) };
    let mut out = Map::new();
    for (field, column) in &spec.fields {
        match obj.get(column) {
            Some(Value::Null) | None if field == "id" => {
                out.insert("id".into(), Value::String(format!("row{line_no}")));
            }
            Some(Value::String(s)) => {
                out.insert(field.clone(), Value::String(s.clone()));
            }
            Some(v @ (Value::Number(_) | Value::Bool(_))) => {
                out.insert(field.clone(), Value::String(v.to_string()));
            }
            Some(other) => return Err(format!("{at}: field `{column}` (mapped to `{field}`) should be text, found {other}")),
            None => return Err(format!("{at}: missing field `{column}` (mapped to `{field}`)")),
        }
    }
    Ok(out)
}
