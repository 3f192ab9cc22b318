//! `unseeded-random`: a random cap, or sampling several completions, without a seed.

use super::*;

pub struct UnseededRandom;

impl Lint for UnseededRandom {
    fn code(&self) -> &'static str {
        "unseeded-random"
    }
    fn check(&self, cx: &LintContext) -> Vec<Diagnostic> {
        let wf = cx.wf;
        let mut out = Vec::new();
        for n in &wf.nodes {
            let model_seed = n
                .model
                .and_then(|m| wf.models.get(m))
                .is_some_and(|m| m.settings.seed.is_some());
            if n.kind.chooses_at_random() && !n.args.contains_key("seed") {
                out.push(
                    Diagnostic::warning(
                        self.code(),
                        n.file,
                        n.name_span,
                        format!("`{}` chooses at random without a seed", n.name),
                    )
                    .with_help("add `seed: 1` so reruns keep the same records"),
                );
            }
            if n.is_llm() && n.kind.samples(n) > 1 && !n.args.contains_key("seed") && !model_seed {
                out.push(
                    Diagnostic::warning(
                        self.code(),
                        n.file,
                        n.name_span,
                        format!("`{}` samples several completions without a seed", n.name),
                    )
                    .with_help("add `seed:` to the step or the model so runs are reproducible where the server honours it"),
                );
            }
        }
        out
    }
}
