//! Comments are not in the syntax tree; `fmt` finds them in the text and puts
//! each back before the construct that follows it (or after, on the same line).

use crate::diagnostic::Span;

#[derive(Debug, Clone)]
pub struct Comment {
    pub span: Span,
    pub text: String,
}

/// Every `# …` comment outside string literals, in order.
pub fn scan(text: &str) -> Vec<Comment> {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        // Byte-wise: `"` and `#` are ASCII, so they never sit inside a multi-byte char.
        if bytes[i..].starts_with(b"\"\"\"") {
            i = find(&bytes[i + 3..], b"\"\"\"").map_or(bytes.len(), |e| i + 3 + e + 3);
            continue;
        }
        match bytes[i] {
            b'"' => {
                i += 1;
                while i < bytes.len() && bytes[i] != b'"' && bytes[i] != b'\n' {
                    i += if bytes[i] == b'\\' { 2 } else { 1 };
                }
                i += 1;
            }
            b'#' => {
                let end = find(&bytes[i..], b"\n").map_or(bytes.len(), |e| i + e);
                out.push(Comment {
                    span: Span::new(i, end),
                    text: text[i..end].trim_end().to_string(),
                });
                i = end;
            }
            _ => i += 1,
        }
    }
    out
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}
