//! The house rules a reader relies on: no import cycles between modules (the
//! pipeline syntax → check → plan → run reads one way), and short files.

use crate::common::*;

#[test]
fn no_module_imports_itself_through_others() {
    let out = std::process::Command::new("python3")
        .arg(root().join("scripts/module-cycles.py"))
        .output()
        .expect("python3 runs the cycle check");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "import cycles (scripts/module-cycles.py --graph shows the graph):\n{stdout}"
    );
    assert!(stdout.contains(" 0 cycles"), "{stdout}");
}

#[test]
fn the_cycle_guard_lexes_rust_strings_chars_and_comments() {
    // `"http://…"` once hid the rest of a file from the scan: the lexer must see past it.
    let out = std::process::Command::new("python3")
        .arg(root().join("scripts/module-cycles.py"))
        .arg("--self-test")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    // The shared checker of top-level cycles agrees: none.
    let shared = std::path::Path::new("/work/shared/tools/modcycles.py");
    if shared.is_file() {
        let o = std::process::Command::new("python3")
            .arg(shared)
            .arg(root())
            .output()
            .unwrap();
        assert!(
            o.status.success() && !String::from_utf8_lossy(&o.stdout).contains("cycle"),
            "{}",
            String::from_utf8_lossy(&o.stdout)
        );
    }
}

#[test]
fn no_source_file_is_over_400_lines() {
    let long: Vec<String> = files_with_ext(&root().join("src"), "rs")
        .into_iter()
        .filter_map(|f| {
            let n = std::fs::read_to_string(&f).unwrap().lines().count();
            (n > 400).then(|| format!("{} ({n} lines)", f.display()))
        })
        .collect();
    assert!(long.is_empty(), "split these by concept: {long:?}");
}

/// Source files outside `src/cli` (the edge that renders errors) with a line
/// matching `bad`.
fn lines_outside_cli(bad: impl Fn(&str) -> bool, allowed: &[&str]) -> Vec<String> {
    let src = root().join("src");
    files_with_ext(&src, "rs")
        .into_iter()
        .filter(|f| !f.starts_with(src.join("cli")))
        .filter(|f| !allowed.iter().any(|a| f.starts_with(src.join(a))))
        .flat_map(|f| {
            let text = std::fs::read_to_string(&f).unwrap();
            let hits: Vec<String> = text
                .lines()
                .enumerate()
                .filter(|(_, l)| !l.trim_start().starts_with("//") && bad(l))
                .map(|(i, l)| format!("{}:{}: {}", f.display(), i + 1, l.trim()))
                .collect();
            hits
        })
        .collect()
}

#[test]
fn errors_are_typed_outside_the_cli_edge() {
    // `Result<T, String>` in any nesting: the error type is the last `, String>`.
    let hits = lines_outside_cli(|l| l.contains("Result<") && l.contains(", String>"), &[]);
    assert!(
        hits.is_empty(),
        "give these an error enum (thiserror):\n{}",
        hits.join("\n")
    );
}

#[test]
fn only_the_checker_and_the_kinds_read_raw_arguments() {
    // After the checker, stages read a node's typed settings, not its argument map.
    let raw =
        |l: &str| l.contains(".str_arg(") || l.contains(".int_arg(") || l.contains(".args.get(");
    let hits = lines_outside_cli(
        raw,
        &["check", "steps", "workflow.rs", "call_settings.rs", "lsp"],
    );
    assert!(
        hits.is_empty(),
        "read the kind's typed settings instead:\n{}",
        hits.join("\n")
    );
    // A model-calling kind names its prompt itself (`StepKind::call_prompt`).
    let named = lines_outside_cli(|l| l.contains("prompts.get(\"prompt\")"), &["steps"]);
    assert!(
        named.is_empty(),
        "ask the kind for its prompt:\n{}",
        named.join("\n")
    );
}
