//! Typed replies over HTTP (issue 30): a step's `reply:` shape goes to the
//! server as a JSON Schema (or into the prompt), replies are read leniently,
//! checked, re-asked and finally recorded as `reply-shape` failures; the shape
//! is part of the cache key.

use crate::common::*;
use std::path::Path;

/// Four questions → a path → a shaped judge → a filter on its bool field.
fn workflow(dir: &Path, model_extra: &str, shape: &str) {
    let text = std::fs::read_to_string(root().join("stdlib/data/arith-100.jsonl")).unwrap();
    let rows: String = text.lines().take(4).map(|l| format!("{l}\n")).collect();
    std::fs::write(dir.join("q.jsonl"), rows).unwrap();
    std::fs::write(
        dir.join("w.regen"),
        format!(
            "workflow w\nmodel m {{\n  endpoint = env(\"OPENAI_BASE_URL\", \"http://127.0.0.1:1/v1\")\n  n_per_request = false\n  temperature = 0\n{model_extra}}}\n\
             shape Verdict {shape}\n\
             source q = jsonl(\"q.jsonl\")\n\
             step s = llm(q, prompt: \"Solve: {{{{ question }}}}\", into: path)\n\
             step j = judge(s, prompt: \"{{{{ path }}}} vs {{{{ answer }}}}: same? Answer yes or no.\", reply: Verdict, into: verdict)\n\
             step k = keep(j, where: verdict.same_answer)\n\
             sink out = jsonl(j, path: \"judged.jsonl\", fields: [id, verdict])\n\
             sink kept = jsonl(k, path: \"kept.jsonl\", fields: [id])\n\
             sink flat = parquet(j, path: \"flat.parquet\", fields: [id, verdict], flatten: true)\n"
        ),
    )
    .unwrap();
}

fn judged(dir: &Path) -> Vec<serde_json::Value> {
    std::fs::read_to_string(dir.join("out/judged.jsonl"))
        .unwrap_or_default()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn run(dir: &Path, server: &Server) -> Run {
    regen_in(
        dir,
        &["run", "w.regen", "--run-dir", "out", "--progress", "none"],
        &[("OPENAI_BASE_URL", server.url.as_str())],
    )
}

#[test]
fn a_shaped_judge_writes_typed_verdicts_and_fenced_json_still_reads() {
    let server = Server::start(&["--correct", "0.5", "--pfenced", "1.0"]);
    let dir = tempfile::tempdir().unwrap();
    workflow(
        dir.path(),
        "",
        "{same_answer: bool, reason: optional(string)}",
    );
    let r = run(dir.path(), &server);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    let rows = judged(dir.path());
    assert_eq!(rows.len(), 4);
    for row in &rows {
        assert!(row["verdict"]["same_answer"].is_boolean(), "{row}");
    }
    let kept = std::fs::read_to_string(dir.path().join("out/kept.jsonl")).unwrap();
    let yes = rows
        .iter()
        .filter(|r| r["verdict"]["same_answer"] == true)
        .count();
    assert_eq!(kept.lines().count(), yes);
    // A flattened sink has the shape's fields as columns of their own.
    let flat = regen::parquet::as_jsonl(&dir.path().join("out/flat.parquet"), "train").unwrap();
    let mut by_id = std::collections::BTreeMap::new();
    for line in flat.lines() {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        assert!(v.get("verdict").is_none(), "{line}");
        by_id.insert(v["id"].to_string(), v["verdict.same_answer"].clone());
    }
    for row in &rows {
        assert_eq!(by_id[&row["id"].to_string()], row["verdict"]["same_answer"]);
    }

    // The cache answers a rerun whole; a changed shape is a new call for each record.
    let asked = server.requests();
    assert_eq!(run(dir.path(), &server).code, 0);
    assert_eq!(server.requests(), asked, "a rerun makes no call");
    workflow(dir.path(), "", "{same_answer: bool}");
    assert_eq!(run(dir.path(), &server).code, 0);
    assert_eq!(
        server.requests(),
        asked + 4,
        "the shape is part of the judge's cache key"
    );
}

#[test]
fn replies_that_never_fit_are_re_asked_then_recorded_as_reply_shape() {
    for fault in ["--pprose", "--pwrongtype"] {
        let server = Server::start(&["--correct", "0.5", fault, "1.0"]);
        let dir = tempfile::tempdir().unwrap();
        workflow(dir.path(), "  reply_retries = 1\n", "{same_answer: bool}");
        let r = run(dir.path(), &server);
        assert_eq!(r.code, 1, "{fault}: {}\n{}", r.stdout, r.stderr);
        // 4 paths, then 4 judge asks and 4 re-asks.
        assert_eq!(server.requests(), 12, "{fault}");
        let show = regen_in(dir.path(), &["show", "1"], &[]);
        assert!(
            show.stdout.contains("reply-shape: 4"),
            "{fault}: {}",
            show.stdout
        );
        let json = regen_in(dir.path(), &["show", "1", "--json"], &[]);
        let s: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
        let j = s["steps"]
            .as_array()
            .unwrap()
            .iter()
            .find(|x| x["step"] == "j")
            .unwrap()
            .clone();
        assert_eq!(j["reasked"], 4, "{fault}: {j}");
        let all = regen_in(dir.path(), &["show", "1", "--all"], &[]);
        assert!(
            all.stdout.contains("asked 2 time(s)"),
            "{fault}: {}",
            all.stdout
        );
        // Killed or not, a rerun repeats no call: the re-asks are cached too.
        assert_eq!(run(dir.path(), &server).code, 1);
        assert_eq!(server.requests(), 12, "{fault}: a rerun asks nothing again");
    }
}

#[test]
fn the_shape_can_travel_in_the_prompt_for_servers_without_schemas() {
    let server = Server::start(&["--correct", "0.5"]);
    let dir = tempfile::tempdir().unwrap();
    workflow(
        dir.path(),
        "  reply_format = \"prompt\"\n",
        "{same_answer: bool}",
    );
    let r = run(dir.path(), &server);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    for row in judged(dir.path()) {
        assert!(row["verdict"]["same_answer"].is_boolean(), "{row}");
    }
    let seen = server_stats(&server.url).unwrap();
    assert_eq!(
        (
            seen["schema_in_body"].as_u64(),
            seen["schema_in_prompt"].as_u64()
        ),
        (Some(0), Some(4))
    );
    // The plan counts the shape written into the prompt.
    let plan = |dir: &Path| -> f64 {
        let out = regen_in(dir, &["plan", "w.regen", "--format", "json"], &[]);
        let v: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
        let j = v["steps"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["step"] == "j")
            .unwrap()
            .clone();
        j["prompt_tokens"].as_f64().unwrap() / j["calls"].as_f64().unwrap()
    };
    let in_prompt = plan(dir.path());
    workflow(dir.path(), "", "{same_answer: bool}");
    let in_body = plan(dir.path());
    assert!(in_prompt > in_body + 20.0, "{in_prompt} vs {in_body}");
}

#[test]
fn vllm_s_own_field_carries_the_shape_where_asked() {
    let server = Server::start(&["--correct", "0.5"]);
    let dir = tempfile::tempdir().unwrap();
    workflow(
        dir.path(),
        "  reply_format = \"vllm\"\n",
        "{same_answer: bool}",
    );
    let r = run(dir.path(), &server);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    let seen = server_stats(&server.url).unwrap();
    assert_eq!(seen["schema_in_structured_outputs"], 4, "{seen}");
    assert_eq!(seen["schema_in_body"], 0, "{seen}");
    for row in judged(dir.path()) {
        assert!(row["verdict"]["same_answer"].is_boolean(), "{row}");
    }
}
