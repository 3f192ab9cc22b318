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

/// Remember a secret so that every later line hides it, in the forms a server
/// may echo it in: as given, trimmed (HTTP header values are), and escaped as
/// inside a JSON string (a key holding `"` or `\`).
pub fn register(secret: &str) {
    let trimmed = secret.trim();
    let escaped = |k: &str| {
        serde_json::to_string(k)
            .map(|q| q[1..q.len() - 1].to_string())
            .unwrap_or_default()
    };
    let forms = [
        secret.to_string(),
        trimmed.to_string(),
        escaped(secret),
        escaped(trimmed),
    ];
    let mut s = SECRETS.write().unwrap_or_else(|p| p.into_inner());
    for form in forms {
        if form.len() >= MIN_LEN && !s.contains(&form) {
            s.push(form);
        }
    }
    // Longest first: a form that contains another is hidden whole.
    s.sort_by_key(|k| std::cmp::Reverse(k.len()));
}

/// A key regen is about to send: registered for redaction, then refused if it
/// cannot go into an HTTP header (see [`header_problem`]).
pub fn accept_key(key_env: &str, key: &str) -> Result<(), KeyProblem> {
    register(key);
    header_problem(key_env, key).map_or(Ok(()), Err)
}

/// A key that cannot go into an HTTP header: the variable, and the first
/// character that cannot.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{key_env} holds a character an HTTP header cannot carry ({bad:?}{}); remove it and run again", if *bad == '\r' { ", as a Windows .env file leaves at the end of a line" } else { "" })]
pub struct KeyProblem {
    pub key_env: String,
    pub bad: char,
}

/// Why a key cannot go into an HTTP header, if it cannot: a control character
/// (a `\r` from a Windows `.env` file) would make every request fail.
pub fn header_problem(key_env: &str, key: &str) -> Option<KeyProblem> {
    let bad = key.chars().find(|c| c.is_control() || !c.is_ascii())?;
    Some(KeyProblem {
        key_env: key_env.to_string(),
        bad,
    })
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
        assert_eq!(
            super::redact("body: {\"key\": \"sk-test-1234567890\"}"),
            "body: {\"key\": \"[redacted]\"}"
        );
        assert_eq!(super::redact("ab cd"), "ab cd");
        // Echoed trimmed, or JSON-escaped.
        super::register("sk-TRAIL-6666 ");
        assert_eq!(
            super::redact("you sent: Bearer sk-TRAIL-6666)"),
            "you sent: Bearer [redacted])"
        );
        super::register("sk-AB\"CD\\EF-4242");
        assert_eq!(
            super::redact("{\"e\": \"sk-AB\\\"CD\\\\EF-4242\"}"),
            "{\"e\": \"[redacted]\"}"
        );
        assert!(
            super::header_problem("K", "sk-1\r").is_some_and(|m| m.to_string().contains("Windows"))
        );
        assert!(super::header_problem("K", "sk-ok-1234").is_none());
    }
}
