//! Golden diagnostics: every `tests/diagnostics/**/*.regen` is linted through the
//! CLI; the rendered output and exit code must equal the `.expected` file beside it.
//! `REGEN_BLESS=1 cargo test --test diagnostics` regenerates them.

mod common;
use common::*;

#[test]
fn golden_diagnostics() {
    let dir = root().join("tests/diagnostics");
    let files = files_with_ext(&dir, "regen");
    assert!(files.len() >= 40, "the corpus shrank: {}", files.len());
    let mut failures = Vec::new();
    for f in &files {
        let rel = f.strip_prefix(root()).unwrap().display().to_string();
        let run = regen(&["lint", &rel]);
        assert!(run.code == 0 || run.code == 1, "{rel}: exit {} (a crash?)\n{}", run.code, run.stderr);
        assert!(!run.stderr.contains("panicked"), "{rel} panicked:\n{}", run.stderr);
        let actual = normalise(&format!("exit: {}\n{}", run.code, run.stderr));
        if let Err(e) = golden(&f.with_extension("expected"), &actual) {
            failures.push(e);
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn five_independent_mistakes_give_five_coded_diagnostics_with_spans() {
    let run = regen(&["lint", "--format", "json", "tests/diagnostics/five-mistakes.regen"]);
    assert_eq!(run.code, 1);
    let diags: Vec<serde_json::Value> = serde_json::from_str(&run.stdout).unwrap();
    let codes: Vec<&str> = diags.iter().map(|d| d["code"].as_str().unwrap()).collect();
    assert_eq!(codes, ["unknown-field", "out-of-range", "unknown-step", "syntax-error", "syntax-error"]);
    for d in &diags {
        assert!(d["line"].as_u64().unwrap() > 1 && d["column"].as_u64().unwrap() > 1, "{d}");
        assert_eq!(d["severity"], "error");
        assert!(d["help"].is_string(), "every diagnostic here has a help line: {d}");
    }
}

#[test]
fn every_diagnostic_in_the_corpus_has_a_code_and_a_span_in_its_file() {
    let dir = root().join("tests/diagnostics");
    for f in files_with_ext(&dir, "regen") {
        let run = regen(&["lint", "--format", "json", f.to_str().unwrap()]);
        let diags: Vec<serde_json::Value> =
            serde_json::from_str(&run.stdout).unwrap_or_else(|e| panic!("{}: {e}: {}", f.display(), run.stdout));
        assert!(!diags.is_empty(), "{} is in the bad corpus but has no diagnostic", f.display());
        for d in diags {
            let code = d["code"].as_str().unwrap();
            assert!(!code.is_empty() && code.chars().all(|c| c.is_ascii_lowercase() || c == '-' || c.is_ascii_digit()), "{code}");
            assert!(d["line"].as_u64().unwrap() >= 1);
        }
    }
}
