//! Why a dataset could not be read or written: a Parquet file or folder, a
//! folder's splits, a dataset importer's rows. Data, not text: the CLI or the
//! run's error renders it (messages say where and what to do).

use arrow_schema::ArrowError;
use parquet::errors::ParquetError;
use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum DataError {
    #[error("cannot {action} {}: {source}", path.display())]
    Io {
        action: &'static str,
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("dataset folder {} holds a symlink, {}: regen does not follow links inside a dataset folder\n  help: copy the files in, or point the source at the folder the link leads to", folder.display(), link.display())]
    Symlink { folder: PathBuf, link: PathBuf },
    #[error("no .parquet files in {}", .0.display())]
    NoParquet(PathBuf),
    #[error("{} names more than one split ({})", file.display(), splits.join(", "))]
    ManySplits {
        file: PathBuf,
        splits: Vec<&'static str>,
    },
    #[error("no file in {} names a split, so none is `{split}`\n  help: point the source at the `{split}` files, or drop `split:` to read the folder whole", root.display())]
    NoNamedSplit { root: PathBuf, split: String },
    #[error("{} holds files of named splits and files of none ({}): regen cannot tell which split those belong to\n  help: point the source at one split's file or folder", root.display(), unnamed.join(", "))]
    MixedSplits { root: PathBuf, unnamed: Vec<String> },
    #[error("{} has no `{split}` split (it has: {})\n  help: name the split to read with `split: \"{}\"`", root.display(), found.join(", "), found.first().map_or("train", |s| s.as_str()))]
    NoSuchSplit {
        root: PathBuf,
        split: String,
        found: Vec<String>,
    },
    #[error("the `{split}` split of {} is in {} folders ({}): they are different configurations of the dataset\n  help: point the source at one of them", root.display(), configs.len(), configs.join(", "))]
    Configurations {
        root: PathBuf,
        split: String,
        configs: Vec<String>,
    },
    #[error("cannot start the Parquet reader: {0}")]
    ReaderThread(std::io::Error),
    #[error("{}: not a Parquet file: {source}", path.display())]
    NotParquet { path: PathBuf, source: ParquetError },
    #[error("{}: row group {group}: {source}", path.display())]
    RowGroup {
        path: PathBuf,
        group: usize,
        source: ParquetError,
    },
    #[error("{}:{group}: cannot decode the row group: {source}", path.display())]
    Decode {
        path: PathBuf,
        group: usize,
        source: ArrowError,
    },
    #[error("{}:{group}: {source}", path.display())]
    Convert {
        path: PathBuf,
        group: usize,
        source: ArrowError,
    },
    /// Reading JSONL records as Arrow (a sink's Parquet file).
    #[error("{}: {source}", path.display())]
    Records { path: PathBuf, source: ArrowError },
    #[error("{action} {}: {source}", path.display())]
    Encode {
        action: &'static str,
        path: PathBuf,
        source: ParquetError,
    },
    /// A dataset importer's row that is not what its layout promises.
    #[error("{at}: {problem}")]
    Row { at: String, problem: String },
}

/// `map_err` for an I/O step on `path`.
pub fn io(
    action: &'static str,
    path: impl Into<PathBuf>,
) -> impl FnOnce(std::io::Error) -> DataError {
    let path = path.into();
    move |source| DataError::Io {
        action,
        path,
        source,
    }
}

/// An importer's row problem at `at` (`file:line`).
pub fn bad_row(at: impl Into<String>, problem: impl Into<String>) -> DataError {
    DataError::Row {
        at: at.into(),
        problem: problem.into(),
    }
}
