//! Line-level helpers for error recovery: a broken line is reported once and
//! parsing goes on at the next declaration; nesting too deep for the parser is
//! refused up front.

use crate::diagnostic::{Diagnostic, FileId, Span};

/// Deeper nesting than this is refused instead of risking the stack.
pub const MAX_DEPTH: usize = 64;

/// Words that start a declaration.
const KEYWORDS: &[&str] = &[
    "workflow", "extends", "param", "model", "shape", "python", "source", "pool", "step", "sink",
    "remove",
];

/// pest recurses per nesting level; refuse absurd nesting before it does.
pub fn too_deep(text: &str, file: FileId) -> Option<Diagnostic> {
    let mut depth = 0usize;
    for (i, c) in text.char_indices() {
        match c {
            '(' | '[' | '{' => {
                depth += 1;
                if depth > MAX_DEPTH {
                    return Some(
                        Diagnostic::error(
                            "nesting-too-deep",
                            file,
                            Span::new(i, i + 1),
                            format!("brackets nest more than {MAX_DEPTH} levels deep"),
                        )
                        .with_help("split the expression into smaller steps or params"),
                    );
                }
            }
            ')' | ']' | '}' => depth = depth.saturating_sub(1),
            '\n' => {}
            _ => {}
        }
    }
    None
}

pub fn starts_with_keyword(line: &str) -> bool {
    let word: String = line
        .trim_start()
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
        .collect();
    KEYWORDS.contains(&word.as_str())
}

/// `step name = …` → `name`, for a line that did not parse.
pub fn declared_name(line: &str) -> Option<String> {
    let mut words = line.split_whitespace();
    let kw = words.next()?;
    let name: String = words
        .next()?
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
        .collect();
    (KEYWORDS.contains(&kw) && !name.is_empty()).then_some(name)
}

/// Open minus closed brackets on a line, ignoring those inside strings.
pub fn bracket_balance(line: &str) -> i32 {
    let mut depth = 0;
    let mut in_str = false;
    let mut escaped = false;
    for c in line.chars() {
        match c {
            _ if escaped => escaped = false,
            '\\' if in_str => escaped = true,
            '"' => in_str = !in_str,
            '#' if !in_str => break,
            '(' | '[' | '{' if !in_str => depth += 1,
            ')' | ']' | '}' if !in_str => depth -= 1,
            _ => {}
        }
    }
    depth
}
