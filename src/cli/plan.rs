//! `regen plan FILE --inputs N`: calls and tokens per step, before paying.

use super::OutputFormat;
use crate::plan::estimate::{dataset_rows, estimate};
use clap::Args;
use std::path::PathBuf;

#[derive(Args)]
pub struct PlanArgs {
    /// A workflow file, or `@name` for a shipped one (`regen workflows` lists them).
    #[arg(value_parser = super::workflow_arg)]
    pub file: PathBuf,
    /// Source records to estimate for (default: the dataset's row count).
    #[arg(long)]
    pub inputs: Option<u64>,
    #[arg(long = "set", value_parser = super::parse_set)]
    pub sets: Vec<(String, String)>,
    #[arg(long, value_enum, default_value = "human")]
    pub format: OutputFormat,
    /// Warn when the estimate exceeds the budget a run would be given.
    #[command(flatten)]
    pub budget: super::run::BudgetArgs,
    /// Price the calls as the Batch API charges them (half the models' prices), as `regen run --batch` would pay.
    #[arg(long)]
    pub batch: bool,
}

/// What the OpenAI Batch API charges, as a share of the online price.
pub const BATCH_PRICE: f64 = 0.5;

pub fn run(a: PlanArgs) -> i32 {
    let checked = match super::checked_or_exit(&a.file, &a.sets) {
        Ok(c) => c,
        Err(code) => return code,
    };
    let wf = &checked.workflow;
    let n = a
        .inputs
        .map(|n| n as f64)
        .or_else(|| dataset_rows(wf).map(|r| r as f64))
        .unwrap_or(1.0);
    let Some(est) = estimate(wf, n) else { return 1 };
    budget_warnings(wf, &est, &a);
    if a.format == OutputFormat::Json {
        println!("{}", serde_json::to_string_pretty(&est).unwrap_or_default());
        return 0;
    }
    println!("{}: estimate for {n} source records", wf.name);
    println!(
        "{:<16} {:<6} {:>10} {:>12} {:>14} {:>16} {:>16}",
        "step", "kind", "calls/input", "calls", "prompt tok", "completion tok", "completion max"
    );
    for s in &est.steps {
        let mark = if s.upper_bound { "≤" } else { " " };
        println!(
            "{:<16} {:<6} {:>9}{mark} {:>12} {:>14} {:>16} {:>16}",
            s.step,
            s.kind,
            trim(s.calls_per_input),
            trim(s.calls),
            trim(s.prompt_tokens),
            trim(s.completion_tokens),
            trim(s.completion_tokens_max)
        );
    }
    println!(
        "{:<16} {:<6} {:>10} {:>12} {:>14} {:>16}",
        "total",
        "",
        trim(est.steps.iter().map(|s| s.calls_per_input).sum()),
        trim(est.total_calls),
        trim(est.total_prompt_tokens),
        trim(est.total_completion_tokens)
    );
    for s in est.steps.iter().filter(|s| s.repeats.is_some()) {
        println!(
            "{}: same prompt and sampling as `{}` over the same records: cache hits, no calls",
            s.step,
            s.repeats.as_deref().unwrap_or("")
        );
    }
    if est.steps.iter().any(|s| s.upper_bound) {
        println!("≤ upper bound: the step runs only for records that pass a filter or have no output upstream (e.g. the hint retry).");
    }
    println!(
        "tokens ≈ 4 bytes each; completions assumed {} tokens (max: the step's max_tokens).",
        crate::defaults::TYPICAL_COMPLETION_TOKENS
    );
    0
}

fn trim(x: f64) -> String {
    // `-0` (a sum of nothing scaled by a negative zero) prints as 0.
    let x = if x == 0.0 { 0.0 } else { x };
    if x.fract() == 0.0 {
        format!("{x:.0}")
    } else {
        format!("{x:.1}")
    }
}

/// Estimated cost from the models' prices (per million tokens), if any model has one.
fn estimated_cost(
    wf: &crate::workflow::Workflow,
    est: &crate::plan::estimate::PlanEstimate,
    batch: bool,
) -> Option<f64> {
    let mut cost = 0.0;
    let mut priced = false;
    for s in &est.steps {
        let Some(node) = wf.node(&s.step).map(|id| &wf.nodes[id]) else {
            continue;
        };
        let Some(model) = node
            .model
            .and_then(|m| wf.models.get(m))
            .or(wf.models.first())
        else {
            continue;
        };
        if let (None, None) = (model.settings.price_prompt, model.settings.price_completion) {
            continue;
        }
        priced = true;
        let share = if batch || model.settings.batch == Some(true) {
            BATCH_PRICE
        } else {
            1.0
        };
        cost += share
            * (s.prompt_tokens * model.settings.price_prompt()
                + s.completion_tokens * model.settings.price_completion())
            / 1e6;
    }
    priced.then_some(cost)
}

fn budget_warnings(
    wf: &crate::workflow::Workflow,
    est: &crate::plan::estimate::PlanEstimate,
    a: &PlanArgs,
) {
    let tokens = est.total_prompt_tokens + est.total_completion_tokens;
    let cost = estimated_cost(wf, est, a.batch);
    if let Some(c) = cost {
        let how = if a.batch {
            ", at Batch API prices (half)"
        } else {
            ""
        };
        eprintln!("estimated cost: {c:.2} (from the models' price_prompt / price_completion per million tokens{how})");
    }
    let stop = "a run with this budget stops there (resumable)";
    if let Some(m) = a.budget.max_calls.filter(|m| est.total_calls > *m as f64) {
        eprintln!(
            "warning: about {} calls, above --max-calls {m}: {stop}",
            trim(est.total_calls)
        );
    }
    if let Some(m) = a.budget.max_tokens.filter(|m| tokens > *m as f64) {
        eprintln!(
            "warning: about {} tokens, above --max-tokens {m}: {stop}",
            trim(tokens)
        );
    }
    match (a.budget.max_cost, cost) {
        (Some(m), Some(c)) if c > m => {
            eprintln!("warning: estimated cost {c:.2}, above --max-cost {m}: {stop}")
        }
        (Some(_), None) => eprintln!(
            "warning: --max-cost given but no model declares price_prompt / price_completion"
        ),
        _ => {}
    }
}
