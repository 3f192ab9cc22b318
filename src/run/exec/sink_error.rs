//! Why a sink cannot write where it says: found before the first call (the
//! preflight) or when it opens. Data; the run's error renders it.

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum SinkError {
    #[error("the run folder {} is a file, not a folder\n  help: give --run-dir a folder", .0.display())]
    RunDirIsFile(PathBuf),
    #[error("sink `{sink}` cannot write {}: {problem}", path.display())]
    Target {
        sink: String,
        path: PathBuf,
        problem: TargetProblem,
    },
    #[error("sinks `{first}` and `{second}` both write {}\n  help: give each sink its own `path:`", path.display())]
    Shared {
        first: String,
        second: String,
        path: PathBuf,
    },
}

/// What is wrong with one sink's target.
#[derive(Debug, thiserror::Error)]
pub enum TargetProblem {
    #[error("`path: {0:?}` names no file\n  help: give the sink a file name, e.g. `path: \"train.jsonl\"`")]
    NoFileName(String),
    #[error("{} is a file, not a folder\n  help: move that file away, or give the sink another `path:`", .0.display())]
    FileForFolder(PathBuf),
    #[error("cannot create the folder {}: {source}", folder.display())]
    CreateFolder {
        folder: PathBuf,
        source: std::io::Error,
    },
    #[error("its folder is really {}, outside the run folder {} (a symlink inside the run folder leads out)\n  help: remove the symlink, or run with --allow-outside", real.display(), run.display())]
    Escapes { real: PathBuf, run: PathBuf },
    #[error("{} is a symlink; regen writes its output files itself\n  help: remove the symlink (the run writes a fresh file there)", .0.display())]
    Symlink(PathBuf),
    #[error("{} is a folder\n  help: move it away, or give the sink another `path:`", .0.display())]
    Folder(PathBuf),
    #[error("{0}")]
    Create(std::io::Error),
}
