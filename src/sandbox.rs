//! Where a workflow may read and write: its own project tree (the nearest folder
//! above it holding `.git` or `stdlib/`, else its own folder), regen's stdlib and
//! shipped workflows, and paths given on the command line. A source, pool, prompt
//! or `extends` elsewhere — `../../etc/passwd`, an absolute path, a symlink that
//! leads out — is an error unless `--allow-outside` is given. Sinks write under
//! the run folder only.

use std::path::{Component, Path, PathBuf};

#[derive(Debug, Clone, Default)]
pub struct Sandbox {
    roots: Vec<PathBuf>,
    pub open: bool,
}

impl Sandbox {
    pub fn new(workflow: &Path, stdlib: &Path, given: &[String], open: bool) -> Self {
        let mut roots = vec![tree_root(workflow), real(stdlib)];
        if let Some(shipped) = stdlib.parent() {
            roots.push(real(&shipped.join("workflows")));
        }
        roots.extend(given.iter().map(Path::new).filter(|p| p.exists()).map(real));
        Sandbox { roots, open }
    }

    /// An open sandbox (`--allow-outside`, or library use without a policy).
    pub fn open() -> Self {
        Sandbox {
            roots: vec![],
            open: true,
        }
    }

    pub fn permits(&self, p: &Path) -> bool {
        self.open || {
            let p = real(p);
            self.roots.iter().any(|r| p.starts_with(r))
        }
    }

    pub fn help(&self) -> String {
        "a workflow reads only inside its project tree (the folder above it holding .git or stdlib/), regen's stdlib, and paths given on the command line (e.g. `--set data=/path/file.jsonl`); --allow-outside lifts this".into()
    }
}

/// The project a workflow belongs to.
fn tree_root(workflow: &Path) -> PathBuf {
    let file = real(workflow);
    let dir = file.parent().map(Path::to_path_buf).unwrap_or_default();
    dir.ancestors()
        .find(|d| d.join(".git").exists() || d.join("stdlib").is_dir())
        .map_or(dir.clone(), Path::to_path_buf)
}

/// The real location of a path: symlinks of its existing part resolved, `..` folded.
pub fn real(p: &Path) -> PathBuf {
    let abs = if p.is_absolute() {
        p.to_path_buf()
    } else {
        std::env::current_dir().unwrap_or_default().join(p)
    };
    let mut existing = abs.clone();
    let mut rest = Vec::new();
    while !existing.exists() {
        match (
            existing.file_name().map(|n| n.to_os_string()),
            existing.parent(),
        ) {
            (Some(name), Some(parent)) => {
                rest.push(name);
                existing = parent.to_path_buf();
            }
            _ => break,
        }
    }
    let mut out = std::fs::canonicalize(&existing).unwrap_or(existing);
    for name in rest.into_iter().rev() {
        out.push(name);
    }
    let mut clean = PathBuf::new();
    for c in out.components() {
        match c {
            Component::ParentDir => {
                clean.pop();
            }
            Component::CurDir => {}
            other => clean.push(other),
        }
    }
    clean
}

/// `path` with `suffix` added to its whole file name (`train.json` → `train.json.partial`):
/// unlike `with_extension`, two names that differ only in their extension stay apart.
pub fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_os_string();
    name.push(suffix);
    PathBuf::from(name)
}

/// A new file at `path`, never one planted there: a symlink (or stale file) at
/// the name is removed, not followed, and the file is created exclusively.
/// For temporary names inside the run folder, which could otherwise lead out.
pub fn create_fresh(path: &Path) -> std::io::Result<std::fs::File> {
    if path.symlink_metadata().is_ok() {
        std::fs::remove_file(path)?;
    }
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
}
