//! Parquet in and out (arrow-rs). A source streams one file or a folder of
//! shards (the Hugging Face layout, `train-00000-of-00003.parquet` …) row group
//! by row group, so memory stays bounded; a sink's records are converted from
//! its finished JSONL partial into a Parquet file written under a temporary
//! name and renamed, exactly once like the JSONL sinks.

use crate::data_error::{io, DataError};
use arrow_array::RecordBatch;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use parquet::arrow::ArrowWriter;
use serde_json::{Map, Value};
use std::io::BufRead;
use std::path::{Path, PathBuf};
use tokio::sync::mpsc;

/// One row of a source: where it is (for messages), and its object or why not.
pub struct Row {
    pub place: Place,
    pub raw: String,
    pub object: Result<Map<String, Value>, RowProblem>,
}

/// Why a row is not a record: its place and the problem, in words (a bad row
/// is data the run counts, skips or stops on, not an error of regen's).
#[derive(Debug, Clone)]
pub struct RowProblem(pub String);

impl std::fmt::Display for RowProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Where a row is: a JSONL line number, or a Parquet `file:row-group:row`.
/// Put into words only for a message (a good row needs none).
pub enum Place {
    Line(u64),
    Parquet(String),
}

impl Place {
    /// `file:line` or `file:row-group:row`, for messages.
    pub fn at(&self, path: &Path) -> String {
        match self {
            Place::Line(n) => format!("{}:{n}", path.display()),
            Place::Parquet(at) => at.clone(),
        }
    }

    /// As `regen show` lists a skipped row: `line N`, or `file:row-group:row`.
    pub fn listed(&self) -> String {
        match self {
            Place::Line(n) => format!("line {n}"),
            Place::Parquet(at) => at.clone(),
        }
    }
}

/// The files of a Parquet source: the file itself, or the `.parquet` files of
/// one split of a folder, in name order (see `dataset_split`).
pub fn files(path: &Path, split: &str) -> Result<Vec<PathBuf>, DataError> {
    if path.is_file() {
        return Ok(vec![path.to_path_buf()]);
    }
    let mut out = Vec::new();
    let mut stack = vec![path.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let entries = std::fs::read_dir(&dir).map_err(io("read dataset", &dir))?;
        for e in entries {
            let e = e.map_err(io("read dataset", &dir))?;
            let p = e.path();
            // The sandbox checked the folder itself; a link inside it could lead anywhere.
            if e.file_type().map_err(io("read", &p))?.is_symlink() {
                return Err(DataError::Symlink {
                    folder: path.to_path_buf(),
                    link: p,
                });
            }
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == "parquet") {
                out.push(p);
            }
        }
    }
    out.sort();
    if out.is_empty() {
        return Err(DataError::NoParquet(path.to_path_buf()));
    }
    crate::dataset_split::select(path, out, split)
}

/// Streams the rows of every file, row group by row group, into a bounded channel.
pub fn rows(path: &Path, split: &str) -> Result<mpsc::Receiver<Result<Row, DataError>>, DataError> {
    let files = files(path, split)?;
    if path.is_dir() {
        let names: Vec<String> = files
            .iter()
            .map(|f| f.strip_prefix(path).unwrap_or(f).display().to_string())
            .collect();
        tracing::info!(
            "reading the `{split}` split of {}: {}",
            path.display(),
            names.join(", ")
        );
    }
    let (tx, rx) = mpsc::channel(1024);
    std::thread::Builder::new()
        .name("regen-parquet".into())
        .spawn(move || {
            for f in files {
                if let Err(e) = read_file(&f, &mut |row| tx.blocking_send(Ok(row)).is_ok()) {
                    // The receiver may be gone (the run stopped): nothing more to say then.
                    if tx.blocking_send(Err(e)).is_err() {
                        return;
                    }
                }
            }
        })
        .map_err(DataError::ReaderThread)?;
    Ok(rx)
}

/// Calls `each` for every row of one file, in order, until it says stop.
fn read_file(f: &Path, each: &mut dyn FnMut(Row) -> bool) -> Result<(), DataError> {
    let open = || -> Result<ParquetRecordBatchReaderBuilder<std::fs::File>, DataError> {
        let file = std::fs::File::open(f).map_err(io("read dataset", f))?;
        ParquetRecordBatchReaderBuilder::try_new(file).map_err(|source| DataError::NotParquet {
            path: f.to_path_buf(),
            source,
        })
    };
    let groups = open()?.metadata().num_row_groups();
    for g in 0..groups {
        let reader = open()?
            .with_row_groups(vec![g])
            .with_batch_size(1024)
            .build()
            .map_err(|source| DataError::RowGroup {
                path: f.to_path_buf(),
                group: g,
                source,
            })?;
        let mut row = 0usize;
        for batch in reader {
            let batch = batch.map_err(|source| DataError::Decode {
                path: f.to_path_buf(),
                group: g,
                source,
            })?;
            let objects = to_objects(&batch).map_err(|source| DataError::Convert {
                path: f.to_path_buf(),
                group: g,
                source,
            })?;
            for object in objects {
                let place = Place::Parquet(format!("{}:{g}:{row}", f.display()));
                row += 1;
                let raw = Value::Object(object.clone()).to_string();
                if !each(Row {
                    place,
                    raw,
                    object: Ok(object),
                }) {
                    return Ok(());
                }
            }
        }
    }
    Ok(())
}

fn to_objects(batch: &RecordBatch) -> Result<Vec<Map<String, Value>>, arrow_schema::ArrowError> {
    // Nulls written out, so a null mapped field is reported as null, not as missing.
    let mut w = arrow_json::WriterBuilder::new()
        .with_explicit_nulls(true)
        .build::<_, arrow_json::writer::JsonArray>(Vec::new());
    w.write(batch)?;
    w.finish()?;
    let bytes = w.into_inner();
    if bytes.is_empty() {
        return Ok(vec![]);
    }
    let rows: Vec<Value> = serde_json::from_slice(&bytes)
        .map_err(|e| arrow_schema::ArrowError::JsonError(e.to_string()))?;
    Ok(rows
        .into_iter()
        .filter_map(|v| {
            if let Value::Object(m) = v {
                Some(m)
            } else {
                None
            }
        })
        .collect())
}

/// Writes a finished JSONL file's records as Parquet (schema inferred from all
/// lines; chat records keep `messages` as a list of structs), via a temporary name.
pub fn write_from_jsonl(jsonl: &Path, target: &Path) -> Result<(), DataError> {
    let open = || {
        std::fs::File::open(jsonl)
            .map(std::io::BufReader::new)
            .map_err(io("read", jsonl))
    };
    let records = |source| DataError::Records {
        path: jsonl.to_path_buf(),
        source,
    };
    let values = open()?.lines().map(|l| {
        l.map_err(arrow_schema::ArrowError::from).and_then(|l| {
            serde_json::from_str::<Value>(&l)
                .map_err(|e| arrow_schema::ArrowError::JsonError(e.to_string()))
        })
    });
    let schema = std::sync::Arc::new(
        arrow_json::reader::infer_json_schema_from_iterator(values).map_err(records)?,
    );
    let tmp = crate::sandbox::with_suffix(target, ".partial");
    // A fresh file, never one planted there (a symlink could lead out of the run folder).
    let out = crate::sandbox::create_fresh(&tmp).map_err(io("write", &tmp))?;
    let encode = |action| {
        let path = tmp.clone();
        move |source| DataError::Encode {
            action,
            path,
            source,
        }
    };
    let mut writer = ArrowWriter::try_new(out, schema.clone(), None).map_err(encode("starting"))?;
    let reader = arrow_json::ReaderBuilder::new(schema)
        .with_batch_size(8192)
        .build(open()?)
        .map_err(records)?;
    for batch in reader {
        let batch = batch.map_err(records)?;
        writer.write(&batch).map_err(encode("writing"))?;
    }
    let file = writer.into_inner().map_err(encode("finishing"))?;
    file.sync_all().map_err(io("sync", &tmp))?;
    std::fs::rename(&tmp, target).map_err(io("rename into place", &tmp))
}

/// Every row of a Parquet file or folder as one JSON object per line (for the
/// dataset importers, which read the hub's JSONL exports the same way).
pub fn as_jsonl(path: &Path, split: &str) -> Result<String, DataError> {
    let mut out = String::new();
    for f in files(path, split)? {
        read_file(&f, &mut |row| {
            out.push_str(&row.raw);
            out.push('\n');
            true
        })?;
    }
    Ok(out)
}

/// Rows in a Parquet file or folder, from the footers (no data is read).
pub fn row_count(path: &Path, split: &str) -> Option<usize> {
    let mut n = 0usize;
    for f in files(path, split).ok()? {
        let file = std::fs::File::open(&f).ok()?;
        let meta = ParquetRecordBatchReaderBuilder::try_new(file)
            .ok()?
            .metadata()
            .file_metadata()
            .num_rows();
        n += usize::try_from(meta).ok()?;
    }
    Some(n)
}
