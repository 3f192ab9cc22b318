//! The run report as a person sees it: `regen run --report` and `regen show
//! RUN --html`, opened in a real headless browser when one is installed
//! (`.ci/run` installs Debian's chromium-headless-shell).

use crate::common::*;

fn browser() -> Option<&'static str> {
    ["chromium-headless-shell", "chromium", "chromium-browser"]
        .into_iter()
        .find(|b| {
            std::process::Command::new(b)
                .arg("--version")
                .output()
                .is_ok_and(|o| o.status.success())
        })
}

#[test]
fn the_run_report_shows_the_numbers_and_unfolds_a_lineage_in_a_browser() {
    let server = Server::start(&["--correct", "0.3"]);
    let dir = tempfile::tempdir().unwrap();
    let wf = root().join("workflows/regenesis.regen");
    let args = [
        "run",
        wf.to_str().unwrap(),
        "--limit",
        "2",
        "--run-dir",
        "out",
        "--report",
        "--set",
        "selections=3",
        "--set",
        "singles=3",
    ];
    let r = regen_in(
        dir.path(),
        &args,
        &[("OPENAI_BASE_URL", server.url.as_str())],
    );
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    let requests = server.requests();
    let page = std::fs::read_to_string(dir.path().join("out/report.html")).unwrap();
    assert!(
        page.contains(&format!("<span id=\"requests\">{requests}</span>")),
        "the page shows the run's request count"
    );
    assert!(page.contains("judge said no") && page.contains("<svg") && !page.contains("<script"));
    // `regen show --html` writes the same page from the store.
    let show = regen_in(dir.path(), &["show", "1", "--html", "again.html"], &[]);
    assert_eq!(show.code, 0, "{}", show.stderr);
    assert_eq!(
        std::fs::read_to_string(dir.path().join("again.html")).unwrap(),
        page
    );

    let Some(chrome) = browser() else {
        println!("no headless Chromium here (apt-get install chromium-headless-shell); the browser check did not run");
        return;
    };
    let url = format!("file://{}", dir.path().join("out/report.html").display());
    let dom = std::process::Command::new(chrome)
        .args(["--no-sandbox", "--disable-gpu", "--dump-dom", &url])
        .output()
        .unwrap();
    let dom = String::from_utf8_lossy(&dom.stdout);
    assert!(
        dom.contains(&format!("<span id=\"requests\">{requests}</span>")),
        "{dom}"
    );
    // One lineage is unfolded: question, guideline, adapted, structure, path and verdict.
    let open = dom
        .find("<details class=\"lineage\" open=\"\">")
        .expect("an unfolded lineage");
    let unfolded = &dom[open..dom[open..]
        .find("</details>")
        .map_or(dom.len(), |e| open + e)];
    for field in [
        "question",
        "guideline",
        "adapted",
        "structure",
        "path",
        "verdict_reply",
    ] {
        assert!(
            unfolded.contains(&format!("<dt>{field}</dt>")),
            "{field} in {unfolded}"
        );
    }
    let shot = dir.path().join("report.png");
    let status = std::process::Command::new(chrome)
        .args(["--no-sandbox", "--disable-gpu", "--window-size=1200,1600"])
        .arg(format!("--screenshot={}", shot.display()))
        .arg(&url)
        .output()
        .unwrap();
    assert!(
        status.status.success(),
        "{}",
        String::from_utf8_lossy(&status.stderr)
    );
    assert!(
        std::fs::metadata(&shot).unwrap().len() > 20_000,
        "a screenshot with content"
    );
}
