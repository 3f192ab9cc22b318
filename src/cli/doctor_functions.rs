//! `regen doctor`'s look at `python` and `command` steps: the interpreter (its
//! path and version), each function file, and whether every module the file
//! imports resolves in that interpreter (found, not imported); each command's
//! program. Rows are (what, fine, detail).

use crate::check::functions::{find_program, inspect};
use crate::steps::{FunctionStep, Program};
use crate::workflow::Workflow;

pub(super) fn rows(wf: &Workflow) -> Vec<(String, bool, String)> {
    let mut rows = Vec::new();
    let steps: Vec<_> = wf
        .nodes
        .iter()
        .filter_map(|n| n.settings.get::<FunctionStep>().map(|s| (n, s)))
        .collect();
    let (program, _) = wf.python_interpreter();
    let interpreter = find_program(&program);
    if steps
        .iter()
        .any(|(_, s)| matches!(s.program, Program::Python { .. }))
    {
        rows.push(match &interpreter {
            Some(p) => {
                let version = std::process::Command::new(p)
                    .arg("--version")
                    .output()
                    .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
                    .unwrap_or_else(|e| format!("no version ({e})"));
                (
                    "python".into(),
                    true,
                    format!("{} ({version})", p.display()),
                )
            }
            None => (
                "python".into(),
                false,
                format!(
                    "`{}` not found: set `python = …` or REGEN_PYTHON",
                    program.display()
                ),
            ),
        });
    }
    for (n, s) in steps {
        let what = format!("step {}", n.name);
        match &s.program {
            Program::Python { file, function } => {
                let path = wf.locate(file);
                let Some(interpreter) = &interpreter else {
                    rows.push((what, false, "no interpreter to read it with".into()));
                    continue;
                };
                let text = match std::fs::read(&path) {
                    Ok(t) => t,
                    Err(e) => {
                        rows.push((what, false, format!("cannot read {}: {e}", path.display())));
                        continue;
                    }
                };
                match inspect(interpreter, &path, function, true, &text) {
                    Ok(seen) => {
                        let imports = seen.imports.unwrap_or_default();
                        let missing: Vec<&str> = imports
                            .iter()
                            .filter(|(_, found)| !**found)
                            .map(|(m, _)| m.as_str())
                            .collect();
                        let found = imports.len() - missing.len();
                        if missing.is_empty() {
                            rows.push((
                                what,
                                seen.defined,
                                format!("{file}:{function}; {found} imported module(s) resolve"),
                            ));
                        } else {
                            rows.push((
                                what,
                                false,
                                format!(
                                    "{file}:{function}; not found in this interpreter: {} (pip install it into {})",
                                    missing.join(", "),
                                    interpreter.display()
                                ),
                            ));
                        }
                    }
                    Err(e) => rows.push((what, false, e.to_string())),
                }
            }
            Program::Command { argv } => {
                let first = argv.first().map_or("", String::as_str);
                let program = crate::steps::program_path(wf, first);
                rows.push(match find_program(&program) {
                    Some(p) => (what, true, format!("runs {}", p.display())),
                    None => (what, false, format!("`{first}` is not an executable file")),
                });
            }
        }
    }
    rows
}
