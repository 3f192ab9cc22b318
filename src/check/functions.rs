//! `python` and `command` steps, checked before anything runs: the file is
//! inside the tree and exists, the function is defined in it (read
//! statically with the interpreter's `ast`, never imported; a text scan when
//! there is no interpreter), the interpreter and the program exist, and every
//! declared field is one the function returns (when its code says which).

use crate::diagnostic::Diagnostic;
use crate::interpreter::InterpreterOrigin;
use crate::reply_shape::ReplyShape;
use crate::sandbox::{real, Sandbox};
use crate::steps::{FunctionStep, Program};
use crate::workflow::{NodeDef, Workflow};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

const INSPECT_PY: &str = include_str!("inspect_function.py");

/// What the interpreter read of a function's file.
#[derive(Debug, Clone, serde::Deserialize)]
pub struct Inspection {
    pub defined: bool,
    pub defined_names: Vec<String>,
    /// The fields it returns, when every return (or its annotation) says.
    pub fields: Option<Vec<String>>,
    pub syntax_error: Option<SyntaxProblem>,
    /// With `imports`: each imported top-level module, and whether it resolves.
    #[serde(default)]
    pub imports: Option<std::collections::BTreeMap<String, bool>>,
    /// The interpreter's own path (`sys.executable`).
    #[serde(default)]
    pub executable: String,
}

#[derive(Debug, Clone, serde::Deserialize)]
pub struct SyntaxProblem {
    pub line: u32,
    pub message: String,
}

pub fn check(wf: &Workflow, sandbox: &Sandbox, diags: &mut Vec<Diagnostic>) {
    let mut interpreter_checked = false;
    for n in &wf.nodes {
        let Some(s) = n.settings.get::<FunctionStep>() else {
            continue;
        };
        if !matches!(s.into, ReplyShape::Object(_)) {
            diags.push(
                Diagnostic::error(
                    "invalid-shape",
                    n.file,
                    n.arg_span("into"),
                    format!(
                        "`into` of `{}` is {}; it lists the fields the function returns",
                        n.name,
                        s.into.a_type()
                    ),
                )
                .with_help("an object of fields: `into: {same: bool, note: string}`"),
            );
        }
        match &s.program {
            Program::Python { file, function } => {
                let interpreter = if interpreter_checked {
                    find_program(&wf.python_interpreter().0)
                } else {
                    interpreter_checked = true;
                    interpreter(wf, n, diags)
                };
                python_file(wf, n, s, sandbox, file, function, interpreter, diags);
            }
            Program::Command { argv } => command(wf, n, argv, diags),
        }
    }
}

/// The interpreter's path, or a `python-not-found` diagnostic.
fn interpreter(wf: &Workflow, n: &NodeDef, diags: &mut Vec<Diagnostic>) -> Option<PathBuf> {
    let (program, origin) = wf.python_interpreter();
    if let Some(p) = find_program(&program) {
        return Some(p);
    }
    let (file, span, from) = match (&wf.python, origin) {
        (Some(p), InterpreterOrigin::Workflow) => (p.file, p.span, "the workflow's `python`"),
        (_, InterpreterOrigin::Env) => (n.file, n.arg_span("function"), "REGEN_PYTHON"),
        _ => (n.file, n.arg_span("function"), "the default"),
    };
    diags.push(
        Diagnostic::error("python-not-found", file, span, format!("no Python interpreter at `{}` ({from}); `{}` cannot run", program.display(), n.name))
            .with_help("create the venv (`python3 -m venv .venv`), set `python = \".venv/bin/python\"` in the workflow, or REGEN_PYTHON"),
    );
    None
}

#[allow(clippy::too_many_arguments)]
fn python_file(
    wf: &Workflow,
    n: &NodeDef,
    s: &FunctionStep,
    sandbox: &Sandbox,
    file: &str,
    function: &str,
    interpreter: Option<PathBuf>,
    diags: &mut Vec<Diagnostic>,
) {
    let span = n.arg_span("function");
    if function.is_empty() || !file.ends_with(".py") {
        diags.push(
            Diagnostic::error("wrong-type", n.file, span, format!("`function` of `{}` names a file and a function: `file.py:name`", n.name))
                .with_help("e.g. `function: \"checks/math.py:equal\"` (the path is relative to the workflow file)"),
        );
        return;
    }
    let path = wf.locate(file);
    if !sandbox.open && !sandbox.permits(&path) {
        diags.push(
            Diagnostic::error(
                "outside-sandbox",
                n.file,
                span,
                format!(
                    "`{}` reads `{}`, outside the workflow's tree",
                    n.name,
                    real(&path).display()
                ),
            )
            .with_help(sandbox.help()),
        );
        return;
    }
    let text = match std::fs::read(&path) {
        Ok(t) if path.is_file() => t,
        Ok(_) | Err(_) => {
            diags.push(
                Diagnostic::error("missing-function-file", n.file, span, format!("`{}` calls `{function}` in {}, which does not exist", n.name, path.display()))
                    .with_help("the path is relative to the workflow file (or `stdlib/python/…`); create the file or correct the path"),
            );
            return;
        }
    };
    let seen = match &interpreter {
        Some(i) => match inspect(i, &path, function, false, &text) {
            Ok(seen) => seen,
            Err(why) => {
                tracing::debug!("{why}; reading {} as text", path.display());
                scan(&text, function)
            }
        },
        None => scan(&text, function),
    };
    if let Some(e) = &seen.syntax_error {
        diags.push(
            Diagnostic::error(
                "python-syntax-error",
                n.file,
                span,
                format!(
                    "{} does not parse as Python (line {}: {})",
                    path.display(),
                    e.line,
                    e.message
                ),
            )
            .with_help("fix the file; regen reads it without running it"),
        );
        return;
    }
    if !seen.defined {
        let mut d = Diagnostic::error(
            "missing-function",
            n.file,
            span,
            format!(
                "{} defines no `{function}` at its top level",
                path.display()
            ),
        );
        d.help = Some(
            crate::diagnostic::did_you_mean(
                function,
                seen.defined_names.iter().map(String::as_str),
            )
            .unwrap_or_else(|| "define it: `def ".to_string() + function + "(record): return {…}`"),
        );
        diags.push(d);
        return;
    }
    if let Some(fields) = &seen.fields {
        for (name, _) in s.outputs() {
            if !fields.contains(&name) {
                diags.push(
                    Diagnostic::error("field-never-produced", n.file, n.arg_span("into"), format!("`into` declares `{name}`, but `{function}` never returns it (it returns {})", list(fields)))
                        .with_help("return the field from the function, or remove it from `into`"),
                );
            }
        }
    }
}

fn command(wf: &Workflow, n: &NodeDef, argv: &[String], diags: &mut Vec<Diagnostic>) {
    if !n.args.get("run").is_some_and(serde_json::Value::is_array) {
        return; // Missing or not a list: the argument check has said so.
    }
    let Some(first) = argv.first().filter(|p| !p.trim().is_empty()) else {
        diags.push(
            Diagnostic::error(
                "wrong-type",
                n.file,
                n.arg_span("run"),
                format!("`run` of `{}` is empty", n.name),
            )
            .with_help("the program and its arguments: `run: [\"./verify\", \"--strict\"]`"),
        );
        return;
    };
    let program = crate::steps::program_path(wf, first);
    if find_program(&program).is_none() {
        diags.push(
            Diagnostic::error("command-not-found", n.file, n.arg_span("run"), format!("`{}` runs `{first}`, which is not an executable file{}", n.name, if program.components().count() > 1 { format!(" ({})", program.display()) } else { " on the PATH".into() }))
                .with_help("a relative path is next to the workflow file; build the program or correct the path (and `chmod +x` a script)"),
        );
    }
}

/// A program's path: as given when it has a folder, else the first on the PATH.
pub fn find_program(program: &Path) -> Option<PathBuf> {
    let executable = |p: &Path| {
        use std::os::unix::fs::PermissionsExt;
        std::fs::metadata(p).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
    };
    if program.components().count() > 1 || program.is_absolute() {
        return executable(program).then(|| program.to_path_buf());
    }
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|d| d.join(program))
        .find(|p| executable(p))
}

type InspectKey = (PathBuf, String, String, bool);

/// Why the interpreter could not read a function's file.
#[derive(Debug, thiserror::Error)]
pub enum InspectError {
    #[error("{} could not run: {source}", program.display())]
    Run {
        program: PathBuf,
        source: std::io::Error,
    },
    #[error("{} could not read the file: {stderr}", program.display())]
    Failed { program: PathBuf, stderr: String },
    #[error("the inspector's output: {0}")]
    Output(serde_json::Error),
}

/// The interpreter's reading of a file (once per file content: an editor
/// checks on every keystroke).
pub fn inspect(
    interpreter: &Path,
    path: &Path,
    function: &str,
    imports: bool,
    text: &[u8],
) -> Result<Inspection, InspectError> {
    static SEEN: Mutex<Option<HashMap<InspectKey, Inspection>>> = Mutex::new(None);
    let key = (
        interpreter.to_path_buf(),
        blake3::hash(text).to_hex().to_string(),
        function.to_string(),
        imports,
    );
    if let Some(hit) = SEEN
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .as_ref()
        .and_then(|m| m.get(&key))
    {
        return Ok(hit.clone());
    }
    let mut cmd = std::process::Command::new(interpreter);
    if !imports {
        // Only `ast` is needed: without `site` the interpreter starts 4x faster.
        cmd.arg("-S");
    }
    cmd.arg("-c").arg(INSPECT_PY).arg(path).arg(function);
    if imports {
        cmd.arg("--imports");
    }
    let out = cmd.output().map_err(|source| InspectError::Run {
        program: interpreter.to_path_buf(),
        source,
    })?;
    if !out.status.success() {
        let stderr = String::from_utf8_lossy(&out.stderr).trim().to_string();
        return Err(InspectError::Failed {
            program: interpreter.to_path_buf(),
            stderr,
        });
    }
    let seen: Inspection = serde_json::from_slice(&out.stdout).map_err(InspectError::Output)?;
    crate::interpreter::learned(interpreter, &seen.executable);
    SEEN.lock()
        .unwrap_or_else(|p| p.into_inner())
        .get_or_insert_with(HashMap::new)
        .insert(key, seen.clone());
    Ok(seen)
}

/// Without an interpreter: a top-level `def name(` or `name =` in the text.
fn scan(text: &[u8], function: &str) -> Inspection {
    let text = String::from_utf8_lossy(text);
    let mut names = Vec::new();
    for line in text.lines() {
        let rest = line.strip_prefix("async ").unwrap_or(line);
        let name: Option<&str> = if let Some(r) = rest.strip_prefix("def ") {
            r.split(['(', ' ', ':']).next()
        } else {
            line.split_once('=').map(|(l, _)| l.trim()).filter(|l| {
                !l.is_empty()
                    && l.chars().all(|c| c.is_alphanumeric() || c == '_')
                    && !line.starts_with([' ', '\t'])
            })
        };
        names.extend(name.map(str::to_string));
    }
    Inspection {
        defined: names.iter().any(|n| n == function),
        defined_names: names,
        fields: None,
        syntax_error: None,
        imports: None,
        executable: String::new(),
    }
}

fn list(fields: &[String]) -> String {
    if fields.is_empty() {
        "no fields".into()
    } else {
        fields
            .iter()
            .map(|f| format!("`{f}`"))
            .collect::<Vec<_>>()
            .join(", ")
    }
}
