//! Golden diagnostics: every `tests/diagnostics/**/*.regen` is linted through the
//! CLI; the rendered output and exit code must equal the `.expected` file beside it.
//! `REGEN_BLESS=1 cargo test --test language_suite diagnostics` regenerates them. A test also
//! holds every code the source can emit against the catalogue (`regen explain`)
//! and the golden files: each code needs an entry and at least one golden.

use crate::common::*;

/// `regen lint FLAGS FILE`, plus the words of `FILE.args` beside it if there is
/// one (extra command-line words, one a line: `--set`, `k=v`).
fn lint(flags: &[&str], file: &str) -> Run {
    let extra =
        std::fs::read_to_string(root().join(file).with_extension("args")).unwrap_or_default();
    let mut args = vec!["lint"];
    args.extend_from_slice(flags);
    args.push(file);
    args.extend(extra.lines().filter(|l| !l.is_empty()));
    regen(&args)
}

/// The diagnostics of a file with errors, as `--format json` gives them.
fn errors_as_json(file: &str) -> Vec<serde_json::Value> {
    let run = lint(&["--format", "json"], file);
    assert_eq!(run.code, 1, "{}", run.stderr);
    serde_json::from_str(&run.stdout).unwrap()
}

#[test]
fn golden_diagnostics() {
    let dir = root().join("tests/diagnostics");
    let files = files_with_ext(&dir, "regen");
    assert!(files.len() >= 40, "the corpus shrank: {}", files.len());
    let mut failures = Vec::new();
    for f in &files {
        let rel = f.strip_prefix(root()).unwrap().display().to_string();
        let run = lint(&[], &rel);
        assert!(
            run.code == 0 || run.code == 1,
            "{rel}: exit {} (a crash?)\n{}",
            run.code,
            run.stderr
        );
        assert!(
            !run.stderr.contains("panicked"),
            "{rel} panicked:\n{}",
            run.stderr
        );
        let actual = normalise(&format!("exit: {}\n{}", run.code, run.stderr));
        if let Err(e) = golden(&f.with_extension("expected"), &actual) {
            failures.push(e);
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn five_independent_mistakes_give_five_coded_diagnostics_with_spans() {
    let diags = errors_as_json("tests/diagnostics/five-mistakes.regen");
    let codes: Vec<&str> = diags.iter().map(|d| d["code"].as_str().unwrap()).collect();
    assert_eq!(
        codes,
        [
            "unknown-field",
            "out-of-range",
            "unknown-step",
            "syntax-error",
            "syntax-error"
        ]
    );
    for d in &diags {
        assert!(
            d["line"].as_u64().unwrap() > 1 && d["column"].as_u64().unwrap() > 1,
            "{d}"
        );
        assert_eq!(d["severity"], "error");
        assert!(
            d["help"].is_string(),
            "every diagnostic here has a help line: {d}"
        );
    }
}

#[test]
fn a_mistake_downstream_of_another_is_still_reported_without_cascades() {
    let diags = errors_as_json("tests/diagnostics/independent-mistakes.regen");
    let codes: Vec<&str> = diags.iter().map(|d| d["code"].as_str().unwrap()).collect();
    // Unknown setting, unknown step, unknown prompt, a misspelt field downstream of
    // the unknown step (with its did-you-mean), and a wrong type: five, no more.
    assert_eq!(
        codes,
        [
            "unknown-setting",
            "unknown-step",
            "unknown-prompt",
            "unknown-field",
            "wrong-type"
        ]
    );
    assert!(diags[3]["message"].as_str().unwrap().contains("predictd"));
    assert!(
        diags[3]["help"].as_str().unwrap().contains("predicted"),
        "{}",
        diags[3]
    );
}

#[test]
fn every_diagnostic_in_the_corpus_has_a_code_and_a_span_in_its_file() {
    let dir = root().join("tests/diagnostics");
    for f in files_with_ext(&dir, "regen") {
        let run = lint(&["--format", "json"], f.to_str().unwrap());
        let diags: Vec<serde_json::Value> = serde_json::from_str(&run.stdout)
            .unwrap_or_else(|e| panic!("{}: {e}: {}", f.display(), run.stdout));
        assert!(
            !diags.is_empty(),
            "{} is in the bad corpus but has no diagnostic",
            f.display()
        );
        for d in diags {
            let code = d["code"].as_str().unwrap();
            assert!(
                !code.is_empty()
                    && code
                        .chars()
                        .all(|c| c.is_ascii_lowercase() || c == '-' || c.is_ascii_digit()),
                "{code}"
            );
            assert!(d["line"].as_u64().unwrap() >= 1);
        }
    }
}

/// Every code the checker can emit, read from the source the way a reviewer would.
fn codes_in_source() -> std::collections::BTreeSet<String> {
    let mut out = std::collections::BTreeSet::new();
    for f in files_with_ext(&root().join("src"), "rs") {
        let text = std::fs::read_to_string(&f).unwrap();
        for marker in [
            "error(",
            "warning(",
            "code: ",
            "fn code(&self) -> &'static str {",
        ] {
            for (i, _) in text.match_indices(marker) {
                let rest = text[i + marker.len()..].trim_start();
                if let Some(lit) = rest.strip_prefix('"').and_then(|r| r.split('"').next()) {
                    if !lit.is_empty()
                        && lit
                            .chars()
                            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
                    {
                        out.insert(lit.to_string());
                    }
                }
            }
        }
    }
    out
}

#[test]
fn every_code_has_a_catalogue_entry_and_a_golden_file() {
    let codes = codes_in_source();
    assert!(codes.len() >= 45, "the scan found too few codes: {codes:?}");
    let mut goldens = String::new();
    for f in files_with_ext(&root().join("tests/diagnostics"), "expected") {
        goldens.push_str(&String::from_utf8_lossy(&std::fs::read(f).unwrap()));
    }
    // A guard the other rules pre-empt: no input reaches it, so it has no golden.
    let unreachable = ["not-constant"];
    for code in &codes {
        assert!(
            regen::catalogue::find(code).is_some(),
            "`{code}` has no entry in src/catalogue.rs"
        );
        if !unreachable.contains(&code.as_str()) {
            assert!(
                goldens.contains(&format!("regen::{code}")),
                "`{code}` has no golden file under tests/diagnostics"
            );
        }
    }
    for e in regen::catalogue::CATALOGUE {
        assert!(
            codes.contains(e.code),
            "the catalogue lists `{}`, which nothing emits",
            e.code
        );
    }
    let run = regen(&["explain", "unknown-field"]);
    assert_eq!(run.code, 0);
    assert!(
        run.stdout.starts_with("regen::unknown-field (error)") && run.stdout.contains("Fix:"),
        "{}",
        run.stdout
    );
    let typo = regen(&["explain", "unknown-feild"]);
    assert_eq!(typo.code, 2);
    assert!(
        typo.stderr.contains("did you mean `unknown-field`"),
        "{}",
        typo.stderr
    );
}
