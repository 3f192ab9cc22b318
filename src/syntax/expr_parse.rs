//! Expressions (`where:` filters, argument values): pest pairs → [`Expr`] with
//! a Pratt parser for precedence, and a depth limit checked before any
//! recursive pass sees the tree.

use super::ast::*;
use super::parser::{name, span_of, unescape, Builder, Rule};
use crate::diagnostic::{Diagnostic, FileId};
use pest::iterators::Pair;
use pest::pratt_parser::{Assoc, Op, PrattParser};
use std::sync::OnceLock;

fn pratt() -> &'static PrattParser<Rule> {
    static P: OnceLock<PrattParser<Rule>> = OnceLock::new();
    P.get_or_init(|| {
        PrattParser::new()
            .op(Op::infix(Rule::alt, Assoc::Left))
            .op(Op::infix(Rule::or, Assoc::Left))
            .op(Op::infix(Rule::and, Assoc::Left))
            .op(Op::infix(Rule::eq, Assoc::Left)
                | Op::infix(Rule::ne, Assoc::Left)
                | Op::infix(Rule::lt, Assoc::Left)
                | Op::infix(Rule::le, Assoc::Left)
                | Op::infix(Rule::gt, Assoc::Left)
                | Op::infix(Rule::ge, Assoc::Left))
            .op(Op::infix(Rule::add, Assoc::Left) | Op::infix(Rule::sub, Assoc::Left))
            .op(Op::infix(Rule::mul, Assoc::Left)
                | Op::infix(Rule::div, Assoc::Left)
                | Op::infix(Rule::rem, Assoc::Left))
            .op(Op::prefix(Rule::not) | Op::prefix(Rule::neg))
    })
}

impl Builder<'_> {
    pub(super) fn expr(&mut self, p: Pair<Rule>, depth: usize) -> Expr {
        let span = span_of(&p);
        // (Brackets deeper than MAX_DEPTH were refused before parsing.)
        // Each operator is one level of the tree every later pass walks
        // recursively (checker, formatter, evaluator): a chain of thousands
        // would overflow the stack there, so it is refused here, in words.
        let operators = p
            .clone()
            .into_inner()
            .filter(|q| is_operator(q.as_rule()))
            .count();
        if depth + operators > MAX_EXPR_DEPTH {
            self.diagnostics.push(
                Diagnostic::error(
                    "expression-too-deep",
                    self.file,
                    span,
                    format!(
                        "this expression is {} levels deep ({operators} operators); at most {MAX_EXPR_DEPTH} are allowed",
                        depth + operators
                    ),
                )
                .with_help("split it into smaller steps or params"),
            );
            return Expr {
                kind: ExprKind::Null,
                span,
            };
        }
        let depth = depth + operators;
        let file = self.file;
        let text = self.text;
        let diags = &mut *self.diagnostics;
        // The Pratt closures cannot borrow `self` mutably three times; primaries only
        // need the file id, text and diagnostics, so build them with a plain recursive helper.
        pratt()
            .map_primary(|prim| primary(prim, file, text, depth, diags))
            .map_prefix(|op, rhs| {
                let s = span_of(&op).join(rhs.span);
                let u = if op.as_rule() == Rule::not {
                    UnOp::Not
                } else {
                    UnOp::Neg
                };
                Expr {
                    kind: ExprKind::Unary(u, Box::new(rhs)),
                    span: s,
                }
            })
            .map_infix(|lhs, op, rhs| {
                let s = lhs.span.join(rhs.span);
                Expr {
                    kind: ExprKind::Binary(binop(op.as_rule()), Box::new(lhs), Box::new(rhs)),
                    span: s,
                }
            })
            .parse(p.into_inner())
    }
}

/// Operators inside one expression's own level (not inside brackets).
fn is_operator(rule: Rule) -> bool {
    use Rule::*;
    matches!(
        rule,
        not | neg | alt | or | and | eq | ne | le | ge | lt | gt | add | sub | mul | div | rem
    )
}

/// How deep an expression tree may grow (brackets and operators together).
const MAX_EXPR_DEPTH: usize = 512;

fn primary(
    p: Pair<Rule>,
    file: FileId,
    text: &str,
    depth: usize,
    diags: &mut Vec<Diagnostic>,
) -> Expr {
    let span = span_of(&p);
    let mut sub = |p: Pair<Rule>| -> Expr {
        let mut b = Builder {
            file,
            text,
            diagnostics: &mut *diags,
            broken: vec![],
        };
        b.expr(p, depth + 1)
    };
    let kind = match p.as_rule() {
        Rule::expr => return sub(p),
        Rule::string => {
            let triple = p.as_str().starts_with("\"\"\"");
            ExprKind::Str {
                value: unescape(p.as_str()),
                triple,
            }
        }
        Rule::number => ExprKind::Num {
            value: p.as_str().parse().unwrap_or(f64::NAN),
            text: p.as_str().to_string(),
        },
        Rule::boolean => ExprKind::Bool(p.as_str() == "true"),
        Rule::null => ExprKind::Null,
        Rule::dotted => ExprKind::Ref(p.into_inner().map(name).collect()),
        Rule::func_call => {
            let mut inner = p.into_inner();
            let func = inner.next().map(name).unwrap_or(Name {
                text: String::new(),
                span,
            });
            ExprKind::Call {
                func,
                args: inner.map(sub).collect(),
            }
        }
        Rule::list => ExprKind::List(p.into_inner().map(sub).collect()),
        Rule::map => ExprKind::Map(
            p.into_inner()
                .filter_map(|e| {
                    let mut ei = e.into_inner();
                    let k = ei.next()?;
                    let key = if k.as_rule() == Rule::string {
                        Name {
                            text: unescape(k.as_str()),
                            span: span_of(&k),
                        }
                    } else {
                        name(k)
                    };
                    Some((key, sub(ei.next()?)))
                })
                .collect(),
        ),
        _ => ExprKind::Null,
    };
    Expr { kind, span }
}

fn binop(rule: Rule) -> BinOp {
    match rule {
        Rule::alt => BinOp::Alt,
        Rule::or => BinOp::Or,
        Rule::and => BinOp::And,
        Rule::eq => BinOp::Eq,
        Rule::ne => BinOp::Ne,
        Rule::lt => BinOp::Lt,
        Rule::le => BinOp::Le,
        Rule::gt => BinOp::Gt,
        Rule::ge => BinOp::Ge,
        Rule::add => BinOp::Add,
        Rule::sub => BinOp::Sub,
        Rule::mul => BinOp::Mul,
        Rule::div => BinOp::Div,
        _ => BinOp::Rem,
    }
}
