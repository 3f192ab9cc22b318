//! Prompt templates: found by name next to the workflow or in the stdlib, or
//! written inline; parsed once with minijinja to learn which fields they read.

use crate::diagnostic::{did_you_mean, Diagnostic, FileId, Span};
use crate::workflow::Prompt;
use std::path::{Path, PathBuf};

pub fn is_inline(s: &str) -> bool {
    s.contains("{{") || s.contains("{%") || s.contains('\n')
}

pub fn load(
    value: &str,
    dir: &Path,
    stdlib: &Path,
    sandbox: &super::sandbox::Sandbox,
    file: FileId,
    span: Span,
    diags: &mut Vec<Diagnostic>,
) -> Option<Prompt> {
    let (name, text, path) = if is_inline(value) {
        ("inline".to_string(), value.to_string(), None)
    } else {
        let candidates = [
            dir.join("prompts").join(format!("{value}.j2")),
            stdlib.join("prompts").join(format!("{value}.j2")),
            dir.join(value),
        ];
        match candidates.iter().find(|p| p.is_file()) {
            Some(p) if !sandbox.permits(p) => {
                diags.push(
                    Diagnostic::error(
                        "outside-sandbox",
                        file,
                        span,
                        format!("prompt `{value}` is outside the workflow's tree"),
                    )
                    .with_help(sandbox.help()),
                );
                return None;
            }
            Some(p) => match std::fs::read_to_string(p) {
                Ok(t) => (value.to_string(), t, Some(p.clone())),
                Err(e) => {
                    diags.push(Diagnostic::error(
                        "unknown-prompt",
                        file,
                        span,
                        format!("cannot read prompt `{}`: {e}", p.display()),
                    ));
                    return None;
                }
            },
            None => {
                let known = known_prompts(&[dir.join("prompts"), stdlib.join("prompts")]);
                let mut d = Diagnostic::error(
                    "unknown-prompt",
                    file,
                    span,
                    format!("no prompt template named `{value}`"),
                );
                d.help = Some(did_you_mean(value, known.iter().map(String::as_str)).unwrap_or_else(|| {
                    format!("put it in prompts/{value}.j2 next to the workflow or in the stdlib, or write it inline with {{{{ field }}}}")
                }));
                diags.push(d);
                return None;
            }
        }
    };
    if let Some(tag) = file_tag(&text) {
        diags.push(
            Diagnostic::error(
                "template-reads-file",
                file,
                span,
                format!("prompt `{name}` uses `{{% {tag} %}}`; templates cannot read other files"),
            )
            .with_help("write the text into the template, or give it to the step as a field"),
        );
        return None;
    }
    let env = environment();
    let reads = match env.template_from_str(&text) {
        Ok(t) => {
            for call in super::template_calls::bad_calls(&env, &t) {
                diags.push(
                    Diagnostic::error(
                        "template-call",
                        file,
                        span,
                        format!("prompt `{name}` calls {}, which templates do not have: it would fail on every record", call.what),
                    )
                    .with_help(call.help),
                );
            }
            super::template_reads::reads(&t)
        }
        Err(e) => {
            diags.push(
                Diagnostic::error(
                    "template-syntax",
                    file,
                    span,
                    format!(
                        "prompt `{name}` does not parse: {}",
                        e.detail().unwrap_or(&e.to_string())
                    ),
                )
                .with_help(format!("line {} of the template", e.line().unwrap_or(0))),
            );
            return None;
        }
    };
    Some(Prompt {
        name,
        text,
        reads: reads.sure,
        may_read: reads.maybe,
        attr_reads: reads.attrs,
        span,
        path,
    })
}

/// The template environment used for checking and rendering: no file loader and
/// no environment access, so a template can only read the record it is given.
pub fn environment() -> minijinja::Environment<'static> {
    let mut env = minijinja::Environment::new();
    env.set_undefined_behavior(minijinja::UndefinedBehavior::Strict);
    env.set_keep_trailing_newline(false);
    // The ReGenesis training text: the path from its numbered steps on (see `training_text`).
    // `{{ path | from_numbered_steps }}`, or `from_numbered_steps(true)` to keep steps that start in the first paragraph.
    env.add_filter(
        "from_numbered_steps",
        |text: String, first_counts: Option<bool>| {
            crate::training_text::from_numbered_steps(&text, first_counts.unwrap_or(false))
        },
    );
    env.add_filter("strip_boxes", |text: String| {
        crate::training_text::strip_boxes(&text)
    });
    env
}

/// Template names (`regenesis/adapt`) under these `prompts/` folders.
pub fn known_prompts(roots: &[PathBuf]) -> Vec<String> {
    let mut out = Vec::new();
    for root in roots {
        walk(root, root, &mut out);
    }
    out
}

fn walk(root: &Path, dir: &Path, out: &mut Vec<String>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            walk(root, &p, out);
        } else if p.extension().is_some_and(|x| x == "j2") {
            if let Ok(rel) = p.with_extension("").strip_prefix(root) {
                out.push(rel.to_string_lossy().replace('\\', "/"));
            }
        }
    }
}

/// The first `{% include|import|from|extends %}` tag in a template, if any:
/// templates render without a loader, so these could only fail (or leak) at run time.
fn file_tag(text: &str) -> Option<&'static str> {
    text.match_indices("{%").find_map(|(i, _)| {
        let rest = text[i + 2..].trim_start_matches(['-', '+']).trim_start();
        ["include", "import", "from", "extends"]
            .into_iter()
            .find(|t| {
                rest.strip_prefix(t).is_some_and(|after| {
                    after.starts_with(|c: char| c.is_whitespace() || c == '"' || c == '\'')
                })
            })
    })
}

#[cfg(test)]
mod call_tests {
    use super::super::template_calls::bad_calls;

    fn bad(text: &str) -> Vec<String> {
        let env = super::environment();
        let t = env.template_from_str(text).unwrap();
        bad_calls(&env, &t).into_iter().map(|c| c.what).collect()
    }

    #[test]
    fn calls_that_exist_pass() {
        assert!(bad("{{ question | upper | replace('a', 'b') }}").is_empty());
        assert!(
            bad("{{ path | from_numbered_steps }}{% if x is startingwith('a') %}{% endif %}")
                .is_empty()
        );
        assert!(bad("{% for i in range(3) %}{{ loop.cycle('a', 'b') }}{% endfor %}").is_empty());
        assert!(
            bad("{% macro m(x) %}{{ x }}{% endmacro %}{{ m(question) }}").is_empty(),
            "a macro the template defines"
        );
        assert!(
            bad("{{ xs | join(', ') }}{{ text | split(' ') | first }}").is_empty(),
            "filters that need arguments still exist"
        );
    }

    #[test]
    fn calls_that_cannot_work_are_named() {
        assert_eq!(bad("{{ question.split(' ') }}"), ["the method `.split()`"]);
        assert_eq!(bad("{{ question | uper }}"), ["the filter `uper`"]);
        assert_eq!(
            bad("{% if x is startswith('a') %}{% endif %}"),
            ["the test `startswith`"]
        );
        assert_eq!(bad("{{ question() }}"), ["the function `question()`"]);
    }

    #[test]
    fn the_help_names_the_fix() {
        let env = super::environment();
        let t = env.template_from_str("{{ a | uper }}{{ b.strip() }}{{ ', '.join(xs) }}{% if a is startwith('x') %}{% endif %}").unwrap();
        let calls = bad_calls(&env, &t);
        assert!(calls[0].help.contains("upper"), "{}", calls[0].help);
        assert!(calls[1].help.contains("startingwith"), "{}", calls[1].help);
        // (Methods come last, in name order.)
        assert!(
            calls[2].help.contains("items | join(sep)"),
            "{}",
            calls[2].help
        );
        assert!(calls[3].help.contains("| trim"), "{}", calls[3].help);
    }
}
