//! `regen fmt`: one canonical layout, comments kept, idempotent.

use super::ast::*;
use super::comments::{scan, Comment};

const WIDTH: usize = 100;

pub fn format(file: &File, text: &str) -> String {
    let mut f = Formatter {
        text,
        comments: scan(text),
        next: 0,
        out: String::new(),
        last_end: 0,
    };
    for item in &file.items {
        f.item(item);
    }
    f.flush_comments(text.len(), "");
    let trimmed = f.out.trim_start_matches('\n').trim_end();
    format!("{trimmed}\n")
}

struct Formatter<'a> {
    text: &'a str,
    comments: Vec<Comment>,
    next: usize,
    out: String,
    last_end: usize,
}

impl Formatter<'_> {
    /// Was there a blank line in the source between the last printed thing and `at`?
    fn blank_before(&self, at: usize) -> bool {
        let gap = &self.text[self.last_end.min(at)..at];
        let lines: Vec<&str> = gap.split('\n').collect();
        lines.len() >= 3
            && lines[1..lines.len() - 1]
                .iter()
                .any(|l| l.trim().is_empty())
    }

    fn separate(&mut self, at: usize) {
        if !self.out.is_empty() && self.blank_before(at) {
            self.out.push('\n');
        }
    }

    /// Print own-line comments that start before `before`, with `indent`.
    fn flush_comments(&mut self, before: usize, indent: &str) {
        while let Some(c) = self.comments.get(self.next) {
            if c.span.start >= before {
                break;
            }
            let c = c.clone();
            self.separate(c.span.start);
            self.out.push_str(indent);
            self.out.push_str(&c.text);
            self.out.push('\n');
            self.last_end = c.span.end;
            self.next += 1;
        }
    }

    /// A comment that starts on the same line right after `end`.
    fn trailing(&mut self, end: usize) -> Option<String> {
        let c = self.comments.get(self.next)?;
        let between = self.text.get(end..c.span.start)?;
        // Only a comment that follows this construct directly (nothing else between).
        if between.contains('\n')
            || !between
                .chars()
                .all(|ch| ch.is_whitespace() || matches!(ch, ',' | ')' | '}' | ']'))
        {
            return None;
        }
        self.next += 1;
        self.last_end = c.span.end;
        Some(c.text.clone())
    }

    fn line(&mut self, indent: &str, body: &str, end: usize) {
        self.out.push_str(indent);
        self.out.push_str(body);
        self.last_end = self.last_end.max(end);
        if let Some(t) = self.trailing(end) {
            self.out.push_str("  ");
            self.out.push_str(&t);
        }
        self.out.push('\n');
    }

    fn item(&mut self, item: &Item) {
        self.flush_comments(item.span.start, "");
        self.separate(item.span.start);
        match &item.kind {
            ItemKind::Model { name, props } => {
                self.line("", &format!("model {} {{", name.text), name.span.end);
                for p in props {
                    self.flush_comments(p.span.start, "  ");
                    let body = format!("{} = {}", p.name.text, expr(&p.value));
                    self.line("  ", &body, p.span.end);
                }
                self.flush_comments(item.span.end, "  ");
                self.line("", "}", item.span.end);
            }
            other => {
                // Comments inside a one-line construct move above it.
                self.flush_comments(item.span.end, "");
                let body = item_text(other);
                self.line("", &body, item.span.end);
            }
        }
        self.last_end = item.span.end;
    }
}

fn item_text(kind: &ItemKind) -> String {
    match kind {
        ItemKind::Workflow(n) => format!("workflow {}", n.text),
        ItemKind::Extends { path, .. } => format!("extends {}", quote(path)),
        ItemKind::Param { name, ty, value } => match ty {
            Some(t) => format!("param {}: {} = {}", name.text, t.text, expr(value)),
            None => format!("param {} = {}", name.text, expr(value)),
        },
        ItemKind::Decl { decl, name, call } => {
            let head = format!("{} {} = {}(", decl.keyword(), name.text, call.func.text);
            let args: Vec<String> = call.args.iter().map(arg).collect();
            let flat = format!("{head}{})", args.join(", "));
            if flat.len() <= WIDTH && !flat.contains('\n') {
                flat
            } else {
                let mut s = head;
                s.push('\n');
                for a in args {
                    s.push_str("    ");
                    s.push_str(&a);
                    s.push_str(",\n");
                }
                s.push(')');
                s
            }
        }
        ItemKind::Remove(n) => format!("remove {}", n.text),
        ItemKind::Python(value) => format!("python = {}", expr(value)),
        ItemKind::Shape { name, value } => match &value.kind {
            ExprKind::Map(entries) => {
                let flat = format!("shape {} {}", name.text, expr(value));
                if flat.len() <= WIDTH {
                    return flat;
                }
                // A long shape: one field a line.
                let mut s = format!("shape {} {{\n", name.text);
                for (k, v) in entries {
                    let key = if is_ident(&k.text) {
                        k.text.clone()
                    } else {
                        quote(&k.text)
                    };
                    s.push_str(&format!("    {key}: {},\n", expr(v)));
                }
                s.push('}');
                s
            }
            _ => format!("shape {} = {}", name.text, expr(value)),
        },
        ItemKind::Model { .. } => String::new(),
    }
}

fn arg(a: &Arg) -> String {
    match &a.name {
        Some(n) => format!("{}: {}", n.text, expr(&a.value)),
        None => expr(&a.value),
    }
}

pub fn expr(e: &Expr) -> String {
    match &e.kind {
        ExprKind::Str {
            value,
            triple: true,
        } => format!("\"\"\"{value}\"\"\""),
        ExprKind::Str { value, .. } => quote(value),
        ExprKind::Num { text, .. } => text.clone(),
        ExprKind::Bool(b) => b.to_string(),
        ExprKind::Null => "null".into(),
        ExprKind::Ref(parts) => parts
            .iter()
            .map(|p| p.text.as_str())
            .collect::<Vec<_>>()
            .join("."),
        ExprKind::Call { func, args } => format!(
            "{}({})",
            func.text,
            args.iter().map(expr).collect::<Vec<_>>().join(", ")
        ),
        ExprKind::List(items) => format!(
            "[{}]",
            items.iter().map(expr).collect::<Vec<_>>().join(", ")
        ),
        ExprKind::Map(entries) => {
            let body: Vec<String> = entries
                .iter()
                .map(|(k, v)| {
                    let key = if is_ident(&k.text) {
                        k.text.clone()
                    } else {
                        quote(&k.text)
                    };
                    format!("{key}: {}", expr(v))
                })
                .collect();
            format!("{{{}}}", body.join(", "))
        }
        ExprKind::Unary(op, inner) => {
            let s = match inner.kind {
                ExprKind::Binary(..) => format!("({})", expr(inner)),
                _ => expr(inner),
            };
            match op {
                UnOp::Not => format!("not {s}"),
                UnOp::Neg => format!("-{s}"),
            }
        }
        ExprKind::Binary(op, l, r) => {
            let side = |x: &Expr, right: bool| match &x.kind {
                ExprKind::Binary(o, ..)
                    if o.precedence() < op.precedence()
                        || (right && o.precedence() == op.precedence()) =>
                {
                    format!("({})", expr(x))
                }
                _ => expr(x),
            };
            format!("{} {} {}", side(l, false), op.symbol(), side(r, true))
        }
    }
}

fn is_ident(s: &str) -> bool {
    let mut c = s.chars();
    c.next()
        .is_some_and(|f| f.is_ascii_alphabetic() || f == '_')
        && c.all(|x| x.is_ascii_alphanumeric() || x == '_')
        && !matches!(s, "and" | "or" | "not" | "true" | "false" | "null")
}

pub fn quote(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if c.is_control() => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}
