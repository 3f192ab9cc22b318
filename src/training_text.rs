//! The ReGenesis training text, by the rules of the authors' `process_reason.py`:
//! a path is split into paragraphs on blank lines (whitespace collapsed inside
//! each); it needs a numbered-steps paragraph ("1." with a "2." from there on);
//! the text starts at the last such paragraph.

/// Paragraphs split on `\n\n`, each trimmed with runs of whitespace made one space; empty ones dropped.
pub fn paragraphs(text: &str) -> Vec<String> {
    // Python's `strip` and `\s`, as the authors' script reads them (U+001C–U+001F are white space too).
    text.split("\n\n")
        .map(crate::python_text::collapse_space)
        .filter(|p| !p.is_empty())
        .collect()
}

/// Index of the last paragraph that contains "1." and from which on a "2." follows
/// (in it or in a later paragraph). Substring tests, as in the authors' code.
///
/// The authors' script tests that index for truth (`if idx_s:`), so a path whose
/// numbered steps start in its very first paragraph (index 0) is dropped. That
/// looks like an accident of Python, but it is what produced their data, so it
/// is the default; `first_counts` (the workflow param `numbered_from_first`,
/// set by the `fixes` variant) keeps such paths.
pub fn numbered_start(paras: &[String], first_counts: bool) -> Option<usize> {
    (0..paras.len())
        .rev()
        .find(|&i| paras[i].contains("1.") && paras[i..].concat().contains("2."))
        .filter(|&i| i > 0 || first_counts)
}

/// Does the path have numbered steps (where the authors' filter finds them)?
pub fn has_numbered_steps(text: &str, first_counts: bool) -> bool {
    numbered_start(&paragraphs(text), first_counts).is_some()
}

/// The paragraphs from the numbered steps on, joined by blank lines; empty when there are none.
pub fn from_numbered_steps(text: &str, first_counts: bool) -> String {
    let paras = paragraphs(text);
    numbered_start(&paras, first_counts).map_or_else(String::new, |i| paras[i..].join("\n\n"))
}

/// `convert_format.py`: every `\boxed{` and every `}` removed from the training text.
pub fn strip_boxes(text: &str) -> String {
    text.replace("\\boxed{", "").replace('}', "")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paragraphs_collapse_whitespace_and_skip_empty_ones() {
        assert_eq!(paragraphs("  a \n b\n\n\n\nc\td \n\n"), vec!["a b", "c d"]);
    }

    #[test]
    fn the_text_starts_at_the_last_numbered_paragraph() {
        let path = "We need the total.\n\n1. Add 2 and 3.\n2. That is 5.\n\nSo \\boxed{5}.";
        assert_eq!(
            from_numbered_steps(path, false),
            "1. Add 2 and 3. 2. That is 5.\n\nSo \\boxed{5}."
        );
        assert_eq!(
            strip_boxes(&from_numbered_steps(path, false)),
            "1. Add 2 and 3. 2. That is 5.\n\nSo 5."
        );
        // "1." in one paragraph and "2." in the next counts; the later "1." paragraph wins
        // only when a "2." follows it.
        let split = "Intro.\n\nStep 1. read\n\nStep 2. add\n\nNote 1.5 kg";
        assert_eq!(
            from_numbered_steps(split, false),
            "Step 1. read\n\nStep 2. add\n\nNote 1.5 kg"
        );
        assert!(!has_numbered_steps(
            "First read, then add. \\boxed{5}",
            false
        ));
        assert!(!has_numbered_steps("1. only one step", false));
        // Steps from the first paragraph on: dropped as the authors drop them, kept by the fix.
        assert!(!has_numbered_steps("1. Add.\n2. Done. \\boxed{5}", false));
        assert!(has_numbered_steps("1. Add.\n2. Done. \\boxed{5}", true));
    }
}
