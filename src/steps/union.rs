//! `union(a, b, …)`: all records of its inputs (also written `a + b` anywhere).

use super::*;

#[derive(Debug)]
pub struct Union;

impl StepKind for Union {
    fn name(&self) -> &'static str {
        "union"
    }
    fn decl(&self) -> DeclKind {
        DeclKind::Step
    }
    fn role(&self) -> &'static str {
        "union"
    }
    fn positional(&self) -> Positional {
        Positional::Records { min: 1, max: usize::MAX }
    }
    fn args(&self) -> &'static [ArgSpec] {
        &[]
    }
}
