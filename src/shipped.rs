//! The stdlib and the shipped workflows, compiled into the binary. A binary
//! installed away from its source (`pip install`, `cargo install`) unpacks
//! them once into the cache and reads them from there.

use crate::setup_error::{io, SetupError};
use include_dir::{include_dir, Dir};
use std::path::PathBuf;

static STDLIB: Dir<'_> = include_dir!("$CARGO_MANIFEST_DIR/stdlib");
static WORKFLOWS: Dir<'_> = include_dir!("$CARGO_MANIFEST_DIR/workflows");

/// A folder holding `stdlib/` and `workflows/` as this binary was built with.
pub fn unpacked() -> Result<PathBuf, SetupError> {
    static FINGERPRINT: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    let fp = FINGERPRINT.get_or_init(fingerprint);
    let dir = crate::pypi::cache_dir().join(format!("share-{}-{fp}", env!("CARGO_PKG_VERSION")));
    let marker = dir.join(".complete");
    if marker.is_file() {
        return Ok(dir);
    }
    let tmp = dir.with_extension(format!("partial-{}", std::process::id()));
    let unpack = || -> std::io::Result<()> {
        std::fs::create_dir_all(tmp.join("stdlib"))?;
        std::fs::create_dir_all(tmp.join("workflows"))?;
        STDLIB.extract(tmp.join("stdlib"))?;
        WORKFLOWS.extract(tmp.join("workflows"))?;
        std::fs::write(tmp.join(".complete"), "")
    };
    unpack().map_err(io("unpack the built-in stdlib into", &tmp))?;
    // Another process may have unpacked it meanwhile: theirs is as good as ours.
    if std::fs::rename(&tmp, &dir).is_err() && marker.is_file() {
        if let Err(e) = std::fs::remove_dir_all(&tmp) {
            tracing::debug!("left {}: {e}", tmp.display());
        }
    }
    if marker.is_file() {
        Ok(dir)
    } else {
        Err(SetupError::Incomplete(dir))
    }
}

/// A shipped workflow by name: `@regenesis`, `@ablations/no-hint`,
/// `@baselines/star`. Where a user types a workflow file, `@name` works from
/// any folder; a name that is not shipped is refused with the list.
pub fn workflow(name: &str) -> Result<PathBuf, SetupError> {
    let name = name.trim_end_matches(".regen");
    let listed = names();
    if !listed.iter().any(|n| n == name) {
        let hint = crate::diagnostic::did_you_mean(name, listed.iter().map(String::as_str))
            .map_or(String::new(), |h| format!("; {h}"));
        return Err(SetupError::NoShippedWorkflow {
            name: name.to_string(),
            hint,
        });
    }
    Ok(unpacked()?.join("workflows").join(format!("{name}.regen")))
}

/// Every shipped workflow's name, as `@name` takes it.
pub fn names() -> Vec<String> {
    let mut out = Vec::new();
    let mut stack = vec![&WORKFLOWS];
    while let Some(dir) = stack.pop() {
        for f in dir
            .files()
            .filter(|f| f.path().extension().is_some_and(|x| x == "regen"))
        {
            out.push(
                f.path()
                    .with_extension("")
                    .to_string_lossy()
                    .replace('\\', "/"),
            );
        }
        stack.extend(dir.dirs());
    }
    out.sort();
    out
}

/// A shipped workflow's first comment line: what it is.
pub fn summary(name: &str) -> String {
    let text = WORKFLOWS
        .get_file(format!("{name}.regen"))
        .and_then(|f| f.contents_utf8())
        .unwrap_or("");
    text.lines()
        .find_map(|l| l.trim().strip_prefix('#'))
        .map(|l| l.trim().to_string())
        .unwrap_or_default()
}

/// The content's fingerprint: an unpacked copy is reused only by a binary
/// built with the same files (a rebuilt binary never reads a stale copy).
fn fingerprint() -> String {
    let mut h = blake3::Hasher::new();
    let mut stack = vec![&STDLIB, &WORKFLOWS];
    while let Some(dir) = stack.pop() {
        for f in dir.files() {
            h.update(f.path().to_string_lossy().as_bytes());
            h.update(&(f.contents().len() as u64).to_le_bytes());
            h.update(f.contents());
        }
        stack.extend(dir.dirs());
    }
    h.finalize().to_hex()[..12].to_string()
}
