//! A `llama-server` child process on a free loopback port, started for one run
//! and stopped with it (also when regen itself is killed: the child is asked to
//! die with its parent).

use crate::setup_error::{io, SetupError};
use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};
use tokio::process::{Child, Command};

pub struct LocalServer {
    child: Child,
    pub base_url: String,
    pub log: std::path::PathBuf,
}

pub struct ServerSpec<'a> {
    pub binary: &'a Path,
    pub weights: &'a Path,
    /// Requests served at once (llama.cpp "slots").
    pub slots: usize,
    /// Context per slot, in tokens.
    pub context: usize,
    pub threads: Option<usize>,
    pub log: &'a Path,
}

impl LocalServer {
    pub async fn start(spec: &ServerSpec<'_>) -> Result<Self, SetupError> {
        let port = free_port()?;
        let log = std::fs::File::create(spec.log).map_err(io("write", spec.log))?;
        let err = log.try_clone().map_err(io("write", spec.log))?;
        let mut cmd = Command::new(spec.binary);
        cmd.arg("-m")
            .arg(spec.weights)
            .args(["--host", "127.0.0.1", "--port", &port.to_string()])
            .args(["--parallel", &spec.slots.to_string()])
            .args(["--ctx-size", &(spec.context * spec.slots).to_string()])
            .arg("--no-webui")
            .stdin(Stdio::null())
            .stdout(log)
            .stderr(err)
            .kill_on_drop(true);
        if let Some(t) = spec.threads {
            cmd.args(["--threads", &t.to_string()]);
        }
        die_with_parent(&mut cmd);
        let child = cmd.spawn().map_err(|source| SetupError::Spawn {
            program: spec.binary.display().to_string(),
            source,
        })?;
        let mut server = LocalServer {
            child,
            base_url: format!("http://127.0.0.1:{port}/v1"),
            log: spec.log.to_path_buf(),
        };
        server.wait_healthy(port, Duration::from_secs(180)).await?;
        Ok(server)
    }

    /// Poll `/health` until the model is loaded; fail early if the process exits.
    async fn wait_healthy(&mut self, port: u16, limit: Duration) -> Result<(), SetupError> {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(2))
            .build()?;
        let url = format!("http://127.0.0.1:{port}/health");
        let started = Instant::now();
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Err(SetupError::ServerNotReady {
                    problem: format!("exited ({status}) before it was ready"),
                    log: self.log.clone(),
                    tail: tail(&self.log),
                });
            }
            if let Ok(r) = http.get(&url).send().await {
                if r.status().is_success() {
                    return Ok(());
                }
            }
            if started.elapsed() > limit {
                return Err(SetupError::ServerNotReady {
                    problem: format!("did not become ready within {} s", limit.as_secs()),
                    log: self.log.clone(),
                    tail: tail(&self.log),
                });
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    pub async fn stop(mut self) {
        let _ = self.child.start_kill();
        let _ = self.child.wait().await;
    }
}

fn free_port() -> Result<u16, SetupError> {
    let l = std::net::TcpListener::bind("127.0.0.1:0").map_err(SetupError::NoPort)?;
    l.local_addr().map(|a| a.port()).map_err(SetupError::NoPort)
}

fn tail(log: &Path) -> String {
    let text = std::fs::read_to_string(log).unwrap_or_default();
    let lines: Vec<&str> = text.lines().rev().take(15).collect();
    lines.into_iter().rev().collect::<Vec<_>>().join("\n")
}

#[cfg(target_os = "linux")]
fn die_with_parent(cmd: &mut Command) {
    // SAFETY: prctl is async-signal-safe and touches only the child being set up.
    unsafe {
        cmd.pre_exec(|| {
            libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGTERM);
            Ok(())
        });
    }
}

#[cfg(not(target_os = "linux"))]
fn die_with_parent(_: &mut Command) {}
