//! Helpers for CLI tests: run the real `regen` binary like a user would.
#![allow(dead_code)]

use std::io::{BufRead, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

pub fn regen(args: &[&str]) -> Run {
    regen_in(&root(), args, &[])
}

pub fn regen_in(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Run {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_regen"));
    cmd.args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .env_remove("REGEN_STDLIB")
        .env_remove("OPENAI_BASE_URL");
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out: Output = cmd.output().expect("run regen");
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// Machine-specific paths replaced so golden files match on any clone.
pub fn normalise(s: &str) -> String {
    let root = root();
    let canon = std::fs::canonicalize(&root).unwrap_or(root.clone());
    s.replace(&canon.display().to_string(), "$ROOT")
        .replace(&root.display().to_string(), "$ROOT")
}

/// Compare with a golden file; `REGEN_BLESS=1` rewrites it.
pub fn golden(path: &Path, actual: &str) -> Result<(), String> {
    if std::env::var_os("REGEN_BLESS").is_some() {
        std::fs::write(path, actual).map_err(|e| e.to_string())?;
        return Ok(());
    }
    let expected = std::fs::read_to_string(path).map_err(|e| {
        format!(
            "{}: {e} (run with REGEN_BLESS=1 to create it)",
            path.display()
        )
    })?;
    if expected != actual {
        return Err(format!("{} differs (REGEN_BLESS=1 regenerates it)\n--- expected\n{expected}\n--- actual\n{actual}", path.display()));
    }
    Ok(())
}

pub fn files_with_ext(dir: &Path, ext: &str) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == ext) {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

/// The project's test server on a free port, stopped on drop.
pub struct Server {
    child: std::process::Child,
    pub url: String,
}

impl Server {
    pub fn start(args: &[&str]) -> Server {
        let answers = root().join("stdlib/data/arith-100.jsonl");
        let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_regen-test-server"))
            .arg("--answers")
            .arg(&answers)
            .args(args)
            .stdout(std::process::Stdio::piped())
            .spawn()
            .expect("start test server");
        let mut line = String::new();
        std::io::BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let url = line.trim().trim_start_matches("listening on ").to_string();
        Server { child, url }
    }
    /// Chat requests the server has answered.
    pub fn requests(&self) -> u64 {
        server_stats(&self.url).expect("the test server answers /stats")["requests"]
            .as_u64()
            .unwrap()
    }
}

/// A test server's `/stats` (what it has served); `None` once nothing listens at `url`.
pub fn server_stats(url: &str) -> Option<serde_json::Value> {
    let addr = url.trim_start_matches("http://").trim_end_matches("/v1");
    let mut s = std::net::TcpStream::connect(addr).ok()?;
    write!(s, "GET /stats HTTP/1.0\r\nHost: x\r\n\r\n").ok()?;
    let mut body = String::new();
    s.read_to_string(&mut body).ok()?;
    serde_json::from_str(body.split("\r\n\r\n").nth(1)?).ok()
}

impl Server {
    /// Kill the server now, as a replica that dies mid-run.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Run one step of a test's set-up; `Err` is the last line it wrote to stderr.
pub fn setup_step(c: &mut Command) -> Result<(), String> {
    let o = c.output().map_err(|e| e.to_string())?;
    if o.status.success() {
        Ok(())
    } else {
        Err(String::from_utf8_lossy(&o.stderr)
            .lines()
            .last()
            .unwrap_or("")
            .to_string())
    }
}

/// A venv under the temp folder (made by `REGEN_PYTHON`, else python3) with
/// `packages` installed from PyPI; its path, or why it could not be made.
pub fn pip_venv(name: &str, packages: &[&str]) -> Result<PathBuf, String> {
    let venv = std::env::temp_dir().join(name);
    let base = std::env::var("REGEN_PYTHON").unwrap_or_else(|_| "python3".into());
    setup_step(Command::new(base).args(["-m", "venv"]).arg(&venv))?;
    setup_step(
        Command::new(venv.join("bin/pip"))
            .args(["install", "-q"])
            .args(packages),
    )?;
    Ok(venv)
}
