//! Static estimate of calls and tokens per step for N source records.
//! Upper bounds where a filter or fallback is upstream (we cannot know its yield).

use super::compile;
use crate::defaults::{estimated_completion, estimated_tokens};
use crate::steps::Estimate;
use crate::syntax::ast::DeclKind;
use crate::workflow::Workflow;
use serde::Serialize;
use std::collections::HashMap;

#[derive(Debug, Clone, Serialize)]
pub struct StepEstimate {
    pub step: String,
    pub kind: String,
    pub calls_per_input: f64,
    pub calls: f64,
    pub prompt_tokens: f64,
    pub completion_tokens: f64,
    pub completion_tokens_max: f64,
    pub upper_bound: bool,
    /// The step whose calls these repeat: at run time they are cache hits, not calls.
    pub repeats: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct PlanEstimate {
    pub inputs: f64,
    pub steps: Vec<StepEstimate>,
    pub total_calls: f64,
    pub total_prompt_tokens: f64,
    pub total_completion_tokens: f64,
}

pub fn estimate(wf: &Workflow, inputs: f64) -> Option<PlanEstimate> {
    let plan = compile(wf)?;
    let mut est: Vec<Estimate> = vec![Estimate::default(); wf.nodes.len()];
    // Typical size in tokens of each field, at each node.
    let mut sizes: Vec<HashMap<String, f64>> = vec![HashMap::new(); wf.nodes.len()];
    let mut steps = Vec::new();
    let repeats = super::shared::repeats(wf, &plan.order);
    for &id in &plan.order {
        let n = &wf.nodes[id];
        let ins: Vec<Estimate> = n.inputs.iter().map(|i| est[*i]).collect();
        est[id] = n.kind.estimate(n, wf, &ins);
        let mut size: HashMap<String, f64> = HashMap::new();
        for i in &n.inputs {
            for (k, v) in &sizes[*i] {
                size.entry(k.clone()).or_insert(*v);
            }
        }
        if n.decl == DeclKind::Source {
            for f in n.kind.adds(n, wf) {
                size.insert(f, 60.0);
            }
        }
        // Fields taken from a pool are about the size of its items.
        if let Some(pool) = n
            .inputs
            .iter()
            .map(|p| &wf.nodes[*p])
            .find(|p| p.decl == DeclKind::Pool)
        {
            let items = &pool.pool_items;
            let avg = if items.is_empty() {
                40.0
            } else {
                items
                    .iter()
                    .map(|x| estimated_tokens(&x.to_string()))
                    .sum::<f64>()
                    / items.len() as f64
            };
            for f in n.kind.adds(n, wf) {
                size.insert(f, avg);
            }
        }
        if n.is_llm() {
            let max_tokens = n.call.max_tokens.map(f64::from);
            let completion = estimated_completion(max_tokens);
            let max_tokens = max_tokens.unwrap_or(crate::defaults::UNSET_MAX_TOKENS_BOUND);
            let prompt: f64 = n
                .call_prompt()
                .map(|p| {
                    estimated_tokens(&p.text)
                        + p.reads
                            .iter()
                            .map(|f| size.get(f).copied().unwrap_or(60.0))
                            .sum::<f64>()
                })
                .unwrap_or(0.0);
            // A shape written into the prompt (`reply_format = "prompt"`) is prompt too.
            let prompt = prompt
                + match &n.call.reply {
                    crate::call_settings::ReplyRequest::Prompt(s) => estimated_tokens(s),
                    _ => 0.0,
                };
            let repeat = repeats[id].map(|a| wf.nodes[a].name.clone());
            let calls = if repeat.is_some() {
                0.0
            } else {
                est[id].calls * inputs
            };
            steps.push(StepEstimate {
                repeats: repeat,
                step: n.name.clone(),
                kind: n.kind.name().into(),
                calls_per_input: if repeats[id].is_some() {
                    0.0
                } else {
                    est[id].calls
                },
                calls,
                prompt_tokens: calls * prompt,
                completion_tokens: calls * completion,
                completion_tokens_max: calls * max_tokens,
                upper_bound: est[id].upper_bound,
            });
            for f in n.kind.adds(n, wf) {
                size.insert(f, completion);
            }
        }
        sizes[id] = size;
    }
    let total_calls = steps.iter().map(|s| s.calls).sum();
    let total_prompt_tokens = steps.iter().map(|s| s.prompt_tokens).sum();
    let total_completion_tokens = steps.iter().map(|s| s.completion_tokens).sum();
    Some(PlanEstimate {
        inputs,
        steps,
        total_calls,
        total_prompt_tokens,
        total_completion_tokens,
    })
}

/// Rows of the first source's dataset, when the file exists (for the threshold
/// lint and the progress line); counted the first time it is asked.
pub fn dataset_rows(wf: &Workflow) -> Option<usize> {
    *wf.dataset_rows.get_or_init(|| count_rows(wf))
}

fn count_rows(wf: &Workflow) -> Option<usize> {
    let src = wf.nodes.iter().find(|n| n.decl == DeclKind::Source)?;
    let s = src.settings.get::<crate::steps::SourceSettings>()?;
    let path = wf.locate(&s.location);
    if src.kind.data_format() == crate::workflow::DataFormat::Parquet {
        return crate::parquet::row_count(&path, &s.split);
    }
    non_blank_lines(std::fs::File::open(&path).ok()?).ok()
}

/// Lines with something other than whitespace, read in chunks: a dataset of
/// any size is counted in constant memory.
fn non_blank_lines(mut file: impl std::io::Read) -> std::io::Result<usize> {
    let mut buf = vec![0u8; 1 << 16];
    let (mut count, mut content) = (0, false);
    loop {
        let n = match file.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        for &b in &buf[..n] {
            if b == b'\n' {
                count += usize::from(content);
                content = false;
            } else if !b.is_ascii_whitespace() {
                content = true;
            }
        }
    }
    Ok(count + usize::from(content))
}

#[cfg(test)]
mod tests {
    #[test]
    fn counts_non_blank_lines_across_chunks() {
        let text = format!(
            "{}\n\n  \n{}",
            "x".repeat(70_000),
            "last line without newline"
        );
        assert_eq!(super::non_blank_lines(text.as_bytes()).unwrap(), 2);
        assert_eq!(super::non_blank_lines(&b""[..]).unwrap(), 0);
        assert_eq!(super::non_blank_lines(&b"a\nb\n"[..]).unwrap(), 2);
    }
}
