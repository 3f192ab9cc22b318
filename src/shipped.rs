//! The stdlib and the shipped workflows, compiled into the binary. A binary
//! installed away from its source (`pip install`, `cargo install`) unpacks
//! them once into the cache and reads them from there.

use include_dir::{include_dir, Dir};
use std::path::PathBuf;

static STDLIB: Dir<'_> = include_dir!("$CARGO_MANIFEST_DIR/stdlib");
static WORKFLOWS: Dir<'_> = include_dir!("$CARGO_MANIFEST_DIR/workflows");

/// A folder holding `stdlib/` and `workflows/` as this binary was built with.
pub fn unpacked() -> Result<PathBuf, String> {
    let dir = crate::pypi::cache_dir().join(format!("share-{}", env!("CARGO_PKG_VERSION")));
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
    unpack().map_err(|e| format!("cannot unpack the built-in stdlib into {}: {e}", tmp.display()))?;
    // Another process may have unpacked it meanwhile: theirs is as good as ours.
    if std::fs::rename(&tmp, &dir).is_err() && marker.is_file() {
        if let Err(e) = std::fs::remove_dir_all(&tmp) {
            tracing::debug!("left {}: {e}", tmp.display());
        }
    }
    if marker.is_file() {
        Ok(dir)
    } else {
        Err(format!("cannot unpack the built-in stdlib into {}", dir.display()))
    }
}
