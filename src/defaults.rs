//! Defaults that more than one part of regen uses, each stated once here
//! (a step's own defaults live with its kind; a model setting's with
//! `model_settings`).

/// Completion tokens an estimate assumes for one call: the step's
/// `max_tokens` when it is smaller, else this (replies rarely fill a large
/// limit). Planning (`regen plan`) and the rate limiter's token bucket both
/// use it; the bucket settles with the real usage once the reply is in.
pub const TYPICAL_COMPLETION_TOKENS: f64 = 300.0;

/// The plan's upper bound on a reply when a step sets no `max_tokens`
/// (servers' own defaults vary; this is what `regen plan` prints as the most).
pub const UNSET_MAX_TOKENS_BOUND: f64 = 1024.0;

/// The temperature `regen eval --samples K` (self-consistency) samples at
/// unless `--set temperature=…` says otherwise: K greedy samples would be one
/// answer K times. `regen eval` says when it applies it.
pub const SELF_CONSISTENCY_TEMPERATURE: &str = "0.7";

/// Tokens a text counts as in estimates: about 4 bytes a token. Exact counts
/// (the `tokens()` filter function) are cl100k's (`tokens::cl100k`).
pub fn estimated_tokens(text: &str) -> f64 {
    text.len() as f64 / 4.0
}

/// Completion tokens an estimate assumes for a call with this `max_tokens`.
pub fn estimated_completion(max_tokens: Option<f64>) -> f64 {
    max_tokens.map_or(TYPICAL_COMPLETION_TOKENS, |m| {
        m.min(TYPICAL_COMPLETION_TOKENS)
    })
}
