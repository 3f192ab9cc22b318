//! Turn a pest failure into "expected …" in words a user knows.

use super::grammar::Rule;
use crate::diagnostic::Span;

/// Where a parse failed (absolute span) and what was expected there.
pub fn describe_failure(text: &str, base: usize, e: &pest::error::Error<Rule>) -> (Span, String) {
    let mut pos = match e.location {
        pest::error::InputLocation::Pos(p) => p,
        pest::error::InputLocation::Span((s, _)) => s,
    };
    if let Some(a) = e.parse_attempts() {
        pos = pos.max(a.max_position);
    }
    let at = base + pos;
    let end = text[at.min(text.len())..]
        .char_indices()
        .find(|(_, c)| c.is_whitespace() || matches!(c, ',' | ')' | '(' | '{' | '}'))
        .map_or(text.len(), |(i, _)| at + i.max(1));
    let found = text.get(at..end).filter(|s| !s.is_empty());
    let mut expected: Vec<String> = match &e.variant {
        pest::error::ErrorVariant::ParsingError { positives, .. } => positives
            .iter()
            .filter_map(|r| rule_words(*r))
            .map(String::from)
            .collect(),
        pest::error::ErrorVariant::CustomError { .. } => vec![],
    };
    // With error detail on, pest also knows the literal tokens it tried (`,` `)` `=`).
    if let Some(attempts) = e.parse_attempts() {
        if attempts.max_position == pos {
            for t in attempts.expected_tokens() {
                let token = t.to_string();
                let punct = token.len() <= 3
                    && !token.contains("..")
                    && token.chars().all(|c| c.is_ascii_punctuation());
                const OPERATORS: &[&str] = &[
                    "!=", "%", "*", "+", "-", "/", "<=", "<", "==", ">=", ">", "|",
                ];
                if OPERATORS.contains(&token.as_str()) {
                    expected.push("an operator".into());
                } else if punct && token != "#" && token != "_" {
                    expected.push(format!("`{token}`"));
                }
            }
        }
    }
    expected.sort();
    expected.dedup();
    let expected = match expected.len() {
        0 => "a declaration".to_string(),
        1 => expected[0].clone(),
        _ => {
            let (last, rest) = expected
                .split_last()
                .map(|(l, r)| (l.clone(), r.to_vec()))
                .unwrap_or_default();
            format!("{} or {}", rest.join(", "), last)
        }
    };
    let message = match found {
        Some(f) => format!(
            "expected {expected}, found `{}`",
            f.chars().take(40).collect::<String>()
        ),
        None => format!("expected {expected}, found the end of the line"),
    };
    (
        Span::new(at, end.max(at + 1).min(text.len().max(at))),
        message,
    )
}

fn rule_words(rule: Rule) -> Option<&'static str> {
    Some(match rule {
        Rule::name | Rule::wf_name => "a name",
        Rule::string | Rule::plain_string | Rule::triple_string => "a string",
        Rule::expr => "an expression",
        Rule::call => "a call like `llm(...)`",
        Rule::arg | Rule::named_arg => "an argument",
        Rule::type_name => "a type (int, float, bool, string, path)",
        Rule::prop => "a setting `name = value`",
        Rule::number => "a number",
        Rule::workflow_decl => "`workflow`",
        Rule::extends_decl => "`extends`",
        Rule::param_decl => "`param`",
        Rule::model_decl => "`model`",
        Rule::source_decl => "`source`",
        Rule::pool_decl => "`pool`",
        Rule::step_decl => "`step`",
        Rule::sink_decl => "`sink`",
        Rule::remove_decl => "`remove`",
        Rule::shape_decl => "`shape`",
        Rule::python_decl => "`python`",
        Rule::EOI => "the end of the line",
        Rule::alt
        | Rule::or
        | Rule::and
        | Rule::eq
        | Rule::ne
        | Rule::lt
        | Rule::le
        | Rule::gt
        | Rule::ge
        | Rule::add
        | Rule::sub
        | Rule::mul
        | Rule::div
        | Rule::rem => "an operator",
        _ => return None,
    })
}
