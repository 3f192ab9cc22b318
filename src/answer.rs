//! Answer extraction and comparison for the paper's formats: numbers (GSM8K's
//! `#### N`, commas, `$`, `%`, `.0`), multiple choice (`(B) text`), true/false.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AnswerKind {
    Number,
    Choice,
    Bool,
    Text,
}

impl AnswerKind {
    pub const NAMES: &'static [&'static str] = &["number", "choice", "bool", "text"];
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "number" => AnswerKind::Number,
            "choice" => AnswerKind::Choice,
            "bool" => AnswerKind::Bool,
            "text" => AnswerKind::Text,
            _ => return None,
        })
    }
}

/// Content of the last `\boxed{…}` (braces balanced), if any.
pub fn last_boxed(text: &str) -> Option<&str> {
    let start = text.rfind("\\boxed{")? + "\\boxed{".len();
    let mut depth = 1;
    for (i, c) in text[start..].char_indices() {
        match c {
            '{' => depth += 1,
            '}' => {
                depth -= 1;
                if depth == 0 {
                    return Some(&text[start..start + i]);
                }
            }
            _ => {}
        }
    }
    None
}

/// The final answer of a reasoning path: the boxed content, else the text after
/// `####` or "answer is", else (numbers only) the last number in the text.
pub fn extract(text: &str, kind: AnswerKind) -> Option<String> {
    let region = last_boxed(text)
        .or_else(|| text.rsplit_once("####").map(|(_, a)| a))
        .or_else(|| {
            // ASCII lower-casing keeps every byte where it was, so the index found
            // is an index into `text` (full lower-casing turns `İ` into 3 bytes).
            let lower = text.to_ascii_lowercase();
            lower
                .rfind("answer is")
                .map(|i| &text[i + "answer is".len()..])
        });
    match kind {
        // Only with no answer region at all does the last number of the whole text
        // count: a box holding "forty-two" must not yield a step number. Digits
        // are read as Python reads them (`٤٢` and `４２` are 42).
        AnswerKind::Number => {
            last_number(&crate::python_text::ascii_digits(region.unwrap_or(text)))
        }
        AnswerKind::Choice => region
            .and_then(choice_letter)
            .or_else(|| region.map(|r| r.trim().to_string())),
        AnswerKind::Bool => region.and_then(bool_word),
        AnswerKind::Text => region
            .map(|r| r.trim().trim_end_matches('.').to_string())
            .filter(|s| !s.is_empty()),
    }
}

/// Normalise a label from a dataset to the same form `extract` produces.
pub fn normalize_label(label: &str, kind: AnswerKind) -> Option<String> {
    match kind {
        AnswerKind::Number => {
            let after = label.rsplit_once("####").map_or(label, |(_, a)| a);
            last_number(&crate::python_text::ascii_digits(after))
        }
        AnswerKind::Choice => choice_letter(label).or_else(|| Some(label.trim().to_string())),
        AnswerKind::Bool => bool_word(label),
        AnswerKind::Text => Some(label.trim().to_string()),
    }
}

/// Does a predicted answer match the label? Numbers compare numerically;
/// choices by letter; text by case-insensitive containment.
pub fn matches(predicted: &str, label: &str, kind: AnswerKind) -> bool {
    // A blank label is contained in every answer: it matches nothing instead.
    let Some(gold) = normalize_label(label, kind).filter(|g| !g.trim().is_empty()) else {
        return false;
    };
    match kind {
        // As the authors' exact-match check does: the first or the last number
        // of the answer may equal the label (`\boxed{6 = 7}` matches 6 and 7).
        AnswerKind::Number => {
            let Some(g) = gold.parse::<f64>().ok() else {
                return false;
            };
            [first_number(predicted), last_number(predicted)]
                .into_iter()
                .flatten()
                .filter_map(|p| p.parse::<f64>().ok())
                .any(|p| (p - g).abs() <= 1e-6 * g.abs().max(1.0))
        }
        AnswerKind::Choice => {
            choice_letter(predicted).is_some_and(|p| p == gold) || {
                let (p, g) = (predicted.trim().to_lowercase(), gold.to_lowercase());
                !p.is_empty() && (p.contains(&g) || g.contains(&p))
            }
        }
        AnswerKind::Bool => bool_word(predicted).is_some_and(|p| p == gold),
        AnswerKind::Text => {
            let (p, g) = (predicted.trim().to_lowercase(), gold.to_lowercase());
            !p.is_empty() && (p.contains(&g) || g.contains(&p))
        }
    }
}

/// The strict boxed mode: the trimmed content of the last `\boxed{…}`, and
/// nothing when the text has no complete box (the authors keep no such path).
pub fn boxed_answer(text: &str) -> Option<String> {
    last_boxed(text).map(|b| b.trim().to_string())
}

/// First number in text, normalised as [`last_number`] does.
pub fn first_number(text: &str) -> Option<String> {
    numbers(text).into_iter().next()
}

/// Last number in text, normalised: commas, `$`, `%` and a trailing `.0` removed.
pub fn last_number(text: &str) -> Option<String> {
    numbers(text).pop()
}

/// Every number in text, in order, normalised.
fn numbers(text: &str) -> Vec<String> {
    let cleaned: String = text.chars().filter(|c| *c != ',' && *c != '$').collect();
    let bytes = cleaned.as_bytes();
    let mut found: Vec<(usize, usize)> = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i].is_ascii_digit() {
            let start = if i > 0 && bytes[i - 1] == b'-' {
                i - 1
            } else {
                i
            };
            let mut j = i;
            while j < bytes.len()
                && (bytes[j].is_ascii_digit()
                    || (bytes[j] == b'.' && j + 1 < bytes.len() && bytes[j + 1].is_ascii_digit()))
            {
                j += 1;
            }
            found.push((start, j));
            i = j;
        } else {
            i += 1;
        }
    }
    found
        .into_iter()
        .map(|(s, e)| {
            let n = &cleaned[s..e];
            let n = if n.contains('.') {
                n.trim_end_matches('0').trim_end_matches('.')
            } else {
                n
            };
            if n == "-0" || n.is_empty() {
                "0".into()
            } else {
                n.to_string()
            }
        })
        .collect()
}

/// `(B)`, `B)`, `B.`, `B`, "option B" → "B".
pub fn choice_letter(text: &str) -> Option<String> {
    let t = text.trim();
    let t = t
        .strip_prefix("\\text{")
        .map_or(t, |x| x.trim_end_matches('}'));
    let t = t
        .trim_start_matches("option ")
        .trim_start_matches("Option ");
    let t = t.trim_start_matches('(');
    let mut chars = t.chars();
    let first = chars.next()?;
    let rest = chars.next();
    if first.is_ascii_alphabetic()
        && matches!(rest, None | Some(')') | Some('.') | Some(':') | Some(' '))
    {
        return Some(first.to_ascii_uppercase().to_string());
    }
    None
}

fn bool_word(text: &str) -> Option<String> {
    let t = text.trim().trim_start_matches("\\text{").to_lowercase();
    for (words, v) in [(["yes", "true"], "true"), (["no", "false"], "false")] {
        if words.iter().any(|w| t.starts_with(w)) {
            return Some(v.into());
        }
    }
    None
}

/// Would an answer of this kind ever compare equal to a label of that kind?
pub fn kinds_compatible(extracted: AnswerKind, label: AnswerKind) -> bool {
    extracted == label || extracted == AnswerKind::Text || label == AnswerKind::Text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers() {
        assert_eq!(
            extract("so \\boxed{1,234.0} dollars", AnswerKind::Number).as_deref(),
            Some("1234")
        );
        assert_eq!(
            extract("The total is $45.", AnswerKind::Number).as_deref(),
            Some("45")
        );
        assert!(matches("\\boxed{50%}", "#### 50", AnswerKind::Number));
        assert!(matches("-3", "-3.00", AnswerKind::Number));
        assert!(!matches("12", "13", AnswerKind::Number));
        assert_eq!(extract("no digits here", AnswerKind::Number), None);
        assert_eq!(last_boxed("\\boxed{\\frac{1}{2}}"), Some("\\frac{1}{2}"));
    }

    #[test]
    fn strict_boxed_mode_matches_the_first_or_last_number_of_the_last_box() {
        assert_eq!(
            boxed_answer("so 6 = 7, \\boxed{ 6 = 7 }").as_deref(),
            Some("6 = 7")
        );
        assert_eq!(boxed_answer("the answer is 6"), None);
        assert!(matches("6 = 7", "6", AnswerKind::Number));
        assert!(matches("6 = 7", "7", AnswerKind::Number));
        assert!(!matches("5 + 1 = 7", "6", AnswerKind::Number));
        assert_eq!(first_number("a 1,200 then 3"), Some("1200".into()));
    }

    #[test]
    fn non_ascii_before_the_answer_phrase_neither_panics_nor_shifts_the_answer() {
        assert_eq!(
            extract("İİİİİİİİ so the answer is 5", AnswerKind::Number).as_deref(),
            Some("5")
        );
        assert_eq!(
            extract("İİ so the answer is 12", AnswerKind::Number).as_deref(),
            Some("12")
        );
        assert_eq!(
            extract("ẞİ Ǆ THE ANSWER IS (C) ok", AnswerKind::Choice).as_deref(),
            Some("C")
        );
        assert_eq!(
            extract("İstanbul: the answer is yes", AnswerKind::Bool).as_deref(),
            Some("true")
        );
        assert_eq!(
            extract("İİİ the answer is İzmir.", AnswerKind::Text).as_deref(),
            Some("İzmir")
        );
    }

    #[test]
    fn a_box_without_a_number_is_no_number_and_unicode_digits_read_as_digits() {
        let path =
            "1. Read.\n2. Combine.\n3. Check the result. So the answer is \\boxed{forty-two}";
        assert_eq!(
            extract(path, AnswerKind::Number),
            None,
            "not the step number 3"
        );
        assert!(!matches(
            &extract(path, AnswerKind::Number).unwrap_or_default(),
            "3",
            AnswerKind::Number
        ));
        for boxed in ["٤٢", "４２", "४२"] {
            let got = extract(
                &format!("1. a\n2. b\n3. c \\boxed{{{boxed}}}"),
                AnswerKind::Number,
            );
            assert_eq!(got.as_deref(), Some("42"), "{boxed}");
        }
    }

    #[test]
    fn choices_and_bools() {
        assert_eq!(
            extract("thus \\boxed{(B) the cat}", AnswerKind::Choice).as_deref(),
            Some("B")
        );
        assert!(matches("B", "(B) text", AnswerKind::Choice));
        assert!(!matches("C", "(B) text", AnswerKind::Choice));
        assert!(
            matches("\\boxed{Yes}", "true", AnswerKind::Bool)
                || matches("Yes", "true", AnswerKind::Bool)
        );
        assert!(matches("false", "No", AnswerKind::Bool));
        assert!(matches("Paris, France", "paris", AnswerKind::Text));
        for kind in [
            AnswerKind::Choice,
            AnswerKind::Text,
            AnswerKind::Bool,
            AnswerKind::Number,
        ] {
            assert!(!matches("anything at all", "", kind));
            assert!(!matches("B", "   ", kind));
        }
    }
}
