//! The test server's reply text: what a model "answers" to each of the
//! method's prompts (guidelines, structures, paths with boxed answers, judge
//! verdicts), drawn deterministically from the prompt and the seed.

use super::{unit, AppState};

fn after<'a>(text: &'a str, marker: &str) -> Option<&'a str> {
    text.rfind(marker)
        .map(|i| text[i + marker.len()..].lines().next().unwrap_or("").trim())
}

/// The text between the first marker found and the first end marker after it.
fn between<'a>(text: &'a str, starts: &[&str], ends: &[&str]) -> &'a str {
    let Some(from) = starts
        .iter()
        .find_map(|m| text.find(m).map(|i| i + m.len()))
    else {
        return "";
    };
    let rest = &text[from..];
    let to = ends
        .iter()
        .filter_map(|m| rest.find(m))
        .min()
        .unwrap_or(rest.len());
    &rest[..to]
}

pub(super) fn reply(s: &AppState, prompt: &str, seed: i64, i: u64, _temperature: f64) -> String {
    use crate::answer::{self, AnswerKind};
    let h = |salt: &str| unit(seed as u64 ^ s.cfg.seed, i, &format!("{salt}{prompt}"));
    let lower = prompt.to_lowercase();
    if lower.contains("yes or no") || lower.contains("reply \"yes\" or \"no\"") {
        let reference = after(prompt, "Correct answer:")
            .or_else(|| after(prompt, "Reference answer:"))
            .unwrap_or("");
        let solution = between(
            prompt,
            &["Solution written by a model:", "Proposed solution:"],
            &["Correct answer:", "Reference answer:"],
        );
        let boxed = answer::boxed_answer(solution);
        let ok = boxed.is_some_and(|b| answer::matches(&b, reference, AnswerKind::Number));
        return if ok {
            "Yes, the final answers agree.".into()
        } else {
            "No, the final answer differs.".into()
        };
    }
    if prompt.contains("\\boxed{") {
        let question = after(prompt, "Task:")
            .or_else(|| after(prompt, "Problem:"))
            .or_else(|| after(prompt, "Q:"))
            .unwrap_or("");
        let question = question
            .trim_end_matches(|c: char| c == ')' || c == '.' || c.is_ascii_digit() || c == ' ')
            .trim();
        let key = s
            .answers
            .iter()
            .find(|(q, _)| question.starts_with(q.as_str()) || q.starts_with(question))
            .map(|(_, a)| a.clone());
        // A hint: "the correct final answer is X." or "… the final answer, which is X, in …".
        let hinted = ["the correct final answer is", "the final answer, which is"]
            .iter()
            .find_map(|m| {
                let at = lower.rfind(m)?;
                let rest = &prompt[at + m.len()..];
                Some(
                    rest.lines()
                        .next()
                        .unwrap_or("")
                        .split(". ")
                        .next()
                        .unwrap_or("")
                        .split(", ")
                        .next()
                        .unwrap_or("")
                        .trim()
                        .trim_end_matches('.')
                        .to_string(),
                )
            });
        let right = key.clone().or(hinted.clone()).unwrap_or_else(|| "0".into());
        let answer = if hinted.is_some() || h("correct") < s.cfg.correct {
            right
        } else {
            right
                .parse::<i64>()
                .map(|x| (x + 1 + (h("off") * 5.0) as i64).to_string())
                .unwrap_or_else(|_| "unknown".into())
        };
        // The draft number keeps distinct prompts' paths distinct, as a real model's are.
        let draft = (h("draft") * 1e6) as u64;
        return s
            .cfg
            .path_format
            .replace("\\n", "\n")
            .replace("{answer}", &answer)
            .replace("{draft}", &draft.to_string());
    }
    if lower.contains("guidelines above") {
        // A selection: two of the numbered guidelines, written out as listed.
        let listed: Vec<&str> = prompt
            .lines()
            .filter(|l| {
                l.split_once(". ")
                    .is_some_and(|(n, _)| !n.is_empty() && n.chars().all(|c| c.is_ascii_digit()))
            })
            .collect();
        if !listed.is_empty() {
            let a = (h("pick1") * listed.len() as f64) as usize % listed.len();
            let b =
                (a + 1 + (h("pick2") * (listed.len() - 1).max(1) as f64) as usize) % listed.len();
            let strip = |l: &str| l.split_once(". ").map_or(l, |x| x.1).to_string();
            return format!("{}\n{}", strip(listed[a]), strip(listed[b]));
        }
    }
    let variants = [
        "Focus on the quantities given and how each operation changes the total.",
        "Break the task into the amounts before and after each event, then combine them.",
        "Write the unknown as a variable and translate each sentence into an operation.",
    ];
    let pick = (h("text") * variants.len() as f64) as usize % variants.len();
    format!("{} (variant {})", variants[pick], (h("n") * 1e6) as u64)
}
