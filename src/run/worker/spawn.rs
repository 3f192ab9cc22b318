//! How a step's program is started: its command line, folder and (for a
//! Python interpreter) its real path, and why it could not start.

use crate::run::worker::protocol::ErrorInfo;
use std::path::PathBuf;

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
