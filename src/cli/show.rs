//! `regen runs` and `regen show RUN`: the store's runs, and one run's summary,
//! failures, samples and HTML report.

use crate::run::store::Store;
use clap::Args;
use std::path::PathBuf;

#[derive(Args)]
pub struct StoreArgs {
    #[arg(long, default_value = ".regen/store.sqlite")]
    pub store: PathBuf,
}

#[derive(Args)]
pub struct ShowArgs {
    pub run: i64,
    #[arg(long, default_value = ".regen/store.sqlite")]
    pub store: PathBuf,
    /// List every failed record, not one example per step and reason.
    #[arg(long)]
    pub all: bool,
    /// Print the stored summary as JSON.
    #[arg(long)]
    pub json: bool,
    /// Print K sample records per step (kept and removed, with the reason and lineage).
    #[arg(long, value_name = "K")]
    pub samples: Option<usize>,
    /// Write the run report, one self-contained HTML page, to this file.
    #[arg(long, value_name = "FILE")]
    pub html: Option<PathBuf>,
}

pub fn runs(a: StoreArgs) -> i32 {
    let store = match open_store(&a.store) {
        Ok(s) => s,
        Err(code) => return code,
    };
    match store.runs() {
        Ok(rows) => {
            println!(
                "{:>4}  {:<24} {:<11} {:>8}  file",
                "id", "workflow", "status", "seconds"
            );
            for (id, wf, file, started, finished, status) in rows {
                let secs = finished.map_or("-".into(), |f| format!("{:.1}", f - started));
                println!("{id:>4}  {wf:<24} {status:<11} {secs:>8}  {file}");
            }
            0
        }
        Err(e) => {
            eprintln!("error: {e}");
            2
        }
    }
}

pub fn show(a: ShowArgs) -> i32 {
    let store = match open_store(&a.store) {
        Ok(s) => s,
        Err(code) => return code,
    };
    match store.run_summary(a.run) {
        Ok(Some((wf, status, summary))) => {
            // A stored summary of an older shape is upgraded; one that cannot be read is said, never shown as zeros.
            let summary = match summary
                .map(|s| crate::run::report::run_summary::RunSummary::from_stored(&s))
                .transpose()
            {
                // An older shape kept no status: the run list has it.
                Ok(s) => s.map(|mut s| {
                    if s.status.is_empty() {
                        s.status = status.clone();
                    }
                    s
                }),
                Err(e) => {
                    eprintln!("error: run {}: {e}", a.run);
                    return 2;
                }
            };
            let failures = match store.failures(a.run) {
                Ok(f) => f,
                Err(e) => {
                    eprintln!("error: cannot read the failures of run {}: {e}", a.run);
                    return 2;
                }
            };
            if let Some(path) = &a.html {
                return write_report(&store, a.run, &wf, &status, summary.as_ref(), path);
            }
            if a.json {
                // A run without a summary (it did not finish) still says its status.
                let shown = match &summary {
                    Some(s) => serde_json::to_value(s),
                    None => Ok(
                        serde_json::json!({"run": a.run, "workflow": wf, "status": status, "summary": null}),
                    ),
                };
                match shown.and_then(|v| serde_json::to_string_pretty(&v)) {
                    Ok(text) => println!("{text}"),
                    Err(e) => {
                        eprintln!("error: cannot print the summary of run {}: {e}", a.run);
                        return 2;
                    }
                }
                return 0;
            }
            println!("run {} of `{wf}`: {status}", a.run);
            match &summary {
                Some(s) => print!("{}", crate::run::report::text(s)),
                None => println!("(no summary: the run did not finish)"),
            }
            print!("{}", failure_groups(&failures, a.all));
            if let Some(k) = a.samples {
                match store.samples(a.run) {
                    Ok(rows) => print!("{}", crate::run::report::samples(&rows, k)),
                    Err(e) => {
                        eprintln!("error: cannot read the samples of run {}: {e}", a.run);
                        return 2;
                    }
                }
            }
            0
        }
        Ok(None) => {
            eprintln!("error: no run {} in {}", a.run, a.store.display());
            1
        }
        Err(e) => {
            eprintln!("error: {e}");
            2
        }
    }
}

/// The run store for `regen runs` / `regen show`; Err is the exit code.
fn open_store(path: &std::path::Path) -> Result<Store, i32> {
    Store::open(path).map_err(|e| {
        eprintln!("error: cannot open {}: {e}", path.display());
        2
    })
}

/// Failures grouped by step and reason, with a count and one example each
/// (raw text included); with `all`, every record.
fn failure_groups(failures: &[(String, String, String, String)], all: bool) -> String {
    let mut t = String::new();
    if all {
        for (step, record, reason, raw) in failures {
            t.push_str(&format!(
                "failed: {step} {record}: {reason}: {}\n",
                raw.chars().take(300).collect::<String>()
            ));
        }
        return t;
    }
    let mut groups: std::collections::BTreeMap<(&str, &str), (u64, &str, &str)> =
        std::collections::BTreeMap::new();
    for (step, record, reason, raw) in failures {
        groups.entry((step, reason)).or_insert((0, record, raw)).0 += 1;
    }
    if !groups.is_empty() {
        t.push_str("failures by step and reason (--all lists every record):\n");
    }
    for ((step, reason), (count, record, raw)) in groups {
        t.push_str(&format!(
            "  {count:>6} × {step}: {reason}\n         e.g. {record}: {}\n",
            raw.chars().take(300).collect::<String>()
        ));
    }
    t
}

/// The run report as HTML (see `run_report`); exit code.
pub(super) fn write_report(
    store: &Store,
    run: i64,
    wf: &str,
    status: &str,
    summary: Option<&crate::run::report::run_summary::RunSummary>,
    path: &std::path::Path,
) -> i32 {
    let Some(summary) = summary else {
        eprintln!("error: run {run} has no summary (it did not finish); nothing to report");
        return 1;
    };
    let samples = match store.samples(run) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: cannot read the samples of run {run}: {e}");
            return 2;
        }
    };
    match std::fs::write(
        path,
        super::run_report::html(run, wf, status, summary, &samples),
    ) {
        Ok(()) => {
            println!("wrote the report of run {run} to {}", path.display());
            0
        }
        Err(e) => {
            eprintln!("error: cannot write {}: {e}", path.display());
            2
        }
    }
}
