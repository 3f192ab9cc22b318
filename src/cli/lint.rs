//! `regen lint PATH...`: exit 0 clean or warnings only, 1 on errors, 2 on usage errors.

use super::lint_formats::{self, Finding};
use super::render;
use crate::check::{self, Options};
use clap::{Args, ValueEnum};
use std::path::{Path, PathBuf};

#[derive(Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum LintFormat {
    /// Compiler-style messages on stderr.
    Human,
    /// One JSON array of findings on stdout.
    Json,
    /// A SARIF 2.1.0 log on stdout (GitHub code scanning, other code hosts).
    Sarif,
    /// GitHub Actions annotations (`::error file=…,line=…::…`) on stdout.
    Github,
}

#[derive(Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum Deny {
    Warnings,
}

#[derive(Args)]
pub struct LintArgs {
    /// Workflow files, or folders searched for *.regen; `@name` for a shipped workflow.
    #[arg(required = true, value_parser = super::workflow_arg)]
    pub paths: Vec<PathBuf>,
    #[arg(long, value_enum, default_value = "human")]
    pub format: LintFormat,
    /// Treat warnings as errors for the exit code.
    #[arg(long, value_enum)]
    pub deny: Option<Deny>,
    /// Override a param: --set name=value (repeatable).
    #[arg(long = "set", value_parser = super::parse_set)]
    pub sets: Vec<(String, String)>,
    /// Warn when a full run would make more calls than this.
    #[arg(long, default_value_t = check::CALL_THRESHOLD)]
    pub call_threshold: f64,
}

pub fn run(a: LintArgs) -> i32 {
    let mut files = Vec::new();
    for p in &a.paths {
        if p.is_dir() {
            collect(p, &mut files);
        } else if p.is_file() {
            files.push(p.clone());
        } else {
            eprintln!("error: no such file or folder: {}", p.display());
            return 2;
        }
    }
    files.sort();
    let (mut errors, mut warnings) = (0, 0);
    let mut json = Vec::new();
    let mut checked_files = Vec::new();
    for f in &files {
        let opts = Options {
            sets: a.sets.clone(),
            stdlib: check::find_stdlib(f),
            allow_outside: super::allow_outside(),
        };
        let checked = match check::check_file(f, &opts, a.call_threshold) {
            Ok(c) => c,
            Err(e) => {
                eprintln!("error: cannot read {}: {e}", f.display());
                return 2;
            }
        };
        for d in &checked.diagnostics {
            if d.is_error() {
                errors += 1;
            } else {
                warnings += 1;
            }
            match a.format {
                LintFormat::Human => {
                    eprint!("{}", render::human(d, &checked.sources, super::color()))
                }
                LintFormat::Json => json.push(render::json_value(d, &checked.sources)),
                LintFormat::Github => println!(
                    "{}",
                    lint_formats::github(&Finding {
                        diagnostic: d,
                        sources: &checked.sources
                    })
                ),
                LintFormat::Sarif => {}
            }
        }
        checked_files.push(checked);
    }
    let summary = format!(
        "checked {} {}: {errors} error(s), {warnings} warning(s)",
        files.len(),
        if files.len() == 1 { "file" } else { "files" }
    );
    match a.format {
        LintFormat::Json => println!("{:#}", serde_json::Value::Array(json)),
        LintFormat::Sarif => {
            let findings: Vec<Finding> = checked_files
                .iter()
                .flat_map(|c| {
                    c.diagnostics.iter().map(|d| Finding {
                        diagnostic: d,
                        sources: &c.sources,
                    })
                })
                .collect();
            println!("{}", lint_formats::sarif(&findings));
        }
        LintFormat::Human | LintFormat::Github => eprintln!("{summary}"),
    }
    if errors > 0 || (a.deny == Some(Deny::Warnings) && warnings > 0) {
        1
    } else {
        0
    }
}

fn collect(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            collect(&p, out);
        } else if p.extension().is_some_and(|x| x == "regen") {
            out.push(p);
        }
    }
}
