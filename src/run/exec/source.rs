//! Reading a JSONL source as a stream, with the field mapping and a bad-row policy.

use crate::data_error::DataError;
use crate::parquet::{Place, Row, RowProblem};
use crate::record::{lineage_id, Rec};
use crate::workflow::DataFormat;
use serde_json::{Map, Value};
use tokio::io::{AsyncBufReadExt, BufReader};

pub struct SourceSpec {
    pub node: usize,
    pub name: String,
    pub path: std::path::PathBuf,
    /// record field → column
    pub fields: Vec<(String, String)>,
    pub skip_bad: bool,
    /// The ground-truth field: a row whose label is blank is a bad row (it would match anything).
    pub label: Option<String>,
    /// The split a folder source reads.
    pub split: String,
    pub limit: Option<u64>,
    pub format: DataFormat,
    /// Only the rows of this shard (numbered as in the whole file).
    pub shard: Option<crate::run::exec::shard::Shard>,
}

/// Why a source stopped the run.
#[derive(Debug, thiserror::Error)]
pub enum RowError {
    #[error("{0}")]
    Data(#[from] DataError),
    #[error("cannot read dataset {}: {source}", path.display())]
    Open {
        path: std::path::PathBuf,
        source: std::io::Error,
    },
    #[error("{}:{line}: {source}", path.display())]
    Read {
        path: std::path::PathBuf,
        line: u64,
        source: std::io::Error,
    },
    /// A bad row, and the source says `on_bad_row: fail` (the default).
    #[error("{problem}{}\n  help: fix the row, or add `on_bad_row: skip` to the source to skip bad rows (each is counted and listed by `regen show`)", processed_note(*processed))]
    Bad { problem: RowProblem, processed: u64 },
    #[error("dataset {} is empty\n  help: {}", path.display(), empty_help(*format))]
    Empty {
        path: std::path::PathBuf,
        format: DataFormat,
    },
}

fn processed_note(rows: u64) -> String {
    if rows > 0 {
        format!(" ({rows} rows before it were processed; their calls are cached)")
    } else {
        String::new()
    }
}

fn empty_help(format: DataFormat) -> &'static str {
    match format {
        DataFormat::Jsonl => "point the source at a JSONL file with one object per line",
        DataFormat::Parquet => {
            "point the source at a Parquet file, or a folder of .parquet shards, with rows in it"
        }
    }
}

/// A row skipped under `on_bad_row: skip`: where, why, and the line itself.
pub struct SkippedRow {
    /// Where: `file:line` (JSONL) or `file:row-group:row` (Parquet).
    pub line: String,
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

/// Where rows come from: JSONL lines, or Parquet rows streamed from a reader thread.
enum Rows {
    Jsonl {
        lines: tokio::io::Lines<BufReader<tokio::fs::File>>,
        line_no: u64,
    },
    Parquet(tokio::sync::mpsc::Receiver<Result<Row, DataError>>),
}

impl Rows {
    async fn open(spec: &SourceSpec) -> Result<Rows, RowError> {
        match spec.format {
            DataFormat::Parquet => Ok(Rows::Parquet(crate::parquet::rows(
                &spec.path,
                &spec.split,
            )?)),
            DataFormat::Jsonl => {
                let file =
                    tokio::fs::File::open(&spec.path)
                        .await
                        .map_err(|source| RowError::Open {
                            path: spec.path.clone(),
                            source,
                        })?;
                // Each refill is a trip to tokio's blocking pool and back: take 64 KiB at a time, not 8.
                Ok(Rows::Jsonl {
                    lines: BufReader::with_capacity(64 * 1024, file).lines(),
                    line_no: 0,
                })
            }
        }
    }

    /// The next non-empty row, or `None` at the end.
    async fn next(&mut self, path: &std::path::Path) -> Result<Option<Row>, RowError> {
        match self {
            Rows::Parquet(rx) => Ok(rx.recv().await.transpose()?),
            Rows::Jsonl { lines, line_no } => loop {
                let line = match lines.next_line().await {
                    Ok(Some(l)) => l,
                    Ok(None) => return Ok(None),
                    Err(source) => {
                        return Err(RowError::Read {
                            path: path.to_path_buf(),
                            line: *line_no + 1,
                            source,
                        })
                    }
                };
                *line_no += 1;
                if line.trim().is_empty() {
                    continue;
                }
                let place = Place::Line(*line_no);
                let object = match serde_json::from_str::<Value>(&line) {
                    Ok(Value::Object(m)) => Ok(m),
                    Ok(_) => Err(RowProblem(format!(
                        "{}: expected a JSON object per line",
                        place.at(path)
                    ))),
                    Err(e) => Err(RowProblem(format!(
                        "{}: not valid JSON: {e}",
                        place.at(path)
                    ))),
                };
                return Ok(Some(Row {
                    place,
                    raw: line,
                    object,
                }));
            },
        }
    }
}

/// Calls `emit` for every good row, in order.
pub async fn read<F, Fut>(spec: &SourceSpec, mut emit: F) -> Result<SourceCount, RowError>
where
    F: FnMut(Rec) -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let mut rows = Rows::open(spec).await?;
    let (mut row, mut taken) = (0u64, 0u64);
    let mut count = SourceCount::default();
    let mut seen_any = false;
    while let Some(r) = rows.next(&spec.path).await? {
        seen_any = true;
        if spec.limit.is_some_and(|l| row >= l) {
            break;
        }
        let mapped = r.object.and_then(|obj| {
            map_row(&obj, spec, row)
                .map_err(|m| RowProblem(format!("{}: {m}", r.place.at(&spec.path))))
        });
        match mapped {
            Ok(fields) => {
                let key = fields
                    .get("id")
                    .map(|v| v.as_str().map_or(v.to_string(), str::to_string))
                    .unwrap_or_else(|| row.to_string());
                let rec = Rec {
                    lineage: lineage_id(spec.node, row),
                    key: format!("{}:{key}", spec.name),
                    fields,
                };
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
                    count.skipped_rows.push(SkippedRow {
                        line: r.place.listed(),
                        reason: msg.0,
                        raw: r.raw.chars().take(2000).collect(),
                    });
                }
            }
            Err(problem) => {
                return Err(RowError::Bad {
                    problem,
                    processed: row,
                })
            }
        }
    }
    if !seen_any {
        return Err(RowError::Empty {
            path: spec.path.clone(),
            format: spec.format,
        });
    }
    count.rows = taken;
    Ok(count)
}

/// The record's fields from a row; an error says what is wrong, not where.
fn map_row(
    obj: &Map<String, Value>,
    spec: &SourceSpec,
    row: u64,
) -> Result<Map<String, Value>, RowProblem> {
    let mut out = Map::new();
    for (field, column) in &spec.fields {
        match obj.get(column) {
            Some(Value::Null) | None if field == "id" => {
                out.insert("id".into(), Value::String(format!("row{}", row + 1)));
            }
            Some(Value::String(s))
                if s.trim().is_empty() && spec.label.as_deref() == Some(field.as_str()) =>
            {
                return Err(RowProblem(format!("the label `{field}` (column `{column}`) is blank; a row needs its ground-truth answer")));
            }
            Some(Value::String(s)) => {
                out.insert(field.clone(), Value::String(s.clone()));
            }
            Some(v @ (Value::Number(_) | Value::Bool(_))) => {
                out.insert(field.clone(), Value::String(v.to_string()));
            }
            Some(Value::Null) => {
                return Err(RowProblem(format!(
                    "field `{column}` (mapped to `{field}`) is null"
                )))
            }
            Some(other) => {
                return Err(RowProblem(format!(
                    "field `{column}` (mapped to `{field}`) should be text, found {other}"
                )))
            }
            None => {
                return Err(RowProblem(format!(
                    "missing field `{column}` (mapped to `{field}`)"
                )))
            }
        }
    }
    Ok(out)
}
