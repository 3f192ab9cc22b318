//! `regen lint --format sarif|github`: what CI and code hosts read.

use crate::common::*;

const FILES: [&str; 2] = [
    "tests/diagnostics/five-mistakes.regen",
    "tests/diagnostics/warnings.regen",
];

#[test]
fn sarif_validates_against_the_sarif_2_1_0_schema_and_holds_every_finding() {
    let run = regen(&["lint", "--format", "sarif", FILES[0], FILES[1]]);
    assert_eq!(
        run.code, 1,
        "errors give exit 1 in every format\n{}",
        run.stderr
    );
    let log: serde_json::Value =
        serde_json::from_str(&run.stdout).expect("SARIF is one JSON document on stdout");
    let schema: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(root().join("tests/schemas/sarif-schema-2.1.0.json")).unwrap(),
    )
    .unwrap();
    let validator = jsonschema::draft4::new(&schema).expect("the committed schema compiles");
    let errors: Vec<String> = validator
        .iter_errors(&log)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(
        errors.is_empty(),
        "SARIF does not validate:\n{}",
        errors.join("\n")
    );

    // The same findings as the JSON format, with the same codes and places.
    let json = regen(&["lint", "--format", "json", FILES[0], FILES[1]]);
    let plain: Vec<serde_json::Value> = serde_json::from_str(&json.stdout).unwrap();
    let results = log["runs"][0]["results"].as_array().unwrap();
    assert_eq!(results.len(), plain.len());
    for (r, p) in results.iter().zip(&plain) {
        assert_eq!(r["ruleId"], p["code"]);
        assert_eq!(r["level"], p["severity"]);
        let region = &r["locations"][0]["physicalLocation"]["region"];
        assert_eq!(
            (&region["startLine"], &region["startColumn"]),
            (&p["line"], &p["column"])
        );
        assert!(
            r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
                .as_str()
                .unwrap()
                .starts_with("tests/diagnostics/")
        );
    }
    // Every rule a result names is described from the catalogue.
    let rules = log["runs"][0]["tool"]["driver"]["rules"]
        .as_array()
        .unwrap();
    for r in results {
        let rule = &rules[r["ruleIndex"].as_u64().unwrap() as usize];
        assert_eq!(rule["id"], r["ruleId"]);
        assert!(rule["shortDescription"]["text"]
            .as_str()
            .is_some_and(|t| !t.is_empty()));
    }
    assert!(
        plain.iter().any(|p| p["severity"] == "warning"),
        "the files give warnings as well as errors"
    );
}

#[test]
fn github_annotations_are_golden() {
    let run = regen(&["lint", "--format", "github", FILES[0], FILES[1]]);
    assert_eq!(run.code, 1);
    for line in run.stdout.lines() {
        assert!(
            line.starts_with("::error file=") || line.starts_with("::warning file="),
            "{line}"
        );
        assert!(!line["::".len()..]
            .split_once("::")
            .unwrap()
            .1
            .contains('\n'));
    }
    golden(
        &root().join("tests/lint-formats/github.expected"),
        &run.stdout,
    )
    .unwrap();
}
