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
    for name in calls.filters.iter().filter(|n| !has_filter(env, n)) {
        let known = COMMON_FILTERS.iter().filter(|n| has_filter(env, n));
        out.push(BadCall {
            what: format!("the filter `{name}`"),
            help: suggest(name, known),
        });
    }
    for name in calls.tests.iter().filter(|n| !has_test(env, n)) {
        let known = TESTS.iter().filter(|n| has_test(env, n));
        out.push(BadCall {
            what: format!("the test `{name}`"),
            help: suggest(name, known),
        });
    }
    let globals: BTreeSet<&str> = env.globals().map(|(n, _)| n).collect();
    for name in calls.functions.iter().filter(|n| {
        !calls.assigned.contains(*n) && !globals.contains(*n) && !SCOPED_FUNCTIONS.contains(*n)
    }) {
        out.push(BadCall {
            what: format!("the function `{name}()`"),
            help: format!(
                "templates have the functions {}; a record's fields are values, not functions",
                list(&globals)
            ),
        });
    }
    for name in calls.methods.iter().filter(|n| !LOOP_METHODS.contains(*n)) {
        out.push(BadCall {
            what: format!("the method `.{name}()`"),
            help: method_help(name),
        });
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

/// Whether the environment has this filter: a probe render fails for want of
/// it (any other failure, such as a missing argument, means it exists).
fn has_filter(env: &Environment<'_>, name: &str) -> bool {
    !env.render_str(&format!("{{{{ none | {name} }}}}"), ())
        .is_err_and(|e| e.kind() == ErrorKind::UnknownFilter)
}

/// Whether the environment has this test (probed as a filter is).
fn has_test(env: &Environment<'_>, name: &str) -> bool {
    !env.render_str(&format!("{{{{ none is {name} }}}}"), ())
        .is_err_and(|e| e.kind() == ErrorKind::UnknownTest)
}

// Names for the did-you-mean (minijinja does not list its filters and tests);
// each is probed before it is suggested.
#[rustfmt::skip]
const COMMON_FILTERS: &[&str] = &[
    "lower", "upper", "title", "capitalize", "replace", "length", "count", "items", "dictsort", "reverse", "trim", "join",
    "split", "lines", "default", "round", "abs", "int", "float", "first", "last", "min", "max", "sort", "list", "string",
    "sum", "indent", "select", "reject", "map", "unique", "format", "tojson", "from_numbered_steps", "strip_boxes",
];
#[rustfmt::skip]
const TESTS: &[&str] = &[
    "defined", "undefined", "none", "boolean", "odd", "even", "divisibleby", "number", "integer", "float", "string",
    "sequence", "iterable", "mapping", "startingwith", "endingwith", "lower", "upper", "sameas", "eq", "ne", "lt", "le",
    "gt", "ge", "in", "true", "false",
];

fn suggest<'a>(name: &str, known: impl Iterator<Item = &'a &'a str>) -> String {
    crate::diagnostic::did_you_mean(name, known.copied()).unwrap_or_else(|| {
        "see minijinja's built-in filters and tests; regen adds the filters `from_numbered_steps` and `strip_boxes`".to_string()
    })
}

fn list(names: &BTreeSet<&str>) -> String {
    names
        .iter()
        .map(|n| format!("`{n}()`"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// What to write instead of a Python method.
fn method_help(name: &str) -> String {
    let instead = match name {
        "split" => "the filter `| split(sep)`",
        "splitlines" => "the filter `| lines`",
        "upper" | "lower" | "title" | "capitalize" | "replace" | "items" => {
            return format!(
                "templates have no methods; use the filter `| {name}`, with the same arguments"
            )
        }
        "join" => "the filter on the list: `items | join(sep)`",
        "format" => {
            "the filter `| format(…)`, which takes printf-style `%s`: `\"%s items\" | format(n)`"
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
