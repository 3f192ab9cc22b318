//! Stage 1: text → syntax tree (with every syntax error as a diagnostic) and back (`fmt`).

pub mod ast;
pub mod comments;
mod expected;
mod expr_parse;
pub mod format;
pub mod grammar;
pub mod parser;
mod recovery;

pub use parser::{parse, Parsed};
