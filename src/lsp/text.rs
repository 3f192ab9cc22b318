//! Positions in a buffer: byte offsets (the checker's spans) and LSP positions
//! (line, UTF-16 code unit), and the word or string under the cursor.

use lsp_types::{Position, Range};

pub fn position(text: &str, offset: usize) -> Position {
    let offset = crate::diagnostic::floor_char_boundary(text, offset.min(text.len()));
    let before = &text[..offset];
    let line = before.matches('\n').count();
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let character = text[line_start..offset].encode_utf16().count();
    Position::new(line as u32, character as u32)
}

pub fn offset(text: &str, pos: Position) -> usize {
    let mut line_start = 0;
    for _ in 0..pos.line {
        match text[line_start..].find('\n') {
            Some(i) => line_start += i + 1,
            None => return text.len(),
        }
    }
    let line_end = text[line_start..]
        .find('\n')
        .map_or(text.len(), |i| line_start + i);
    let mut units = 0;
    for (i, c) in text[line_start..line_end].char_indices() {
        if units >= pos.character as usize {
            return line_start + i;
        }
        units += c.len_utf16();
    }
    line_end
}

pub fn range(text: &str, start: usize, end: usize) -> Range {
    Range::new(position(text, start), position(text, end.max(start)))
}

fn is_word(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

/// The identifier at `offset` (touching it from either side), with its byte range.
pub fn word_at(text: &str, offset: usize) -> Option<(usize, usize, &str)> {
    let offset = crate::diagnostic::floor_char_boundary(text, offset.min(text.len()));
    let start = text[..offset]
        .rfind(|c: char| !is_word(c))
        .map_or(0, |i| i + 1);
    let end = text[offset..]
        .find(|c: char| !is_word(c))
        .map_or(text.len(), |i| offset + i);
    (start < end).then(|| (start, end, &text[start..end]))
}

/// The string literal (on one line) the cursor is in: its content's byte range and text.
pub fn string_at(text: &str, offset: usize) -> Option<(usize, usize, &str)> {
    let offset = crate::diagnostic::floor_char_boundary(text, offset.min(text.len()));
    let line_start = text[..offset].rfind('\n').map_or(0, |i| i + 1);
    let line_end = text[offset..].find('\n').map_or(text.len(), |i| offset + i);
    let line = &text[line_start..line_end];
    let mut open: Option<usize> = None;
    let mut chars = line.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        match (c, open) {
            ('#', None) => return None,
            ('\\', Some(_)) => {
                chars.next();
            }
            ('"', None) => open = Some(i + 1),
            ('"', Some(s)) => {
                let (a, b) = (line_start + s, line_start + i);
                if (a..=b).contains(&offset) {
                    return Some((a, b, &text[a..b]));
                }
                open = None;
            }
            _ => {}
        }
    }
    None
}

/// Byte ranges of `name` as a whole identifier outside comments and string
/// literals, plus inside `{{ }}`/`{% %}` of strings (inline templates).
pub fn identifier_occurrences(text: &str, name: &str) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        let mut in_string = false;
        let mut i = 0;
        let bytes = line.as_bytes();
        while i < bytes.len() {
            let c = bytes[i] as char;
            if !in_string && c == '#' {
                break;
            }
            if c == '\\' && in_string {
                i += 2;
                continue;
            }
            if c == '"' {
                in_string = !in_string;
                i += 1;
                continue;
            }
            if is_word(c) && (i == 0 || !is_word(bytes[i - 1] as char)) {
                let end = line[i..]
                    .find(|ch: char| !is_word(ch))
                    .map_or(line.len(), |e| i + e);
                if &line[i..end] == name && (!in_string || inside_template_tag(&line[..i])) {
                    out.push((offset + i, offset + end));
                }
                i = end;
                continue;
            }
            i += 1;
        }
        offset += line.len();
    }
    out
}

/// Whether text ending here has an open `{{` or `{%` (an expression of an inline template).
fn inside_template_tag(before: &str) -> bool {
    let open = before.rfind("{{").max(before.rfind("{%"));
    let close = before.rfind("}}").max(before.rfind("%}"));
    match (open, close) {
        (Some(o), Some(c)) => o > c,
        (Some(_), None) => true,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_count_utf16_units_and_round_trip() {
        let text = "a = \"é𝄞x\"\nstep b";
        let x = text.find('x').unwrap();
        assert_eq!(position(text, x), Position::new(0, 8));
        assert_eq!(offset(text, Position::new(0, 8)), x);
        assert_eq!(offset(text, Position::new(1, 5)), text.find('b').unwrap());
        assert_eq!(offset(text, Position::new(9, 0)), text.len());
    }

    #[test]
    fn occurrences_skip_comments_and_plain_strings_but_not_template_tags() {
        let text =
            "step a = llm(q, prompt: \"about a: {{ a }}\") # a\nstep b = keep(a, where: a > 1)\n";
        let found: Vec<&str> = identifier_occurrences(text, "a")
            .iter()
            .map(|(s, e)| &text[*s..*e])
            .collect();
        assert_eq!(found.len(), 4, "{found:?}");
    }
}
