//! Calls a template makes that cannot work: a filter, test or function the
//! template environment does not have, or a Python method (`question.split(' ')`).
//! minijinja compiles these without complaint and fails when it renders, so
//! unchecked, each would fail on every record of the run (after paying for
//! every call upstream of the step).
//!
//! The environment itself says which filters, tests and functions exist (a
//! probe render per name), so the check follows whatever `templates::environment`
//! registers. Methods have no such oracle: minijinja's values have none but the
//! loop's, so any other method is refused.

use minijinja::machinery::{get_compiled_template, Instruction, Instructions};
use minijinja::{Environment, ErrorKind, Template};
use std::collections::BTreeSet;

/// The methods a template can call: the loop object's.
const LOOP_METHODS: &[&str] = &["cycle", "changed"];

/// Functions minijinja gives inside a macro or a block, not as globals.
const SCOPED_FUNCTIONS: &[&str] = &["caller", "super"];

/// A call that will fail, as the author wrote it, with the fix.
#[derive(Debug, PartialEq)]
pub struct BadCall {
    pub what: String,
    pub help: String,
}

pub fn bad_calls(env: &Environment<'_>, template: &Template<'_, '_>) -> Vec<BadCall> {
    let compiled = get_compiled_template(template);
    let mut calls = Calls::default();
    for code in std::iter::once(&compiled.instructions).chain(compiled.blocks.values()) {
        calls.scan(code);
    }
    let mut out = Vec::new();
    for name in &calls.filters {
        if missing(env, &format!("{{{{ none | {name} }}}}"), ErrorKind::UnknownFilter) {
            out.push(BadCall { what: format!("the filter `{name}`"), help: suggest(name, filter_names(env)) });
        }
    }
    for name in &calls.tests {
        if missing(env, &format!("{{{{ none is {name} }}}}"), ErrorKind::UnknownTest) {
            out.push(BadCall { what: format!("the test `{name}`"), help: suggest(name, TEST_NAMES.iter().map(|s| s.to_string())) });
        }
    }
    let globals: BTreeSet<&str> = env.globals().map(|(n, _)| n).collect();
    for name in calls.functions.iter().filter(|n| !calls.assigned.contains(*n) && !globals.contains(*n) && !SCOPED_FUNCTIONS.contains(*n)) {
        out.push(BadCall {
            what: format!("the function `{name}()`"),
            help: format!("templates have the functions {}; a record's fields are values, not functions", list(&globals)),
        });
    }
    for name in calls.methods.iter().filter(|n| !LOOP_METHODS.contains(*n)) {
        out.push(BadCall { what: format!("the method `.{name}()`"), help: method_help(name) });
    }
    out
}

#[derive(Default)]
struct Calls<'s> {
    filters: BTreeSet<&'s str>,
    tests: BTreeSet<&'s str>,
    functions: BTreeSet<&'s str>,
    methods: BTreeSet<&'s str>,
    /// Names the template binds itself (a macro, a `set`, a loop variable): calling one is its own business.
    assigned: BTreeSet<&'s str>,
}

impl<'s> Calls<'s> {
    fn scan(&mut self, code: &Instructions<'s>) {
        for i in 0..code.len() as u32 {
            match code.get(i) {
                Some(Instruction::ApplyFilter(name, ..)) => drop(self.filters.insert(*name)),
                Some(Instruction::PerformTest(name, ..)) => drop(self.tests.insert(*name)),
                Some(Instruction::CallFunction(name, ..)) => drop(self.functions.insert(*name)),
                Some(Instruction::CallMethod(name, ..)) => drop(self.methods.insert(*name)),
                Some(Instruction::StoreLocal(name)) => drop(self.assigned.insert(*name)),
                _ => {}
            }
        }
    }
}

/// Whether rendering `probe` fails because the name it uses does not exist
/// (any other failure, such as a missing argument, means the name exists).
fn missing(env: &Environment<'_>, probe: &str, kind: ErrorKind) -> bool {
    env.render_str(probe, ()).is_err_and(|e| e.kind() == kind)
}

/// minijinja's built-in tests (it does not list them), for the did-you-mean.
const TEST_NAMES: &[&str] = &[
    "defined",
    "undefined",
    "none",
    "safe",
    "escaped",
    "boolean",
    "odd",
    "even",
    "divisibleby",
    "number",
    "integer",
    "float",
    "string",
    "sequence",
    "iterable",
    "mapping",
    "startingwith",
    "endingwith",
    "lower",
    "upper",
    "sameas",
    "eq",
    "ne",
    "lt",
    "le",
    "gt",
    "ge",
    "in",
    "true",
    "false",
    "filter",
    "test",
];

/// Filter names worth suggesting: minijinja's common ones and regen's own.
fn filter_names<'e>(env: &'e Environment<'_>) -> impl Iterator<Item = String> + 'e {
    const COMMON: &[&str] = &[
        "lower",
        "upper",
        "title",
        "capitalize",
        "replace",
        "length",
        "count",
        "items",
        "dictsort",
        "reverse",
        "trim",
        "join",
        "split",
        "lines",
        "default",
        "round",
        "abs",
        "int",
        "float",
        "first",
        "last",
        "min",
        "max",
        "sort",
        "list",
        "string",
        "sum",
        "indent",
        "select",
        "reject",
        "map",
        "unique",
        "format",
        "tojson",
        "from_numbered_steps",
    ];
    COMMON.iter().filter(move |n| !missing(env, &format!("{{{{ none | {n} }}}}"), ErrorKind::UnknownFilter)).map(|n| n.to_string())
}

fn suggest(name: &str, known: impl Iterator<Item = String>) -> String {
    let known: Vec<String> = known.collect();
    crate::diagnostic::did_you_mean(name, known.iter().map(String::as_str))
        .unwrap_or_else(|| "see minijinja's built-in filters and tests; `regen` adds the filter `from_numbered_steps`".to_string())
}

fn list(names: &BTreeSet<&str>) -> String {
    names.iter().map(|n| format!("`{n}()`")).collect::<Vec<_>>().join(", ")
}

/// What to write instead of a Python method.
fn method_help(name: &str) -> String {
    let instead = match name {
        "split" => "the filter `| split(sep)`",
        "splitlines" => "the filter `| lines`",
        "upper" | "lower" | "title" | "capitalize" | "replace" | "format" | "join" | "items" => {
            return format!("templates have no methods; use the filter `| {name}`, with the same arguments")
        }
        "strip" | "lstrip" | "rstrip" => "the filter `| trim`",
        "startswith" => "the test `is startingwith(prefix)`",
        "endswith" => "the test `is endingwith(suffix)`",
        "keys" | "values" => "the filter `| items` (pairs of key and value)",
        "get" => "`value[key]`, with `| default(…)` for a missing key",
        "count" | "__len__" => "the filter `| length`",
        _ => "a filter (`value | name(…)`); minijinja's values have no methods",
    };
    format!("templates have no methods; use {instead}")
}
