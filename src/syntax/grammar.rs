//! The pest parser derived from `grammar/regen.pest` (the whole syntax, one file).

#[derive(pest_derive::Parser)]
#[grammar = "../grammar/regen.pest"]
pub struct RegenGrammar;
