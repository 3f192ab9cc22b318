//! Every shipped ablation differs from ReGenesis only in the steps it names:
//! `regen diff` over each, held to a golden list (`REGEN_BLESS=1` rewrites it).
//! An accidental difference (a hint step redefined without its temperature, a
//! filter that lost a condition) changes a line here and fails the suite.

use crate::common::*;

#[test]
fn each_ablation_differs_from_the_base_only_where_it_says() {
    let base = root().join("workflows/regenesis.regen");
    let mut listed = String::new();
    for f in files_with_ext(&root().join("workflows/ablations"), "regen") {
        let r = regen(&[
            "diff",
            base.to_str().unwrap(),
            f.to_str().unwrap(),
            "--json",
        ]);
        assert_eq!(r.code, 0, "{}: {}", f.display(), r.stderr);
        let d: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
        let names = |k: &str| {
            d[k].as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_str().unwrap().to_string())
                .collect::<Vec<_>>()
        };
        let mut line = format!("{}:", f.file_stem().unwrap().to_string_lossy());
        for c in d["changed"].as_array().unwrap() {
            let what: Vec<String> = c["what"]
                .as_array()
                .unwrap()
                .iter()
                .map(|w| w.as_str().unwrap().split(':').next().unwrap().to_string())
                .collect();
            line.push_str(&format!(
                " ~{}({})",
                c["step"].as_str().unwrap(),
                what.join(",")
            ));
        }
        for s in names("only_in_variant") {
            line.push_str(&format!(" +{s}"));
        }
        for s in names("only_in_base") {
            line.push_str(&format!(" -{s}"));
        }
        listed.push_str(&line);
        listed.push('\n');
    }
    if let Err(e) = golden(&root().join("tests/golden/ablation-diffs.txt"), &listed) {
        panic!("{e}");
    }
}

#[test]
fn diff_says_what_changed_in_words() {
    let r = regen(&["diff", "@regenesis", "@ablations/keep-1"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.contains("kept\n    args.n: 5 → 1"), "{}", r.stdout);
    assert!(r.stdout.contains("downstream of a change"), "{}", r.stdout);
    let same = regen(&["diff", "@regenesis", "@regenesis"]);
    assert!(same.stdout.contains("changed: (none)"), "{}", same.stdout);
}
