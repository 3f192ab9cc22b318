//! The embedded default model: a model declared `local = true` runs on a
//! llama.cpp server that regen sets up (once, cached) and starts and stops
//! around the run, so a fresh machine needs no server of its own.

pub mod progress;
pub mod server;
pub mod setup;

use crate::model_settings::ModelSettings;
use crate::setup_error::{io, SetupError};
use server::{LocalServer, ServerSpec};
use std::path::Path;

/// Set up (if needed) and start the local server for one model declaration.
pub async fn start(
    alias: &str,
    settings: &ModelSettings,
    run_dir: &Path,
) -> Result<LocalServer, SetupError> {
    let cache = crate::pypi::cache_dir();
    std::fs::create_dir_all(&cache).map_err(io("create the cache folder", &cache))?;
    let c = cache.clone();
    // Concurrent runs share one cache: the lock makes the second wait for the first's build.
    let (weights, binary) = tokio::task::spawn_blocking(move || {
        let _lock = CacheLock::take(&c)?;
        Ok::<_, SetupError>((setup::weights(&c)?, setup::server_binary(&c)?))
    })
    .await
    .map_err(|e| SetupError::Stopped(e.to_string()))??;
    let (slots, context) = (settings.local_slots(), settings.local_context());
    let log = run_dir.join(format!("llama-server-{alias}.log"));
    tracing::info!(
        "local model: starting llama-server ({slots} slots, {context} tokens each) — log {}",
        log.display()
    );
    let started = std::time::Instant::now();
    let spec = ServerSpec {
        binary: &binary,
        weights: &weights,
        slots,
        context,
        threads: settings.local_threads.map(|t| t as usize),
        log: &log,
    };
    let s = LocalServer::start(&spec).await?;
    tracing::info!(
        "local model: ready at {} in {:.1} s",
        s.base_url,
        started.elapsed().as_secs_f64()
    );
    Ok(s)
}

/// An exclusive advisory lock on the cache folder, released on drop.
struct CacheLock(std::fs::File);

impl CacheLock {
    fn take(cache: &Path) -> Result<Self, SetupError> {
        use std::os::fd::AsRawFd;
        let path = cache.join(".lock");
        let f = std::fs::File::create(&path).map_err(io("create", &path))?;
        // SAFETY: flock on a descriptor this File owns.
        if unsafe { libc::flock(f.as_raw_fd(), libc::LOCK_EX) } != 0 {
            return Err(io("lock", &path)(std::io::Error::last_os_error()));
        }
        Ok(CacheLock(f))
    }
}

impl Drop for CacheLock {
    fn drop(&mut self) {
        use std::os::fd::AsRawFd;
        // SAFETY: as above.
        unsafe { libc::flock(self.0.as_raw_fd(), libc::LOCK_UN) };
    }
}
