//! A real editor: headless Neovim opens a workflow with the shipped
//! `editors/nvim/regen.lua`, and `regen lsp` answers it.

use crate::common::*;
use std::process::Command;

#[test]
fn neovim_shows_regen_diagnostics_and_hover() {
    if Command::new("nvim").arg("--version").output().is_err() {
        println!("Neovim is not installed here: the headless-editor check did not run (tests/language_suite/lsp.rs still drove the server over stdio)");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    assert_eq!(
        regen_in(dir.path(), &["new", "demo", "--from", "cot"], &[]).code,
        0
    );
    let file = dir.path().join("demo/demo.regen");
    let text = std::fs::read_to_string(&file)
        .unwrap()
        .replace("answer_matches(predicted,", "answer_matches(predictd,");
    std::fs::write(&file, &text).unwrap();
    let lint = regen_in(
        dir.path(),
        &["lint", "--format", "json", file.to_str().unwrap()],
        &[],
    );
    let expected: Vec<serde_json::Value> = serde_json::from_str(&lint.stdout).unwrap();

    let at = text.find("step answered").unwrap() + "step ".len();
    let line = text[..at].matches('\n').count();
    let col = at - text[..at].rfind('\n').map_or(0, |i| i + 1);
    let out = dir.path().join("nvim.json");
    let run = Command::new("nvim")
        .args(["--headless", "--clean", "-n", "-c"])
        .arg(format!(
            "luafile {}",
            root().join("tests/editor/nvim-check.lua").display()
        ))
        .env("REGEN_BIN", env!("CARGO_BIN_EXE_regen"))
        .env("REGEN_NVIM_PLUGIN", root().join("editors/nvim/regen.lua"))
        .env("REGEN_FILE", &file)
        .env("REGEN_NVIM_OUT", &out)
        .env("REGEN_HOVER_LINE", line.to_string())
        .env("REGEN_HOVER_COL", col.to_string())
        .env_remove("REGEN_STDLIB")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("run nvim");
    // The script quits on its own, error or not; a wedged editor is killed rather than hanging CI.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(90);
    let mut run = run;
    while run.try_wait().unwrap().is_none() && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    if run.try_wait().unwrap().is_none() {
        run.kill().unwrap();
    }
    let run = run.wait_with_output().unwrap();
    let seen = std::fs::read_to_string(&out).unwrap_or_else(|e| {
        panic!(
            "Neovim wrote no result ({e}): {}\n{}",
            String::from_utf8_lossy(&run.stdout),
            String::from_utf8_lossy(&run.stderr)
        )
    });
    let seen: serde_json::Value = serde_json::from_str(&seen).unwrap();
    assert!(
        seen.get("error").is_none(),
        "the Neovim script failed: {seen}"
    );
    assert_eq!(seen["filetype"], "regen");
    let diags = seen["diagnostics"].as_array().unwrap();
    assert_eq!(
        diags.len(),
        expected.len(),
        "the editor shows what `regen lint` reports: {seen}"
    );
    for (d, e) in diags.iter().zip(&expected) {
        assert_eq!(d["code"], e["code"]);
        assert_eq!(d["lnum"].as_u64().unwrap() + 1, e["line"].as_u64().unwrap());
        assert_eq!(
            d["col"].as_u64().unwrap() + 1,
            e["column"].as_u64().unwrap()
        );
    }
    let hover = seen["hover"].as_str().unwrap_or_default();
    assert!(hover.contains("`answered` = `extract`"), "{seen}");
}
