//! A worker's stderr, followed line by line into the run's log (tagged with
//! the step), with the last lines kept for the message when it dies.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::ChildStderr;

/// Lines of stderr kept for the message when a worker dies.
pub const TAIL: usize = 20;
/// The longest stderr line kept, in bytes (the rest of it is dropped).
const LINE_MAX: usize = 8 * 1024;

/// Reads `stderr` until it closes, in a task of its own.
pub fn follow(step: String, stderr: ChildStderr, keep: Arc<Mutex<VecDeque<String>>>) {
    tokio::spawn(async move {
        // Bytes, not text: a line that is not UTF-8 is shown lossily and the
        // reading goes on (a reader that stopped would close the pipe, and
        // the worker's next print would fail). A line is kept to LINE_MAX
        // bytes: a progress bar redrawn with `\r` for an hour, or 300 MB
        // without a newline, must not fill regen's memory or the store.
        let mut err = BufReader::new(stderr);
        let mut line: Vec<u8> = Vec::new();
        let mut cut = false;
        loop {
            let chunk = match err.fill_buf().await {
                Ok(c) if !c.is_empty() => c,
                Ok(_) | Err(_) => break,
            };
            let (take, ends) = match chunk.iter().position(|b| *b == b'\n') {
                Some(i) => (i + 1, true),
                None => (chunk.len(), false),
            };
            let room = LINE_MAX.saturating_sub(line.len());
            line.extend_from_slice(&chunk[..take.min(room)]);
            cut |= take > room;
            err.consume(take);
            if ends {
                keep_line(&step, &keep, &line, cut);
                line.clear();
                cut = false;
            }
        }
        if !line.is_empty() {
            keep_line(&step, &keep, &line, cut);
        }
    });
}

/// A stderr line to the log and to the tail kept for a death notice.
fn keep_line(step: &str, keep: &Mutex<VecDeque<String>>, bytes: &[u8], cut: bool) {
    let mut line = String::from_utf8_lossy(bytes)
        .trim_end_matches(['\n', '\r'])
        .to_string();
    if cut {
        line.push_str(" … (cut: longer than 8 KiB)");
    }
    tracing::info!("[{step}] {line}");
    let mut t = keep.lock().unwrap_or_else(|p| p.into_inner());
    if t.len() == TAIL {
        t.pop_front();
    }
    t.push_back(line);
}
