//! `regen lint PATH...`: exit 0 clean or warnings only, 1 on errors, 2 on usage errors.

use super::{render, OutputFormat};
use crate::check::{self, Options};
use clap::{Args, ValueEnum};
use std::path::{Path, PathBuf};

#[derive(Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum Deny {
    Warnings,
}

#[derive(Args)]
pub struct LintArgs {
    /// Workflow files, or folders searched for *.regen.
    #[arg(required = true)]
    pub paths: Vec<PathBuf>,
    #[arg(long, value_enum, default_value = "human")]
    pub format: OutputFormat,
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
    for f in &files {
        let opts = Options { sets: a.sets.clone(), stdlib: check::find_stdlib(f), allow_outside: super::allow_outside() };
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
                OutputFormat::Human => {
                    eprint!("{}", render::human(d, &checked.sources, super::color()))
                }
                OutputFormat::Json => json.push(render::json_value(d, &checked.sources)),
            }
        }
    }
    match a.format {
        OutputFormat::Json => println!("{}", serde_json::to_string_pretty(&json).unwrap_or_default()),
        OutputFormat::Human => {
            let files_word = if files.len() == 1 { "file" } else { "files" };
            eprintln!("checked {} {files_word}: {errors} error(s), {warnings} warning(s)", files.len());
        }
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
