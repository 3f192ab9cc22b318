//! Token counts as the authors count them: OpenAI's cl100k encoding
//! (`process_reason.py` drops paths of 800 tokens or more by `tiktoken`).
//! The encoding is embedded in the binary and loaded once, on first use.
//! Planning estimates stay at ≈ 4 bytes a token (`defaults::estimated_tokens`).

/// Tokens of `text` in cl100k. Special-token text such as `<|endoftext|>` is
/// counted as ordinary text (the authors' `encode` raises on it, and their
/// loop then drops the path: a difference only for replies holding that text).
pub fn cl100k(text: &str) -> usize {
    tiktoken_rs::cl100k_base_singleton()
        .encode_ordinary(text)
        .len()
}

#[cfg(test)]
mod tests {
    #[test]
    fn counts_match_tiktoken() {
        // Counts from Python's tiktoken (cl100k_base).
        assert_eq!(super::cl100k("hello world"), 2);
        assert_eq!(super::cl100k("Let's think step by step."), 7);
        assert_eq!(super::cl100k(""), 0);
        assert_eq!(super::cl100k("İİİİ"), super::cl100k("İİİİ"));
    }
}
