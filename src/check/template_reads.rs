//! Which names a template reads from its context (the record, pools, params).
//!
//! minijinja's own tracker (`undeclared_variables`) misses the value a slice
//! is taken of: in 2.24 `{{ path[:20] }}` reports nothing, because its walk of
//! a slice visits the bounds but not the sliced expression. So the names are
//! read from the compiled instructions as well: every `Lookup` is a read of a
//! name, and a name the template never assigns can only come from the context.
//! (`machinery` is minijinja's unstable API; Cargo.lock pins the version.)

use minijinja::machinery::{get_compiled_template, Instruction, Instructions};
use std::collections::BTreeSet;

/// Variables templates may read that are not record fields.
pub const GLOBALS: &[&str] = &["loop", "range", "namespace"];

/// What a template reads, and what it may read.
#[derive(Debug, Default, PartialEq)]
pub struct Reads {
    /// Surely read from the context: the checker requires each to reach the step.
    pub sure: Vec<String>,
    /// Looked up somewhere and also assigned somewhere (a loop variable, a
    /// `set`), so it may be local or may come from the context. Rendering
    /// gives such a name from the record when the record has it; the checker
    /// does not require it.
    pub maybe: Vec<String>,
    /// `name.attr` reads (a lookup followed at once by an attribute), for
    /// fields whose shape is known.
    pub attrs: Vec<(String, String)>,
}

pub fn reads(template: &minijinja::Template<'_, '_>) -> Reads {
    let tracked: BTreeSet<String> = template.undeclared_variables(false).into_iter().collect();
    let compiled = get_compiled_template(template);
    let (mut looked_up, mut assigned) = (BTreeSet::new(), BTreeSet::new());
    let mut attrs = BTreeSet::new();
    for code in std::iter::once(&compiled.instructions).chain(compiled.blocks.values()) {
        scan(code, &mut looked_up, &mut assigned);
        for i in 1..code.len() as u32 {
            if let (Some(Instruction::Lookup(name)), Some(Instruction::GetAttr(attr))) =
                (code.get(i - 1), code.get(i))
            {
                attrs.insert((name.to_string(), attr.to_string()));
            }
        }
    }
    let global = |n: &str| GLOBALS.contains(&n);
    let mut sure: BTreeSet<String> = tracked.into_iter().filter(|n| !global(n)).collect();
    let mut maybe = Vec::new();
    for name in looked_up.into_iter().filter(|n| !global(n)) {
        if sure.contains(name) {
            continue;
        }
        if assigned.contains(name) {
            maybe.push(name.to_string());
        } else {
            sure.insert(name.to_string());
        }
    }
    Reads {
        sure: sure.into_iter().collect(),
        maybe,
        // A name the template assigns (a loop variable) is not the record's field.
        attrs: attrs
            .into_iter()
            .filter(|(name, _)| !assigned.contains(name.as_str()))
            .collect(),
    }
}

fn scan<'s>(
    code: &Instructions<'s>,
    looked_up: &mut BTreeSet<&'s str>,
    assigned: &mut BTreeSet<&'s str>,
) {
    for i in 0..code.len() as u32 {
        match code.get(i) {
            Some(Instruction::Lookup(name)) => drop(looked_up.insert(*name)),
            Some(Instruction::StoreLocal(name)) => drop(assigned.insert(*name)),
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn of(text: &str) -> Reads {
        reads(
            &minijinja::Environment::new()
                .template_from_str(text)
                .unwrap(),
        )
    }

    fn names(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn a_sliced_name_is_read() {
        assert_eq!(
            of("{{ path[:20] }} {{ question }}").sure,
            names(&["path", "question"])
        );
        assert_eq!(of("{{ (a ~ b)[1:] }}").sure, names(&["a", "b"]));
        assert_eq!(of("{{ items[::2] | join(', ') }}").sure, names(&["items"]));
    }

    #[test]
    fn locals_are_not_reads() {
        let r = of("{% for s in steps %}{{ s[:10] }} {{ loop.index }}{% endfor %}");
        assert_eq!(r.sure, names(&["steps"]));
        assert_eq!(r.maybe, names(&["s"]));
        let r = of("{% set head = text[:5] %}{{ head }}");
        assert_eq!(r.sure, names(&["text"]));
    }

    #[test]
    fn a_name_assigned_only_on_one_branch_may_be_read() {
        let r = of("{% if short %}{% set x = 'a' %}{% endif %}{{ x[:2] }}");
        assert_eq!(r.sure, names(&["short"]));
        assert_eq!(r.maybe, names(&["x"]));
    }
}
