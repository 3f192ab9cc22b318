//! pest → AST. Broken lines come back from the grammar as `bad_line`/`bad_prop`
//! pairs; each becomes one diagnostic with an "expected …" message and parsing
//! goes on, so a file with five mistakes gets five diagnostics.

use super::ast::*;
use super::expected::describe_failure;
use super::recovery::{bracket_balance, declared_name, starts_with_keyword, too_deep};
use crate::diagnostic::{Diagnostic, FileId, Span};
use pest::iterators::{Pair, Pairs};
use pest::Parser;

pub use super::grammar::{RegenGrammar, Rule};

pub struct Parsed {
    pub file: File,
    pub diagnostics: Vec<Diagnostic>,
}

pub fn parse(text: &str, file: FileId) -> Parsed {
    let mut diagnostics = Vec::new();
    if let Some(d) = too_deep(text, file) {
        return Parsed {
            file: File {
                items: vec![],
                broken: vec![],
            },
            diagnostics: vec![d],
        };
    }
    let pairs = match RegenGrammar::parse(Rule::file, text) {
        Ok(p) => p,
        Err(e) => {
            // The catch-all rules make this unreachable in practice; still, never panic.
            let (span, message) = describe_failure(text, 0, &e);
            diagnostics.push(Diagnostic::error("syntax-error", file, span, message));
            return Parsed {
                file: File {
                    items: vec![],
                    broken: vec![],
                },
                diagnostics,
            };
        }
    };
    let mut b = Builder {
        file,
        text,
        diagnostics: &mut diagnostics,
        broken: vec![],
    };
    let items = b.items(pairs);
    let broken = b.broken;
    Parsed {
        file: File { items, broken },
        diagnostics,
    }
}

/// A pair's span without the whitespace and comments pest skipped after it.
pub(super) fn span_of(p: &Pair<Rule>) -> Span {
    let s = p.as_span();
    Span::new(s.start(), tight_end(s.get_input(), s.start(), s.end()))
}

fn tight_end(text: &str, start: usize, mut end: usize) -> usize {
    loop {
        end = start + text[start..end].trim_end().len();
        let line_start = text[..end].rfind('\n').map_or(0, |i| i + 1).max(start);
        let line = &text[line_start..end];
        match super::comments::scan(line).first() {
            Some(c) => end = line_start + c.span.start,
            None => return end,
        }
    }
}

pub(super) struct Builder<'a> {
    pub(super) file: FileId,
    pub(super) text: &'a str,
    pub(super) diagnostics: &'a mut Vec<Diagnostic>,
    pub(super) broken: Vec<String>,
}

impl Builder<'_> {
    fn items(&mut self, pairs: Pairs<Rule>) -> Vec<Item> {
        let mut items = Vec::new();
        // Consecutive broken lines inside one unbalanced construct are one mistake.
        let mut open_error: Option<(Span, i32)> = None;
        let file_pair = pairs.into_iter().next();
        for p in file_pair.into_iter().flat_map(|f| f.into_inner()) {
            match p.as_rule() {
                Rule::EOI => {}
                Rule::bad_line => {
                    let span = span_of(&p);
                    let line = p.as_str();
                    let starts_item = starts_with_keyword(line);
                    match open_error {
                        Some((s, depth)) if depth > 0 || !starts_item => {
                            open_error = Some((s.join(span), depth + bracket_balance(line)));
                        }
                        _ => {
                            self.broken.extend(declared_name(line));
                            if line.trim_start().starts_with("model ") {
                                // Marks that a model was meant, so steps are not told none is declared.
                                self.broken
                                    .extend(declared_name(line).map(|n| format!("model:{n}")));
                            }
                            self.report_bad_line(span);
                            open_error = Some((span, bracket_balance(line)));
                        }
                    }
                }
                _ => {
                    open_error = None;
                    if let Some(item) = self.item(p) {
                        items.push(item);
                    }
                }
            }
        }
        items
    }

    fn report_bad_line(&mut self, span: Span) {
        let line = &self.text[span.start..span.end];
        if line.trim_start().starts_with("model ") && bracket_balance(line) > 0 {
            // The block's `}` never comes: its settings were read as lines of their own.
            let model = declared_name(line).unwrap_or_default();
            self.diagnostics.push(
                Diagnostic::error(
                    "syntax-error",
                    self.file,
                    span,
                    format!("`model {model}` is never closed: expected `}}` after its settings"),
                )
                .with_help("end the model block with `}` on its own line"),
            );
            return;
        }
        pest::set_error_detail(true);
        let (at, message) = match RegenGrammar::parse(Rule::strict_item, &self.text[span.start..]) {
            Ok(_) => (span, "this line is not a declaration".to_string()),
            Err(e) => describe_failure(self.text, span.start, &e),
        };
        self.diagnostics.push(
            Diagnostic::error("syntax-error", self.file, at, message).with_label(span, "in this line").with_help(
                "a line starts with workflow, extends, param, model, shape, python, source, pool, step, sink or remove; see grammar/GRAMMAR.md",
            ),
        );
    }

    fn item(&mut self, p: Pair<Rule>) -> Option<Item> {
        let span = span_of(&p);
        let rule = p.as_rule();
        let mut inner = p.into_inner();
        let kind = match rule {
            Rule::workflow_decl => ItemKind::Workflow(name(inner.next()?)),
            Rule::extends_decl => {
                let s = inner.next()?;
                ItemKind::Extends {
                    span: span_of(&s),
                    path: unescape(s.as_str()),
                }
            }
            Rule::param_decl => {
                let n = name(inner.next()?);
                let mut next = inner.next()?;
                let ty = if next.as_rule() == Rule::type_name {
                    let t = name(next);
                    next = inner.next()?;
                    Some(t)
                } else {
                    None
                };
                ItemKind::Param {
                    name: n,
                    ty,
                    value: self.expr(next, 0),
                }
            }
            Rule::python_decl => ItemKind::Python(self.expr(inner.next()?, 0)),
            Rule::shape_decl => {
                let n = name(inner.next()?);
                ItemKind::Shape {
                    name: n,
                    value: self.expr(inner.next()?, 0),
                }
            }
            Rule::model_decl => {
                let n = name(inner.next()?);
                let mut props = Vec::new();
                let mut unclosed = false;
                for prop in inner {
                    let pspan = span_of(&prop);
                    if prop.as_rule() == Rule::bad_prop {
                        // A declaration inside the block means its `}` is missing: one
                        // diagnostic for the block, and what it swallowed is not re-reported.
                        let text = prop.as_str();
                        if starts_with_keyword(text) {
                            self.broken.extend(declared_name(text));
                            if !unclosed {
                                unclosed = true;
                                self.diagnostics.push(
                                    Diagnostic::error(
                                        "syntax-error",
                                        self.file,
                                        pspan,
                                        format!("`model {}` is not closed: expected `}}` before this declaration", n.text),
                                    )
                                    .with_help("end the model block with `}` on its own line"),
                                );
                            }
                            continue;
                        }
                        if unclosed {
                            continue;
                        }
                        self.diagnostics.push(
                            Diagnostic::error(
                                "syntax-error",
                                self.file,
                                pspan,
                                "expected a model setting `name = value`",
                            )
                            .with_help(
                                "model settings look like `temperature = 0.85`, one per line",
                            ),
                        );
                        continue;
                    }
                    let mut pi = prop.into_inner();
                    let (Some(pn), Some(pv)) = (pi.next(), pi.next()) else {
                        continue;
                    };
                    props.push(Prop {
                        name: name(pn),
                        value: self.expr(pv, 0),
                        span: pspan,
                        file: self.file,
                    });
                }
                ItemKind::Model { name: n, props }
            }
            Rule::source_decl | Rule::pool_decl | Rule::step_decl | Rule::sink_decl => {
                let decl = match rule {
                    Rule::source_decl => DeclKind::Source,
                    Rule::pool_decl => DeclKind::Pool,
                    Rule::step_decl => DeclKind::Step,
                    _ => DeclKind::Sink,
                };
                let n = name(inner.next()?);
                ItemKind::Decl {
                    decl,
                    name: n,
                    call: self.call(inner.next()?),
                }
            }
            Rule::remove_decl => ItemKind::Remove(name(inner.next()?)),
            _ => return None,
        };
        Some(Item { kind, span })
    }

    fn call(&mut self, p: Pair<Rule>) -> Call {
        let span = span_of(&p);
        let mut inner = p.into_inner();
        let func = inner.next().map(name).unwrap_or(Name {
            text: String::new(),
            span,
        });
        let mut args = Vec::new();
        for arg in inner {
            let aspan = span_of(&arg);
            let Some(a) = arg.into_inner().next() else {
                continue;
            };
            if a.as_rule() == Rule::named_arg {
                let mut ai = a.into_inner();
                let (Some(n), Some(v)) = (ai.next(), ai.next()) else {
                    continue;
                };
                args.push(Arg {
                    name: Some(name(n)),
                    value: self.expr(v, 0),
                    span: aspan,
                });
            } else {
                args.push(Arg {
                    name: None,
                    value: self.expr(a, 0),
                    span: aspan,
                });
            }
        }
        Call { func, args, span }
    }
}

pub(super) fn name(p: Pair<Rule>) -> Name {
    Name {
        text: p.as_str().to_string(),
        span: span_of(&p),
    }
}

/// Decode a string literal's source text (with quotes) into its value.
pub fn unescape(src: &str) -> String {
    if let Some(body) = src
        .strip_prefix("\"\"\"")
        .and_then(|s| s.strip_suffix("\"\"\""))
    {
        return body.to_string();
    }
    let body = src
        .strip_prefix('"')
        .and_then(|s| s.strip_suffix('"'))
        .unwrap_or(src);
    let mut out = String::with_capacity(body.len());
    let mut chars = body.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('n') => out.push('\n'),
            Some('t') => out.push('\t'),
            Some('r') => out.push('\r'),
            Some('u') => {
                let hex: String = chars.by_ref().skip(1).take_while(|c| *c != '}').collect();
                out.extend(u32::from_str_radix(&hex, 16).ok().and_then(char::from_u32));
            }
            Some(other) => out.push(other),
            None => {}
        }
    }
    out
}
