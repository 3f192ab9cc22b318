//! `regen eval DATA...`: accuracy of a model on labelled files, one row per
//! dataset, by running the evaluation workflow (`workflows/eval.regen` unless
//! `--workflow` names another) on each, sharing the cache.

use crate::run::{self, RunOptions};
use clap::Args;
use serde::Serialize;
use std::path::PathBuf;

#[derive(Args)]
pub struct EvalArgs {
    /// Labelled JSONL files (id, question, answer).
    #[arg(required = true)]
    pub data: Vec<PathBuf>,
    /// The evaluation workflow: it must have params `data`, `answer_format`, `samples`
    /// and sinks `graded` (every answered question) and `correct`. A file, or `@name` for a shipped one.
    #[arg(long, value_parser = super::workflow_arg)]
    pub workflow: Option<PathBuf>,
    /// Answer format of the labels: number, choice, bool or text.
    #[arg(long, default_value = "number")]
    pub answers: String,
    /// 1 = greedy; more = self-consistency (majority answer of that many samples).
    #[arg(long, default_value_t = 1)]
    pub samples: u32,
    #[command(flatten)]
    pub inputs: super::run::RunInputs,
    #[arg(long, default_value = "runs/eval")]
    pub out: PathBuf,
}

#[derive(Serialize)]
pub struct Accuracy {
    pub dataset: String,
    pub questions: u64,
    pub answered: u64,
    pub correct: u64,
    /// None when nothing was answered and calls failed (or there were no
    /// questions): no accuracy was measured, and none is printed as 0%.
    pub accuracy: Option<f64>,
    pub failures: u64,
}

pub fn run(a: EvalArgs) -> i32 {
    let workflow = a
        .workflow
        .clone()
        .unwrap_or_else(|| super::stdlib_for(&a.data[0]).with_file_name("workflows/eval.regen"));
    if !workflow.is_file() {
        eprintln!(
            "error: no evaluation workflow at {}; name one with --workflow",
            workflow.display()
        );
        return 2;
    }
    let rt = match super::runtime() {
        Ok(rt) => rt,
        Err(code) => return code,
    };
    let mut rows = Vec::new();
    for (i, data) in a.data.iter().enumerate() {
        let abs = std::fs::canonicalize(data).unwrap_or_else(|_| data.clone());
        let mut sets = a.inputs.sets.clone();
        sets.push(("data".into(), abs.display().to_string()));
        sets.push(("answer_format".into(), a.answers.clone()));
        sets.push(("samples".into(), a.samples.to_string()));
        if a.samples > 1 && !a.inputs.sets.iter().any(|(k, _)| k == "temperature") {
            let t = crate::defaults::SELF_CONSISTENCY_TEMPERATURE;
            if i == 0 {
                eprintln!("eval: {} samples per question at temperature {t} (self-consistency; --set temperature=… to change)", a.samples);
            }
            sets.push(("temperature".into(), t.into()));
        }
        let wf = match super::checked_or_exit(&workflow, &sets) {
            Ok(c) => c.workflow,
            Err(code) => return code,
        };
        let stem = data.file_stem().and_then(|s| s.to_str()).unwrap_or("data");
        let run_dir = a.out.join(format!("{i:02}-{stem}"));
        let opts = RunOptions::new(
            workflow.clone(),
            run_dir.clone(),
            a.inputs.store.clone(),
            a.inputs.limit,
        );
        let report = match rt.block_on(run::run(wf, &opts)) {
            Ok(r) => r,
            Err(msg) => {
                eprintln!("error: {}: {msg}", data.display());
                return 2;
            }
        };
        // A run that stopped (a dead endpoint, a refused key, a budget, Ctrl-C) has
        // no accuracy to report: say why and stop, never print 0% as a result.
        if let Some(why) = &report.halted {
            return super::run::say_stop(
                &format!("{}: the evaluation stopped: ", data.display()),
                why,
            );
        }
        let j = &report.summary;
        let count = |name: &str| {
            j.sinks
                .get(&run_dir.join(name).display().to_string())
                .copied()
                .unwrap_or(0)
        };
        let questions = j.source_records;
        let correct = count("correct.jsonl");
        let answered = count("graded.jsonl");
        let measured = questions > 0 && (answered > 0 || report.failures == 0);
        if !measured && questions > 0 {
            eprintln!(
                "{}: no question was answered: all {} failures are in `regen show {}`",
                data.display(),
                report.failures,
                report.run_id
            );
        }
        rows.push(Accuracy {
            dataset: data.display().to_string(),
            questions,
            answered,
            correct,
            accuracy: measured.then(|| correct as f64 / questions as f64),
            failures: report.failures,
        });
    }
    println!(
        "{:<40} {:>9} {:>8} {:>8} {:>9} {:>8}",
        "dataset", "questions", "answered", "correct", "accuracy", "failures"
    );
    for r in &rows {
        let accuracy = r
            .accuracy
            .map_or("n/a".to_string(), |a| format!("{:.1}%", 100.0 * a));
        println!(
            "{:<40} {:>9} {:>8} {:>8} {:>9} {:>8}",
            r.dataset, r.questions, r.answered, r.correct, accuracy, r.failures
        );
    }
    if rows.iter().any(|r| r.accuracy.is_some()) {
        println!("(unanswered questions and failed calls count as wrong)");
    }
    if rows.iter().any(|r| r.accuracy.is_none()) {
        println!("(n/a: nothing was answered, so no accuracy was measured)");
    }
    let path = a.out.join("eval.json");
    if let Err(e) = std::fs::create_dir_all(&a.out).and_then(|_| {
        std::fs::write(
            &path,
            serde_json::to_string_pretty(&rows).unwrap_or_default(),
        )
    }) {
        eprintln!("error: cannot write {}: {e}", path.display());
        return 2;
    }
    println!("wrote {}", path.display());
    i32::from(rows.iter().any(|r| r.failures > 0))
}
