//! Secrets regen holds (API keys) and their redaction. Every key regen reads
//! is registered here, and every line the log prints, regen's or a library's,
//! passes through [`redact`]: a server that echoes the key in an error body
//! cannot put it on a terminal or in a CI log.

use std::borrow::Cow;
use std::sync::RwLock;

static SECRETS: RwLock<Vec<String>> = RwLock::new(Vec::new());

/// Shorter keys are not redacted: "[redacted]" in place of every "ab" would
/// garble text and protect nothing.
const MIN_LEN: usize = 4;

/// Remember a secret so that every later line hides it.
pub fn register(secret: &str) {
    if secret.len() < MIN_LEN {
        return;
    }
    let mut s = SECRETS.write().unwrap_or_else(|p| p.into_inner());
    if !s.iter().any(|k| k == secret) {
        s.push(secret.to_string());
        // Longest first: a key that contains another is hidden whole.
        s.sort_by_key(|k| std::cmp::Reverse(k.len()));
    }
}

/// The text with every registered secret replaced by `[redacted]`.
pub fn redact(text: &str) -> Cow<'_, str> {
    let s = SECRETS.read().unwrap_or_else(|p| p.into_inner());
    if !s.iter().any(|k| text.contains(k.as_str())) {
        return Cow::Borrowed(text);
    }
    let mut out = text.to_string();
    for k in s.iter() {
        out = out.replace(k.as_str(), "[redacted]");
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    #[test]
    fn registered_keys_are_hidden_and_short_ones_ignored() {
        super::register("sk-test-1234567890");
        super::register("ab");
        assert_eq!(super::redact("body: {\"key\": \"sk-test-1234567890\"}"), "body: {\"key\": \"[redacted]\"}");
        assert_eq!(super::redact("ab cd"), "ab cd");
    }
}
