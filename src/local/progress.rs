//! Progress of the llama.cpp build: ninja prints `[N/M]` (make prints `[ NN%]`)
//! on each line; a bar on a terminal, a line every ten seconds otherwise. The
//! full output still goes to the log, whose tail is shown when the build fails.

use crate::setup_error::{io, SetupError};
use indicatif::{ProgressBar, ProgressStyle};
use std::io::{BufRead, IsTerminal, Write};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// `[12/310]` → (12, 310); `[ 45%]` → (45, 100).
pub fn step(line: &str) -> Option<(u64, u64)> {
    let inner = line
        .trim_start()
        .strip_prefix('[')?
        .split(']')
        .next()?
        .trim();
    if let Some(pct) = inner.strip_suffix('%') {
        return Some((pct.trim().parse().ok()?, 100));
    }
    let (n, m) = inner.split_once('/')?;
    Some((n.trim().parse().ok()?, m.trim().parse().ok()?))
}

/// Run the build with its output in `log`, showing progress; on failure, the log's tail and path.
pub fn run(cmd: &mut Command, log: &Path, what: &str) -> Result<(), SetupError> {
    let mut file = std::fs::File::create(log).map_err(io("write", log))?;
    let shown = format!("{cmd:?}");
    let mut child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|source| SetupError::Spawn {
            program: shown.clone(),
            source,
        })?;
    // stderr goes to the log as it comes, on its own thread (a full pipe would stall the build).
    let err_log = file.try_clone().map_err(io("write", log))?;
    let stderr = child.stderr.take();
    let err_thread = std::thread::spawn(move || {
        let mut err_log = err_log;
        if let Some(s) = stderr {
            for line in std::io::BufReader::new(s).lines().map_while(Result::ok) {
                if writeln!(err_log, "{line}").is_err() {
                    break;
                }
            }
        }
    });
    let tty = std::io::stderr().is_terminal();
    let bar = tty.then(|| {
        let b = ProgressBar::new(0);
        b.set_style(
            ProgressStyle::with_template(
                "regen: local model: {msg} [{bar:30}] {pos}/{len} ({elapsed}, eta {eta})",
            )
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> "),
        );
        b.set_message(what.to_string());
        b
    });
    let mut last_line = Instant::now();
    if let Some(out) = child.stdout.take() {
        for line in std::io::BufReader::new(out).lines().map_while(Result::ok) {
            writeln!(file, "{line}").map_err(io("write", log))?;
            let Some((n, m)) = step(&line) else { continue };
            match &bar {
                Some(b) => {
                    b.set_length(m);
                    b.set_position(n);
                }
                None if last_line.elapsed() >= Duration::from_secs(10) => {
                    tracing::info!("local model: {what}: {n}/{m} ({}%)", n * 100 / m.max(1));
                    last_line = Instant::now();
                }
                None => {}
            }
        }
    }
    let status = child.wait().map_err(|source| SetupError::Wait {
        program: shown.clone(),
        source,
    })?;
    // The stderr thread ends when the pipe closes; a panic there only loses log lines.
    if err_thread.join().is_err() {
        tracing::warn!(
            "the build's stderr reader stopped early; {} may lack lines",
            log.display()
        );
    }
    if let Some(b) = bar {
        b.finish_and_clear();
    }
    if status.success() {
        return Ok(());
    }
    Err(SetupError::Failed {
        what: what.to_string(),
        status,
        tail: crate::pypi::log_tail(log, 20),
        log: log.to_path_buf(),
        advice: format!("the whole log is at {}", log.display()),
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn ninja_and_make_lines() {
        assert_eq!(
            super::step("[12/310] Building CXX object ggml.o"),
            Some((12, 310))
        );
        assert_eq!(super::step("[ 45%] Building C object"), Some((45, 100)));
        assert_eq!(super::step("-- Configuring done"), None);
    }
}
