//! `regen ablate BASE VARIANT...`: run a workflow and its variants on one shared
//! cache, base first, so each variant pays only for the steps that differ, and
//! compare them side by side (table, JSON, HTML report).

use super::ablate_report;
pub use super::ablate_row::Row;
use crate::run::{self, RunOptions};
use crate::syntax::ast::DeclKind;
use clap::Args;
use std::path::PathBuf;

#[derive(Args)]
pub struct AblateArgs {
    /// The base workflow, run first (a file, or `@name` for a shipped one).
    #[arg(value_parser = super::workflow_arg)]
    pub base: PathBuf,
    /// Variants (usually files that `extends` the base; `@ablations/no-hint` for a shipped one).
    #[arg(value_parser = super::workflow_arg)]
    pub variants: Vec<PathBuf>,
    #[command(flatten)]
    pub inputs: super::run::RunInputs,
    /// Where each workflow's sinks go (one folder each) and the reports.
    #[arg(long, default_value = "runs/ablate")]
    pub out: PathBuf,
}

pub fn run(a: AblateArgs) -> i32 {
    let rt = match super::runtime() {
        Ok(rt) => rt,
        Err(code) => return code,
    };
    let files: Vec<PathBuf> = std::iter::once(a.base.clone())
        .chain(a.variants.iter().cloned())
        .collect();
    // Check every file before spending a single call.
    let mut checked = Vec::new();
    for f in &files {
        match super::checked_or_exit(f, &a.inputs.sets) {
            Ok(c) => checked.push((f.clone(), c.workflow)),
            Err(code) => return code,
        }
    }
    // What each variant changes against the base, before anything runs.
    let differs: Vec<Vec<String>> = checked
        .iter()
        .map(|(_, wf)| {
            crate::plan::diff::diff(&checked[0].1, wf)
                .map(|d| d.own_steps())
                .unwrap_or_default()
        })
        .collect();
    let mut names = std::collections::HashSet::new();
    let mut rows = Vec::new();
    let mut failed = false;
    for ((file, wf), differs_in) in checked.into_iter().zip(differs) {
        let mut dir_name = wf.name.clone();
        while !names.insert(dir_name.clone()) {
            dir_name.push('_');
        }
        let run_dir = a.out.join(&dir_name);
        let training = training_sink(&wf)
            .map(|p| run_dir.join(p).display().to_string())
            .unwrap_or_default();
        let label_read_by = crate::check::label_use::label_readers(&wf);
        let name = wf.name.clone();
        eprintln!("== {name} ({})", file.display());
        let opts = RunOptions::new(
            file.clone(),
            run_dir,
            a.inputs.store.clone(),
            a.inputs.limit,
        );
        match rt.block_on(run::run(wf, &opts)) {
            Ok(report) => {
                // A stopped run (dead endpoint, refused key, budget, Ctrl-C) compares nothing: say so and stop.
                if let Some(why) = &report.halted {
                    return super::run::say_stop(&format!("{name}: the run stopped: "), why);
                }
                failed |= report.failures > 0;
                let mut r = row(&name, &file, &report.summary, &training, label_read_by);
                r.differs_in = differs_in;
                rows.push(r);
            }
            Err(msg) => {
                eprintln!("error: {name}: {msg}");
                return 2;
            }
        }
    }
    print!("{}", table(&rows));
    if let Err(e) = std::fs::create_dir_all(&a.out) {
        eprintln!("error: cannot create {}: {e}", a.out.display());
        return 2;
    }
    let json_path = a.out.join("ablation.json");
    let html_path = a.out.join("ablation.html");
    let written = std::fs::write(
        &json_path,
        serde_json::to_string_pretty(&rows).unwrap_or_default(),
    )
    .and_then(|_| std::fs::write(&html_path, ablate_report::html(&rows)));
    match written {
        Ok(()) => println!("wrote {} and {}", json_path.display(), html_path.display()),
        Err(e) => {
            eprintln!(
                "error: cannot write the reports under {}: {e}",
                a.out.display()
            );
            return 2;
        }
    }
    i32::from(failed)
}

/// The training sink: the first chat-format sink, else the first sink.
fn training_sink(wf: &crate::workflow::Workflow) -> Option<String> {
    let sinks: Vec<_> = wf
        .nodes
        .iter()
        .filter(|n| n.decl == DeclKind::Sink)
        .collect();
    let chosen = sinks
        .iter()
        .find(|n| n.kind.writes_chat(n))
        .or(sinks.first())?;
    Some(
        chosen
            .settings
            .get::<crate::steps::SinkSettings>()?
            .path
            .clone(),
    )
}

fn row(
    name: &str,
    file: &std::path::Path,
    j: &crate::run::report::run_summary::RunSummary,
    training: &str,
    label_read_by: Vec<String>,
) -> Row {
    let sum = |f: fn(&crate::run::report::run_summary::StepSummary) -> u64| {
        j.steps.iter().map(f).sum::<u64>()
    };
    Row {
        workflow: name.to_string(),
        file: file.display().to_string(),
        questions: j.source_records,
        yield_questions: j.sink_sources.get(training).copied().unwrap_or(0),
        kept: j.sinks.get(training).copied().unwrap_or(0),
        // Model calls: a `python` step's calls are not what an ablation pays for.
        calls: sum(|s| if s.llm { s.calls } else { 0 }),
        cache_hits: sum(|s| if s.llm { s.cache_hits } else { 0 }),
        prompt_tokens: sum(|s| s.prompt_tokens),
        completion_tokens: sum(|s| s.completion_tokens),
        failures: j.failures,
        wall_s: j.wall_s,
        label_read_by,
        training_sink: training.to_string(),
        funnel: j
            .steps
            .iter()
            .flat_map(|s| {
                s.funnel
                    .iter()
                    .map(|f| (s.step.clone(), f.reason.clone(), f.removed))
            })
            .collect(),
        guidelines: j
            .guidelines
            .get(training)
            .into_iter()
            .flatten()
            .map(|g| (g.id.clone(), g.kept))
            .collect(),
        differs_in: vec![],
    }
}

pub fn table(rows: &[Row]) -> String {
    let mut t = format!(
        "{:<24} {:>9} {:>7} {:>6} {:>7} {:>10} {:>10} {:>10} {:>8} {:>7}  label read by\n",
        "workflow",
        "questions",
        "yield",
        "kept",
        "calls",
        "cache hits",
        "prompt tok",
        "compl tok",
        "failures",
        "wall s"
    );
    for r in rows {
        let c = r.cells();
        t.push_str(&format!(
            "{:<24} {:>9} {:>7} {:>6} {:>7} {:>10} {:>10} {:>10} {:>8} {:>7}  {}\n",
            c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7], c[8], c[9], c[10]
        ));
    }
    t.push_str("\ndiffers from the base in (`regen diff` tells what):\n");
    for r in rows.iter().skip(1) {
        t.push_str(&format!(
            "{:<24} {}\n",
            r.workflow,
            if r.differs_in.is_empty() {
                "(nothing)".into()
            } else {
                r.differs_in.join(" ")
            }
        ));
    }
    t.push_str("\nfilter funnel (records each condition removed):\n");
    for r in rows {
        let parts: Vec<String> = r
            .funnel
            .iter()
            .map(|(step, reason, n)| format!("{step}: {reason} {n}"))
            .collect();
        t.push_str(&format!(
            "{:<24} {}\n",
            r.workflow,
            if parts.is_empty() {
                "(no filter)".into()
            } else {
                parts.join(" · ")
            }
        ));
    }
    t.push_str("\nkept paths per seed guideline (top 5):\n");
    for r in rows.iter().filter(|r| !r.guidelines.is_empty()) {
        let mut g = r.guidelines.clone();
        g.sort_by_key(|x| std::cmp::Reverse(x.1));
        let top: Vec<String> = g
            .iter()
            .take(5)
            .map(|(id, n)| format!("{id} {n}"))
            .collect();
        t.push_str(&format!("{:<24} {}\n", r.workflow, top.join(", ")));
    }
    t
}
