//! One worker process: started, greeted, sent requests and read replies in
//! order (the pool decides how many are out and kills one that is too slow). Its stderr goes to the run's log,
//! tagged with the step, and the last lines are kept for a death notice.

use crate::run::worker::protocol::{self, ErrorInfo, HelloReply, Reply, Request};
pub use crate::run::worker::spawn::{resolved, Spawn, StartError};
use serde_json::Value;
use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::process::{Child, ChildStdin, ChildStdout};

/// How long a program may take to start and say hello (imports can be slow).
const HELLO_WAIT: Duration = Duration::from_secs(120);

/// What a worker said or did next.
pub enum Next {
    Reply(Result<(u64, Result<Value, ErrorInfo>), Trouble>),
    /// It exited; how.
    Exited(String),
}

/// What went wrong with a request, besides an error the program reported.
#[derive(Debug)]
pub enum Trouble {
    /// The worker ended before it replied: how it ended and its last stderr lines.
    Died(String),
    /// A reply that is not the protocol's (the worker has been killed).
    Protocol(String),
}

pub struct Process {
    child: Child,
    /// Its process group (its own pid): what it starts is killed with it.
    group: Option<i32>,
    /// `None` once closed (the protocol's goodbye).
    stdin: Option<ChildStdin>,
    stdout: BufReader<ChildStdout>,
    next_id: u64,
    tail: Arc<Mutex<VecDeque<String>>>,
    /// A reply line read in part (see `recv`).
    partial: Vec<u8>,
}

impl Process {
    pub async fn start(spec: &Spawn) -> Result<Process, StartError> {
        let shown = spec.shown();
        let mut cmd = tokio::process::Command::new(&spec.program);
        cmd.args(&spec.args)
            .current_dir(&spec.dir)
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .env("PYTHONIOENCODING", "utf-8")
            .kill_on_drop(true);
        #[cfg(unix)]
        {
            // Its own process group: a Ctrl-C at the terminal reaches regen, which
            // stops cleanly, and not the workers mid-call.
            cmd.process_group(0);
        }
        #[cfg(target_os = "linux")]
        // SAFETY: prctl is async-signal-safe and touches only the child's own state.
        unsafe {
            // A worker must not outlive a regen killed with -9.
            cmd.pre_exec(|| {
                if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL) != 0 {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            });
        }
        let mut child = cmd.spawn().map_err(|source| StartError::Spawn {
            program: shown.clone(),
            source,
        })?;
        let (Some(stdin), Some(stdout), Some(stderr)) =
            (child.stdin.take(), child.stdout.take(), child.stderr.take())
        else {
            return Err(StartError::Hello {
                program: shown,
                why: "its pipes could not be opened".into(),
            });
        };
        let tail = Arc::new(Mutex::new(VecDeque::new()));
        crate::run::worker::stderr_log::follow(spec.step.clone(), stderr, tail.clone());
        let group = child.id().and_then(|id| i32::try_from(id).ok());
        let mut p = Process {
            child,
            group,
            stdin: Some(stdin),
            stdout: BufReader::new(stdout),
            next_id: 0,
            tail,
            partial: Vec::new(),
        };
        let hello = protocol::HelloLine {
            hello: protocol::Hello {
                protocol: protocol::PROTOCOL,
                version: protocol::VERSION,
                step: &spec.step,
                batch: spec.batch,
            },
        };
        let fail = |why: String| StartError::Hello {
            program: shown.clone(),
            why,
        };
        let line = serde_json::to_string(&hello).map_err(|e| fail(e.to_string()))?;
        if let Err(e) = p.write_line(&line).await {
            let ended = p.ended().await;
            return Err(fail(format!("writing to it failed ({e}); {ended}")));
        }
        let reply = match tokio::time::timeout(HELLO_WAIT, read_line(&mut p.stdout, &mut p.partial))
            .await
        {
            Err(_) => {
                p.kill().await;
                return Err(fail(format!("no reply in {}s", HELLO_WAIT.as_secs())));
            }
            Ok(Ok(Some(l))) => l,
            Ok(Ok(None)) => return Err(fail(p.ended().await)),
            Ok(Err(e)) => return Err(fail(e.to_string())),
        };
        match serde_json::from_slice::<HelloReply>(&reply) {
            Ok(HelloReply {
                error: Some(info), ..
            }) => {
                p.kill().await;
                Err(StartError::Refused {
                    program: shown,
                    info,
                })
            }
            Ok(HelloReply { hello: Some(h), .. })
                if h.protocol == protocol::PROTOCOL && h.version == protocol::VERSION =>
            {
                Ok(p)
            }
            Ok(HelloReply { hello: Some(h), .. }) => {
                p.kill().await;
                Err(fail(format!(
                    "it speaks {} {}; regen speaks {} {}",
                    h.protocol,
                    h.version,
                    protocol::PROTOCOL,
                    protocol::VERSION
                )))
            }
            _ => {
                p.kill().await;
                Err(fail(format!(
                    "its first line is not a hello: {}",
                    cut(&String::from_utf8_lossy(&reply))
                )))
            }
        }
    }

    /// Writes one request; its id, which its reply must carry. Requests may be
    /// written before earlier ones are answered: the program reads them in
    /// order and answers in order.
    pub async fn send(
        &mut self,
        record: Option<&Value>,
        records: Option<&[Value]>,
    ) -> Result<u64, Trouble> {
        self.next_id += 1;
        let id = self.next_id;
        let line = serde_json::to_string(&Request {
            id,
            record,
            records,
        })
        .map_err(|e| Trouble::Protocol(format!("the request could not be written: {e}")))?;
        if self.write_line(&line).await.is_err() {
            return Err(Trouble::Died(self.ended().await));
        }
        Ok(id)
    }

    /// The next reply: its id and the result or the error the program
    /// reported. Cancel-safe (a line read in part is kept for the next call),
    /// so the caller may race it against a deadline.
    pub async fn recv(&mut self) -> Result<(u64, Result<Value, ErrorInfo>), Trouble> {
        let line = read_line(&mut self.stdout, &mut self.partial).await;
        self.parse(line).await
    }

    /// The next reply, or the worker's exit (how it ended) when that comes
    /// first: a worker can die while a process it started holds its output
    /// open, and no end of output would ever come. Cancel-safe.
    pub async fn next(&mut self) -> Next {
        tokio::select! {
            biased;
            line = read_line(&mut self.stdout, &mut self.partial) => Next::Reply(self.parse(line).await),
            status = self.child.wait() => Next::Exited(match status {
                Ok(s) => describe_status(s),
                Err(e) => format!("its status is unknown ({e})"),
            }),
        }
    }

    async fn parse(
        &mut self,
        line: std::io::Result<Option<Vec<u8>>>,
    ) -> Result<(u64, Result<Value, ErrorInfo>), Trouble> {
        let reply = match line {
            Ok(Some(l)) => l,
            Ok(None) | Err(_) => return Err(Trouble::Died(self.ended().await)),
        };
        match serde_json::from_slice::<Reply>(&reply) {
            Ok(Reply {
                id,
                ok: Some(v),
                error: None,
            }) => Ok((id, Ok(v))),
            Ok(Reply {
                id,
                ok: None,
                error: Some(e),
            }) => Ok((id, Err(e))),
            Ok(Reply { id, ok, .. }) => {
                self.kill().await;
                let has = if ok.is_some() {
                    "both `ok` and `error`"
                } else {
                    "neither `ok` nor `error`"
                };
                Err(Trouble::Protocol(format!(
                    "the reply to request {id} has {has}: {}",
                    cut(&String::from_utf8_lossy(&reply))
                )))
            }
            Err(e) => {
                self.kill().await;
                Err(Trouble::Protocol(format!(
                    "{e}: {}",
                    cut(&String::from_utf8_lossy(&reply))
                )))
            }
        }
    }

    /// Close its stdin (the protocol's goodbye) and wait a little; then kill it.
    /// Whatever it started and left running goes too.
    pub async fn close(mut self) {
        drop(self.stdin.take());
        if tokio::time::timeout(Duration::from_secs(2), self.child.wait())
            .await
            .is_err()
        {
            self.kill().await;
        }
        self.kill_group();
    }

    /// Kills it and every process it started (its process group).
    pub async fn kill(&mut self) {
        self.kill_group();
        if let Err(e) = self.child.kill().await {
            tracing::debug!("a worker could not be killed: {e}");
        }
    }

    /// Asks a Python worker to start none of the requests it holds (SIGUSR1):
    /// it finishes the call it is in and answers the rest "not started".
    pub fn ask_to_stop(&self) {
        #[cfg(unix)]
        if let Some(pid) = self.group {
            // SAFETY: kill only sends a signal to our own child.
            unsafe {
                libc::kill(pid, libc::SIGUSR1);
            }
        }
    }

    fn kill_group(&self) {
        #[cfg(unix)]
        if let Some(group) = self.group {
            // SAFETY: killpg only sends a signal. ESRCH (the group is already
            // gone) is the common case and means nothing is left to kill.
            unsafe {
                libc::killpg(group, libc::SIGKILL);
            }
        }
    }

    async fn write_line(&mut self, line: &str) -> std::io::Result<()> {
        // One write: the worker wakes once per request, not twice.
        let mut bytes = Vec::with_capacity(line.len() + 1);
        bytes.extend_from_slice(line.as_bytes());
        bytes.push(b'\n');
        let Some(stdin) = self.stdin.as_mut() else {
            return Err(std::io::ErrorKind::BrokenPipe.into());
        };
        stdin.write_all(&bytes).await?;
        stdin.flush().await
    }

    /// How the process ended, with the last lines it wrote to stderr.
    async fn ended(&mut self) -> String {
        let status = match tokio::time::timeout(Duration::from_secs(2), self.child.wait()).await {
            Ok(Ok(s)) => describe_status(s),
            Ok(Err(e)) => format!("its status is unknown ({e})"),
            Err(_) => {
                self.kill().await;
                "it closed its output and was killed".to_string()
            }
        };
        // Let the stderr reader catch the last lines.
        tokio::time::sleep(Duration::from_millis(20)).await;
        format!("{status}{}", self.last_words())
    }

    /// "; its last stderr lines: …" when it wrote any.
    pub fn last_words(&self) -> String {
        let tail = self.tail.lock().unwrap_or_else(|p| p.into_inner());
        if tail.is_empty() {
            String::new()
        } else {
            let lines: Vec<&str> = tail.iter().map(String::as_str).collect();
            format!("; its last stderr lines:\n{}", lines.join("\n"))
        }
    }
}

fn describe_status(s: std::process::ExitStatus) -> String {
    #[cfg(unix)]
    {
        use std::os::unix::process::ExitStatusExt;
        if let Some(sig) = s.signal() {
            let name = match sig {
                9 => " (SIGKILL)",
                15 => " (SIGTERM)",
                11 => " (SIGSEGV)",
                6 => " (SIGABRT)",
                _ => "",
            };
            return format!("the worker was killed by signal {sig}{name}");
        }
    }
    match s.code() {
        Some(c) => format!("the worker exited with status {c}"),
        None => "the worker ended".to_string(),
    }
}

/// The next non-empty line; `None` at the end of the output. What was read
/// of a line stays in `partial` when the caller gives up waiting.
async fn read_line(
    stdout: &mut BufReader<ChildStdout>,
    partial: &mut Vec<u8>,
) -> std::io::Result<Option<Vec<u8>>> {
    loop {
        if stdout.read_until(b'\n', partial).await? == 0 {
            return Ok(None);
        }
        // A whole line (or the last, unterminated one).
        let line = std::mem::take(partial);
        if line.iter().any(|b| !b.is_ascii_whitespace()) {
            return Ok(Some(line));
        }
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        // (kill_on_drop reaches the worker alone.)
        self.kill_group();
    }
}

/// A reply shown in a message: at most 300 characters.
fn cut(s: &str) -> String {
    let t: String = s.trim_end().chars().take(300).collect();
    if t.len() < s.trim_end().len() {
        format!("{t}…")
    } else {
        t
    }
}
