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
