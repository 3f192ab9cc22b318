//! The syntax tree of one workflow file. Every node keeps its span for diagnostics.

use crate::diagnostic::Span;

#[derive(Debug, Clone, PartialEq)]
pub struct Name {
    pub text: String,
    pub span: Span,
}

#[derive(Debug, Clone)]
pub struct File {
    pub items: Vec<Item>,
    /// Names declared on lines that failed to parse: references to them are not
    /// reported again as unknown.
    pub broken: Vec<String>,
}

#[derive(Debug, Clone)]
pub struct Item {
    pub kind: ItemKind,
    pub span: Span,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DeclKind {
    Source,
    Pool,
    Step,
    Sink,
}

impl DeclKind {
    pub fn keyword(self) -> &'static str {
        match self {
            DeclKind::Source => "source",
            DeclKind::Pool => "pool",
            DeclKind::Step => "step",
            DeclKind::Sink => "sink",
        }
    }
}

#[derive(Debug, Clone)]
pub enum ItemKind {
    Workflow(Name),
    Extends {
        path: String,
        span: Span,
    },
    Param {
        name: Name,
        ty: Option<Name>,
        value: Expr,
    },
    Model {
        name: Name,
        props: Vec<Prop>,
    },
    /// `shape Verdict {…}`: a reply shape, named for `reply: Verdict`.
    Shape {
        name: Name,
        value: Expr,
    },
    /// `python = ".venv/bin/python"`: the interpreter of the `python` steps.
    Python(Expr),
    Decl {
        decl: DeclKind,
        name: Name,
        call: Call,
    },
    Remove(Name),
}

impl ItemKind {
    /// The name this item declares, if any (variants override by name).
    pub fn declared_name(&self) -> Option<&Name> {
        match self {
            ItemKind::Param { name, .. }
            | ItemKind::Model { name, .. }
            | ItemKind::Shape { name, .. }
            | ItemKind::Decl { name, .. } => Some(name),
            _ => None,
        }
    }
}

#[derive(Debug, Clone)]
pub struct Prop {
    pub name: Name,
    pub value: Expr,
    pub span: Span,
    /// The file this setting was written in (a variant's model merges settings from two files).
    pub file: crate::diagnostic::FileId,
}

#[derive(Debug, Clone)]
pub struct Call {
    pub func: Name,
    pub args: Vec<Arg>,
    pub span: Span,
}

impl Call {
    pub fn named(&self, key: &str) -> Option<&Arg> {
        self.args
            .iter()
            .find(|a| a.name.as_ref().is_some_and(|n| n.text == key))
    }
    pub fn positional(&self) -> impl Iterator<Item = &Arg> {
        self.args.iter().filter(|a| a.name.is_none())
    }
}

#[derive(Debug, Clone)]
pub struct Arg {
    pub name: Option<Name>,
    pub value: Expr,
    pub span: Span,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BinOp {
    /// `"yes" | "no"`: alternatives in a reply shape.
    Alt,
    Or,
    And,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    Add,
    Sub,
    Mul,
    Div,
    Rem,
}

impl BinOp {
    pub fn symbol(self) -> &'static str {
        match self {
            BinOp::Alt => "|",
            BinOp::Or => "or",
            BinOp::And => "and",
            BinOp::Eq => "==",
            BinOp::Ne => "!=",
            BinOp::Lt => "<",
            BinOp::Le => "<=",
            BinOp::Gt => ">",
            BinOp::Ge => ">=",
            BinOp::Add => "+",
            BinOp::Sub => "-",
            BinOp::Mul => "*",
            BinOp::Div => "/",
            BinOp::Rem => "%",
        }
    }
    /// Binding strength, higher binds tighter (shared by the parser and the printer).
    pub fn precedence(self) -> u8 {
        match self {
            BinOp::Alt => 0,
            BinOp::Or => 1,
            BinOp::And => 2,
            BinOp::Eq | BinOp::Ne | BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge => 3,
            BinOp::Add | BinOp::Sub => 4,
            BinOp::Mul | BinOp::Div | BinOp::Rem => 5,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum UnOp {
    Not,
    Neg,
}

#[derive(Debug, Clone)]
pub struct Expr {
    pub kind: ExprKind,
    pub span: Span,
}

#[derive(Debug, Clone)]
pub enum ExprKind {
    Str {
        value: String,
        triple: bool,
    },
    /// Numbers keep their source text so `fmt` prints `0.85` as written.
    Num {
        value: f64,
        text: String,
    },
    Bool(bool),
    Null,
    /// `name` or `name.field.sub`.
    Ref(Vec<Name>),
    Call {
        func: Name,
        args: Vec<Expr>,
    },
    List(Vec<Expr>),
    Map(Vec<(Name, Expr)>),
    Unary(UnOp, Box<Expr>),
    Binary(BinOp, Box<Expr>, Box<Expr>),
}

impl Expr {
    /// The single identifier this expression is, if it is one.
    pub fn as_ident(&self) -> Option<&Name> {
        match &self.kind {
            ExprKind::Ref(parts) if parts.len() == 1 => Some(&parts[0]),
            _ => None,
        }
    }
    /// Operands of a `+` chain (`a + b + c`), used for step inputs.
    pub fn union_operands(&self) -> Vec<&Expr> {
        match &self.kind {
            ExprKind::Binary(BinOp::Add, l, r) => {
                let mut v = l.union_operands();
                v.extend(r.union_operands());
                v
            }
            _ => vec![self],
        }
    }
    pub fn as_str(&self) -> Option<&str> {
        match &self.kind {
            ExprKind::Str { value, .. } => Some(value),
            _ => None,
        }
    }
}
