//! One worker process: started, greeted, sent requests and read replies in
//! order (the pool decides how many are out and kills one that is too slow). Its stderr goes to the run's log,
//! tagged with the step, and the last lines are kept for a death notice.

use crate::run::worker::protocol::{self, ErrorInfo, HelloReply, Reply, Request};
use serde_json::Value;
use std::collections::VecDeque;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::process::{Child, ChildStdin, ChildStdout};

/// How long a program may take to start and say hello (imports can be slow).
const HELLO_WAIT: Duration = Duration::from_secs(120);
/// Lines of stderr kept for the message when a worker dies.
const TAIL: usize = 20;

/// How to start the step's program.
#[derive(Debug, Clone)]
pub struct Spawn {
    pub step: String,
    pub program: PathBuf,
    pub args: Vec<String>,
    pub batch: Option<usize>,
    /// The folder it runs in (the workflow's).
    pub dir: PathBuf,
    /// The program is a Python interpreter: started once to ask for its real
    /// path (`sys.executable`), so launchers such as pyenv's shims run once
    /// per pool, not once per worker.
    pub python: bool,
}

/// `spec` with a Python interpreter replaced by its real path (as it is when
/// the interpreter cannot say: starting it will report the problem).
pub async fn resolved(spec: &Spawn) -> Spawn {
    let mut spec = spec.clone();
    if !spec.python {
        return spec;
    }
    let located = crate::check::functions::find_program(&spec.program);
    if let Some(real) = located.as_deref().and_then(crate::interpreter::real_path) {
        spec.program = real;
        return spec;
    }
    let asked = tokio::process::Command::new(&spec.program)
        .args(["-c", "import sys; sys.stdout.write(sys.executable or '')"])
        .current_dir(&spec.dir)
        .output()
        .await;
    match asked {
        Ok(o) if o.status.success() && !o.stdout.is_empty() => {
            let real = PathBuf::from(String::from_utf8_lossy(&o.stdout).into_owned());
            if real.is_file() {
                if let Some(located) = &located {
                    crate::interpreter::learned(located, &real.display().to_string());
                }
                spec.program = real;
            }
        }
        Ok(_) | Err(_) => {}
    }
    spec
}

impl Spawn {
    /// The command line as a person reads it (the worker script abbreviated).
    pub fn shown(&self) -> String {
        let mut words = vec![self.program.display().to_string()];
        for a in &self.args {
            words.push(if a.contains('\n') {
                "<regen worker>".into()
            } else {
                a.clone()
            });
        }
        words.join(" ")
    }
}

/// Why a program could not serve.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("cannot start `{program}`: {source}")]
    Spawn {
        program: String,
        source: std::io::Error,
    },
    #[error("`{program}` did not start: {info}")]
    Refused { program: String, info: ErrorInfo },
    #[error("`{program}` did not say hello in the step protocol: {why}")]
    Hello { program: String, why: String },
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
    stdin: ChildStdin,
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
        let (step, keep) = (spec.step.clone(), tail.clone());
        tokio::spawn(async move {
            let mut lines = BufReader::new(stderr).lines();
            while let Ok(Some(line)) = lines.next_line().await {
                tracing::info!("[{step}] {line}");
                let mut t = keep.lock().unwrap_or_else(|p| p.into_inner());
                if t.len() == TAIL {
                    t.pop_front();
                }
                t.push_back(line);
            }
        });
        let mut p = Process {
            child,
            stdin,
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
        let reply = match tokio::time::timeout(HELLO_WAIT, p.read_line()).await {
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
        let reply = match self.read_line().await {
            Ok(Some(l)) => l,
            Ok(None) | Err(_) => return Err(Trouble::Died(self.ended().await)),
        };
        match serde_json::from_slice::<Reply>(&reply) {
            Ok(Reply {
                id, ok: Some(v), ..
            }) => Ok((id, Ok(v))),
            Ok(Reply {
                id, error: Some(e), ..
            }) => Ok((id, Err(e))),
            Ok(Reply { id, ok: None, .. }) => Ok((id, Ok(Value::Null))),
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
    pub async fn close(mut self) {
        drop(self.stdin);
        if tokio::time::timeout(Duration::from_secs(2), self.child.wait())
            .await
            .is_err()
        {
            if let Err(e) = self.child.kill().await {
                tracing::debug!("a worker could not be killed: {e}");
            }
        }
    }

    pub async fn kill(&mut self) {
        if let Err(e) = self.child.kill().await {
            tracing::debug!("a worker could not be killed: {e}");
        }
    }

    async fn write_line(&mut self, line: &str) -> std::io::Result<()> {
        // One write: the worker wakes once per request, not twice.
        let mut bytes = Vec::with_capacity(line.len() + 1);
        bytes.extend_from_slice(line.as_bytes());
        bytes.push(b'\n');
        self.stdin.write_all(&bytes).await?;
        self.stdin.flush().await
    }

    /// The next non-empty line; `None` at the end of its output. What was
    /// read of a line stays in `partial` when the caller gives up waiting.
    async fn read_line(&mut self) -> std::io::Result<Option<Vec<u8>>> {
        loop {
            if self.stdout.read_until(b'\n', &mut self.partial).await? == 0 {
                return Ok(None);
            }
            // A whole line (or the last, unterminated one).
            let line = std::mem::take(&mut self.partial);
            if line.iter().any(|b| !b.is_ascii_whitespace()) {
                return Ok(Some(line));
            }
        }
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
        let tail = self.tail.lock().unwrap_or_else(|p| p.into_inner());
        if tail.is_empty() {
            status
        } else {
            let lines: Vec<&str> = tail.iter().map(String::as_str).collect();
            format!("{status}; its last stderr lines:\n{}", lines.join("\n"))
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

/// A reply shown in a message: at most 300 characters.
fn cut(s: &str) -> String {
    let t: String = s.trim_end().chars().take(300).collect();
    if t.len() < s.trim_end().len() {
        format!("{t}…")
    } else {
        t
    }
}
