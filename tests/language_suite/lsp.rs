//! `regen lsp` driven over stdio like an editor would: JSON-RPC frames in,
//! frames out, against the real binary.

use crate::common::*;
use serde_json::{json, Value};
use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};

struct Session {
    child: Child,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
    next_id: i64,
    /// Notifications that arrived while waiting for a response.
    pending: Vec<Value>,
}

impl Session {
    fn start() -> Session {
        let mut child = Command::new(env!("CARGO_BIN_EXE_regen"))
            .arg("lsp")
            .env_remove("REGEN_STDLIB")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start regen lsp");
        let stdin = child.stdin.take().unwrap();
        let stdout = BufReader::new(child.stdout.take().unwrap());
        Session {
            child,
            stdin,
            stdout,
            next_id: 1,
            pending: vec![],
        }
    }

    fn send(&mut self, msg: Value) {
        let body = msg.to_string();
        write!(self.stdin, "Content-Length: {}\r\n\r\n{body}", body.len()).unwrap();
        self.stdin.flush().unwrap();
    }

    fn read(&mut self) -> Value {
        let mut len = 0;
        loop {
            let mut line = String::new();
            assert!(
                self.stdout.read_line(&mut line).unwrap() > 0,
                "the server closed its output"
            );
            let line = line.trim_end();
            if line.is_empty() {
                break;
            }
            if let Some(n) = line.strip_prefix("Content-Length: ") {
                len = n.parse().unwrap();
            }
        }
        let mut body = vec![0; len];
        self.stdout.read_exact(&mut body).unwrap();
        serde_json::from_slice(&body).unwrap()
    }

    fn request(&mut self, method: &str, params: Value) -> Value {
        let id = self.next_id;
        self.next_id += 1;
        self.send(json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}));
        loop {
            let msg = self.read();
            if msg["id"] == json!(id) {
                assert!(msg.get("error").is_none(), "{method}: {msg}");
                return msg["result"].clone();
            }
            self.pending.push(msg);
        }
    }

    fn notify(&mut self, method: &str, params: Value) {
        self.send(json!({"jsonrpc": "2.0", "method": method, "params": params}));
    }

    /// Every diagnostics notification that arrives before the answer to a request
    /// sent now (a barrier: the server publishes an edit's diagnostics before it
    /// reads the next message), as (uri, diagnostics), in order.
    fn published_before_next_answer(&mut self, uri: &str) -> Vec<(String, Vec<Value>)> {
        self.pending.clear();
        self.request(
            "textDocument/hover",
            json!({"textDocument": {"uri": uri}, "position": {"line": 0, "character": 0}}),
        );
        self.pending
            .drain(..)
            .filter(|m| m["method"] == "textDocument/publishDiagnostics")
            .map(|m| {
                (
                    m["params"]["uri"].as_str().unwrap().to_string(),
                    m["params"]["diagnostics"].as_array().unwrap().clone(),
                )
            })
            .collect()
    }

    /// The next diagnostics published for `uri`.
    fn diagnostics(&mut self, uri: &str) -> Vec<Value> {
        loop {
            let msg = match self
                .pending
                .iter()
                .position(|m| m["method"] == "textDocument/publishDiagnostics")
            {
                Some(i) => self.pending.remove(i),
                None => self.read(),
            };
            if msg["method"] == "textDocument/publishDiagnostics" && msg["params"]["uri"] == uri {
                return msg["params"]["diagnostics"].as_array().unwrap().clone();
            }
        }
    }
}

fn position_of(text: &str, needle: &str, nth: usize) -> Value {
    let at = text
        .match_indices(needle)
        .nth(nth)
        .unwrap_or_else(|| panic!("{needle} #{nth}"))
        .0;
    let line = text[..at].matches('\n').count();
    let col = at - text[..at].rfind('\n').map_or(0, |i| i + 1);
    json!({"line": line, "character": col})
}

#[test]
fn an_editor_session_checks_hovers_navigates_completes_formats_renames_and_fixes() {
    let dir = tempfile::tempdir().unwrap();
    assert_eq!(
        regen_in(dir.path(), &["new", "demo", "--from", "cot"], &[]).code,
        0
    );
    let path = std::fs::canonicalize(dir.path().join("demo/demo.regen")).unwrap();
    let uri = format!("file://{}", path.display());
    let saved = std::fs::read_to_string(&path).unwrap();
    // The typo is only in the editor's buffer: the disk stays clean.
    let broken = saved.replace("answer_matches(predicted,", "answer_matches(predictd,");

    let mut s = Session::start();
    let init = s.request("initialize", json!({"capabilities": {}, "rootUri": null}));
    assert!(init["capabilities"]["hoverProvider"].as_bool().unwrap());
    s.notify("initialized", json!({}));

    s.notify(
        "textDocument/didOpen",
        json!({"textDocument": {"uri": uri, "languageId": "regen", "version": 1, "text": broken}}),
    );
    let diags = s.diagnostics(&uri);
    assert_eq!(diags.len(), 1, "{diags:?}");
    let d = &diags[0];
    assert_eq!(d["code"], "unknown-field");
    assert_eq!(d["source"], "regen");
    assert!(
        d["message"]
            .as_str()
            .unwrap()
            .contains("did you mean `predicted`"),
        "{d}"
    );
    assert_eq!(
        d["range"]["start"]["line"],
        position_of(&broken, "predictd", 0)["line"]
    );

    // The quick fix replaces the misspelt word, and only it.
    let actions = s.request(
        "textDocument/codeAction",
        json!({"textDocument": {"uri": uri}, "range": d["range"], "context": {"diagnostics": [d]}}),
    );
    let edit = &actions[0]["edit"]["changes"][&uri][0];
    assert_eq!(edit["newText"], "predicted");
    assert_eq!(edit["range"]["start"], position_of(&broken, "predictd", 0));

    // The fix arrives as a change: the diagnostics clear.
    s.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": uri, "version": 2}, "contentChanges": [{"text": saved}]}),
    );
    assert_eq!(s.diagnostics(&uri), Vec::<Value>::new());

    // Hover: a step, a field, a prompt, a model.
    let hover = |s: &mut Session, needle: &str, nth: usize| -> String {
        let r = s.request(
            "textDocument/hover",
            json!({"textDocument": {"uri": uri}, "position": position_of(&saved, needle, nth)}),
        );
        r["contents"]["value"].as_str().unwrap_or("").to_string()
    };
    let step = hover(&mut s, "answered", 1);
    assert!(
        step.contains("`answered` = `extract`(solved)") && step.contains("makes no model calls"),
        "{step}"
    );
    let field = hover(&mut s, "predicted", 1);
    assert!(
        field.contains("**field** `predicted`") && field.contains("`answered` (extract)"),
        "{field}"
    );
    let prompt = hover(&mut s, "solve\"", 0);
    assert!(
        prompt.contains("**prompt** `solve`") && prompt.contains("{{ question }}"),
        "{prompt}"
    );
    let model = hover(&mut s, "gen", 0);
    assert!(model.contains("`temperature` | `0.7`"), "{model}");
    let solved = hover(&mut s, "solved", 0);
    assert!(
        solved.contains("estimated calls per input record: 1"),
        "{solved}"
    );

    // Definition: a step reference goes to its declaration; a prompt name opens its file.
    let def = s.request(
        "textDocument/definition",
        json!({"textDocument": {"uri": uri}, "position": position_of(&saved, "answered", 1)}),
    );
    assert_eq!(def["uri"], uri);
    assert_eq!(def["range"]["start"], position_of(&saved, "answered", 0));
    let def = s.request(
        "textDocument/definition",
        json!({"textDocument": {"uri": uri}, "position": position_of(&saved, "solve\"", 0)}),
    );
    assert!(
        def["uri"]
            .as_str()
            .unwrap()
            .ends_with("demo/prompts/solve.j2"),
        "{def}"
    );

    // Completion inside keep(…): its arguments and the fields that reach it.
    let items = s.request(
        "textDocument/completion",
        json!({"textDocument": {"uri": uri}, "position": position_of(&saved, "answer_matches", 0)}),
    );
    let labels: Vec<&str> = items
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["label"].as_str().unwrap())
        .collect();
    assert!(
        labels.contains(&"where") && labels.contains(&"predicted") && labels.contains(&"solved"),
        "{labels:?}"
    );
    let in_model = s.request(
        "textDocument/completion",
        json!({"textDocument": {"uri": uri}, "position": position_of(&saved, "seed = 1", 0)}),
    );
    assert!(in_model
        .as_array()
        .unwrap()
        .iter()
        .any(|i| i["label"] == "top_p"));

    // Formatting gives what `regen fmt` writes.
    let messy = saved.replace(
        "step solved = llm(questions, prompt: \"solve\", into: path)",
        "step   solved=llm( questions,prompt:\"solve\",into:path )",
    );
    s.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": uri, "version": 3}, "contentChanges": [{"text": messy}]}),
    );
    s.diagnostics(&uri);
    let edits = s.request(
        "textDocument/formatting",
        json!({"textDocument": {"uri": uri}, "options": {"tabSize": 2, "insertSpaces": true}}),
    );
    let formatted = edits[0]["newText"].as_str().unwrap().to_string();
    let on_disk = dir.path().join("messy.regen");
    std::fs::write(&on_disk, &messy).unwrap();
    assert_eq!(regen_in(dir.path(), &["fmt", "messy.regen"], &[]).code, 0);
    assert_eq!(formatted, std::fs::read_to_string(&on_disk).unwrap());

    // Rename a step: declaration and every reference.
    s.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": uri, "version": 4}, "contentChanges": [{"text": saved}]}),
    );
    s.diagnostics(&uri);
    let edit = s.request(
        "textDocument/rename",
        json!({"textDocument": {"uri": uri}, "position": position_of(&saved, "answered", 0), "newName": "extracted"}),
    );
    let changes = edit["changes"][&uri].as_array().unwrap();
    assert_eq!(
        changes.len(),
        saved.matches("answered").count(),
        "{changes:?}"
    );

    let shut = s.request("shutdown", Value::Null);
    assert!(shut.is_null());
    s.notify("exit", Value::Null);
    let status = s.child.wait().unwrap();
    assert!(status.success(), "{status}");
}

#[test]
fn an_edit_rechecks_the_buffers_it_can_change_and_leaves_the_others() {
    let dir = tempfile::tempdir().unwrap();
    for name in ["demo", "other"] {
        assert_eq!(
            regen_in(dir.path(), &["new", name, "--from", "cot"], &[]).code,
            0
        );
    }
    let variant_text =
        "workflow variant\nextends \"demo.regen\"\nstep answered = extract(solved, from: path, answer: answer_format, into: predicted)\n";
    std::fs::write(dir.path().join("demo/variant.regen"), variant_text).unwrap();
    let file = |rel: &str| std::fs::canonicalize(dir.path().join(rel)).unwrap();
    let (base, variant, other) = (
        file("demo/demo.regen"),
        file("demo/variant.regen"),
        file("other/other.regen"),
    );
    let uri = |p: &std::path::Path| format!("file://{}", p.display());
    let (base_uri, variant_uri, other_uri) = (uri(&base), uri(&variant), uri(&other));
    let (base_text, other_text) = (
        std::fs::read_to_string(&base).unwrap(),
        std::fs::read_to_string(&other).unwrap(),
    );

    let mut s = Session::start();
    s.request("initialize", json!({"capabilities": {}, "rootUri": null}));
    s.notify("initialized", json!({}));
    for (u, text) in [
        (&base_uri, &base_text),
        (&variant_uri, &variant_text.to_string()),
        (&other_uri, &other_text),
    ] {
        s.notify(
            "textDocument/didOpen",
            json!({"textDocument": {"uri": u, "languageId": "regen", "version": 1, "text": text}}),
        );
        assert_eq!(s.diagnostics(u), Vec::<Value>::new(), "{u} is clean");
    }
    s.pending.clear();

    // An edit of an unrelated workflow checks that workflow alone.
    let edited = format!("# edited\n{other_text}");
    s.notify("textDocument/didChange", json!({"textDocument": {"uri": other_uri, "version": 2}, "contentChanges": [{"text": edited}]}));
    let published = s.published_before_next_answer(&other_uri);
    assert_eq!(
        published
            .iter()
            .map(|(u, _)| u.as_str())
            .collect::<Vec<_>>(),
        [other_uri.as_str()]
    );

    // An edit of the base checks its variant too: the step the variant reads is gone.
    let renamed = base_text
        .replace("step solved =", "step solved_v2 =")
        .replace("extract(solved,", "extract(solved_v2,");
    s.notify("textDocument/didChange", json!({"textDocument": {"uri": base_uri, "version": 2}, "contentChanges": [{"text": renamed}]}));
    let published = s.published_before_next_answer(&base_uri);
    let of = |u: &str| {
        published
            .iter()
            .find(|(p, _)| p == u)
            .map(|(_, d)| d.clone())
            .unwrap_or_else(|| panic!("nothing published for {u}"))
    };
    assert_eq!(of(&base_uri), Vec::<Value>::new());
    let diags = of(&variant_uri);
    assert!(
        !diags.is_empty() && diags[0]["message"].as_str().unwrap().contains("solved"),
        "{diags:?}"
    );
    assert_eq!(published.len(), 2, "the unrelated workflow is left alone");

    s.request("shutdown", Value::Null);
    s.notify("exit", Value::Null);
    assert!(s.child.wait().unwrap().success());
}

#[test]
fn hover_shows_a_reply_shape_and_completion_offers_its_fields() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("q.jsonl");
    std::fs::copy(root().join("stdlib/data/arith-100.jsonl"), &data).unwrap();
    let text = format!(
        "model m {{\n  endpoint = \"http://127.0.0.1:1/v1\"\n}}\n\
         shape Verdict {{same_answer: bool, reason: optional(string)}}\n\
         source q = jsonl(\"{}\")\n\
         step j = judge(q, prompt: \"{{{{ question }}}} {{{{ answer }}}}\", reply: Verdict, into: verdict)\n\
         step k = keep(j, where: verdict.same_answer)\n\
         sink out = jsonl(k, path: \"o.jsonl\")\n",
        data.display()
    );
    let path = dir.path().join("s.regen");
    std::fs::write(&path, &text).unwrap();
    let uri = format!("file://{}", path.display());
    let mut s = Session::start();
    s.request("initialize", json!({"capabilities": {}, "rootUri": null}));
    s.notify("initialized", json!({}));
    s.notify(
        "textDocument/didOpen",
        json!({"textDocument": {"uri": uri, "languageId": "regen", "version": 1, "text": text}}),
    );
    assert_eq!(s.diagnostics(&uri), Vec::<Value>::new());
    let hover = s.request(
        "textDocument/hover",
        json!({"textDocument": {"uri": uri}, "position": position_of(&text, "Verdict", 1)}),
    );
    let md = hover["contents"]["value"].as_str().unwrap();
    assert!(
        md.contains("{same_answer: bool, reason: optional(string)}"),
        "{md}"
    );
    let hover = s.request(
        "textDocument/hover",
        json!({"textDocument": {"uri": uri}, "position": position_of(&text, "verdict", 1)}),
    );
    let md = hover["contents"]["value"].as_str().unwrap();
    assert!(md.contains("the parsed reply"), "{md}");
    // Completion right after `verdict.` offers the shape's fields.
    let at = position_of(&text, "verdict.same_answer", 0);
    let col = at["character"].as_u64().unwrap() + "verdict.".len() as u64;
    let items = s.request(
        "textDocument/completion",
        json!({"textDocument": {"uri": uri}, "position": {"line": at["line"], "character": col}}),
    );
    let labels: Vec<&str> = items
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|i| i["label"].as_str())
        .collect();
    assert_eq!(labels, ["same_answer", "reason"], "{items}");
}
