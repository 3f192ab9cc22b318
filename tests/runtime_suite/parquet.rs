//! Parquet in and out, with datasets written and read back by pyarrow (from
//! PyPI, in a venv of the test's own).

use crate::common::*;
use std::path::{Path, PathBuf};
use std::process::Command;

/// A venv with pyarrow, made once under the temp folder; `Err` says why not.
fn python_with_pyarrow() -> Result<PathBuf, String> {
    let py = std::env::temp_dir().join("regen-test-pyarrow/bin/python");
    let has = |py: &Path| {
        Command::new(py)
            .args(["-c", "import pyarrow.parquet"])
            .output()
            .is_ok_and(|o| o.status.success())
    };
    if has(&py) {
        return Ok(py);
    }
    let venv = pip_venv("regen-test-pyarrow", &["pyarrow"])?;
    // `datasets` reads the training set as users will; pyarrow alone is the fallback.
    if let Err(e) =
        setup_step(Command::new(venv.join("bin/pip")).args(["install", "-q", "datasets"]))
    {
        println!("datasets could not be installed ({e}): Parquet output is read back with pyarrow");
    }
    Ok(py)
}

fn python(py: &Path, dir: &Path, script: &str) {
    let o = Command::new(py)
        .arg("-c")
        .arg(script)
        .current_dir(dir)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
}

const WORKFLOW: &str = r#"workflow pq
param data: path = "data"
model gen {
  temperature = 0.7
  seed = 1
  max_tokens = 256
  n_per_request = false
}
source questions = parquet(data, label: answer, answers: number)
step solved = llm(questions, prompt: "Solve step by step and box the answer: \\boxed{}.\nProblem: {{ question }}", into: path)
step answered = extract(solved, from: path, answer: number, into: predicted)
step correct = keep(answered, where: answer_matches(predicted, answer, "number"))
sink train_jsonl = jsonl(correct, path: "train.jsonl", format: chat, assistant: path)
sink train_parquet = parquet(correct, path: "train.parquet", format: chat, assistant: path)
sink rows = parquet(answered, path: "rows.parquet", fields: [id, question, answer, predicted])
"#;

#[test]
fn a_parquet_dataset_in_and_parquet_training_sets_out() {
    let py = match python_with_pyarrow() {
        Ok(p) => p,
        Err(e) => {
            println!(
                "pyarrow could not be installed from PyPI ({e}): the Parquet check did not run"
            );
            return;
        }
    };
    let server = Server::start(&["--correct", "0.6", "--latency-ms", "40"]);
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("pq.regen"), WORKFLOW).unwrap();
    // Two shards in the Hugging Face layout, three rows per row group.
    let arith = root().join("stdlib/data/arith-100.jsonl");
    python(
        &py,
        dir.path(),
        &format!(
            "import json, os, pyarrow as pa, pyarrow.parquet as pq\n\
             rows = [json.loads(l) for l in open({arith:?})][:10]\n\
             os.makedirs('data', exist_ok=True)\n\
             for k, part in enumerate([rows[:6], rows[6:]]):\n\
             \x20   pq.write_table(pa.Table.from_pylist(part), f'data/train-0000{{k}}-of-00002.parquet', row_group_size=3)\n"
        ),
    );
    let env = [
        ("OPENAI_BASE_URL", server.url.as_str()),
        ("OPENAI_API_KEY", "sk-test"),
    ];
    let plan = regen_in(dir.path(), &["plan", "pq.regen"], &[]);
    assert!(
        plan.stdout.contains("estimate for 10 source records"),
        "the row count comes from the footers: {}",
        plan.stdout
    );
    // Killed mid-run (kill -9): no Parquet file is left half-written; the resumed run writes one whole.
    let mut killed = Command::new(env!("CARGO_BIN_EXE_regen"))
        .args(["run", "pq.regen", "--run-dir", "out", "--progress", "none"])
        .current_dir(dir.path())
        .envs(env)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    while server.requests() < 3 {
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    killed.kill().unwrap();
    killed.wait().unwrap();
    assert!(
        !dir.path().join("out/train.parquet").exists(),
        "no Parquet file before the run ends"
    );
    let r = regen_in(
        dir.path(),
        &["run", "pq.regen", "--run-dir", "out", "--progress", "none"],
        &env,
    );
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    assert!(
        r.stdout.contains("source") || r.stdout.contains("wrote"),
        "{}",
        r.stdout
    );

    // The Parquet training set holds exactly the JSONL one's records; the rows file has all ten.
    python(
        &py,
        dir.path(),
        "import json, pyarrow.parquet as pq\n\
         t = pq.read_table('out/train.parquet').to_pylist()\n\
         j = [json.loads(l) for l in open('out/train.jsonl')]\n\
         key = lambda r: json.dumps(r, sort_keys=True)\n\
         assert sorted(map(key, t)) == sorted(map(key, j)), (t[:1], j[:1])\n\
         assert len(j) > 0\n\
         rows = pq.read_table('out/rows.parquet').to_pylist()\n\
         assert len(rows) == 10 and set(rows[0]) == {'id', 'question', 'answer', 'predicted'}, rows[:1]\n",
    );
    for leftover in [
        "train.jsonl.partial",
        "train.parquet.partial",
        "train.parquet.lines.partial",
    ] {
        assert!(
            !dir.path().join("out").join(leftover).exists(),
            "{leftover}"
        );
    }
}

#[test]
fn bad_parquet_rows_are_named_by_file_row_group_and_row() {
    let py = match python_with_pyarrow() {
        Ok(p) => p,
        Err(e) => {
            println!(
                "pyarrow could not be installed from PyPI ({e}): the Parquet check did not run"
            );
            return;
        }
    };
    let server = Server::start(&[]);
    let dir = tempfile::tempdir().unwrap();
    // Row group 1, row 0 has a null question; row group 1, row 2 a list where text belongs.
    python(
        &py,
        dir.path(),
        "import pyarrow as pa, pyarrow.parquet as pq\n\
         q = pa.array(['What is 1 + 1?', 'What is 2 + 2?', 'What is 3 + 3?', None, 'What is 5 + 5?', 'x'])\n\
         a = pa.array([['2'], ['4'], ['6'], ['8'], ['10'], ['1', '2']])\n\
         ids = pa.array(['a', 'b', 'c', 'd', 'e', 'f'])\n\
         pq.write_table(pa.table({'id': ids, 'question': q, 'answer': a}), 'bad.parquet', row_group_size=3)\n\
         pq.write_table(pa.table({'id': ids, 'question': a}), 'typed.parquet', row_group_size=3)\n",
    );
    let wf = |skip: bool| {
        format!(
            "workflow bad\nmodel gen {{\n  n_per_request = false\n}}\nsource q = parquet(\"bad.parquet\", fields: {{id: \"id\", question: \"question\"}}{})\n\
             step s = llm(q, prompt: \"{{{{ question }}}}\")\nsink out = jsonl(s, path: \"o.jsonl\", fields: [id])\n",
            if skip { ", on_bad_row: skip" } else { "" }
        )
    };
    std::fs::write(dir.path().join("strict.regen"), wf(false)).unwrap();
    std::fs::write(dir.path().join("skip.regen"), wf(true)).unwrap();
    let env = [
        ("OPENAI_BASE_URL", server.url.as_str()),
        ("OPENAI_API_KEY", "sk-test"),
    ];
    let strict = regen_in(
        dir.path(),
        &[
            "run",
            "strict.regen",
            "--run-dir",
            "o1",
            "--progress",
            "none",
        ],
        &env,
    );
    assert_ne!(strict.code, 0);
    assert!(
        strict
            .stderr
            .contains("bad.parquet:1:0: field `question` (mapped to `question`) is null"),
        "{}",
        strict.stderr
    );
    std::fs::write(
        dir.path().join("typed.regen"),
        wf(false).replace("bad.parquet", "typed.parquet"),
    )
    .unwrap();
    let typed = regen_in(
        dir.path(),
        &[
            "run",
            "typed.regen",
            "--run-dir",
            "o3",
            "--progress",
            "none",
        ],
        &env,
    );
    assert_ne!(typed.code, 0);
    assert!(
        typed.stderr.contains("typed.parquet:0:0: field `question` (mapped to `question`) should be text, found [\"2\"]"),
        "{}",
        typed.stderr
    );
    let skip = regen_in(
        dir.path(),
        &["run", "skip.regen", "--run-dir", "o2", "--progress", "none"],
        &env,
    );
    assert_eq!(skip.code, 0, "{}\n{}", skip.stdout, skip.stderr);
    assert_eq!(
        std::fs::read_to_string(dir.path().join("o2/o.jsonl"))
            .unwrap()
            .lines()
            .count(),
        5
    );
    let show = regen_in(dir.path(), &["show", "3", "--all"], &[]);
    assert!(
        show.stdout.contains("bad.parquet:1:0: bad-row: ") && show.stdout.contains("failed: q "),
        "{}",
        show.stdout
    );
}

#[test]
fn data_import_reads_a_hub_parquet_folder() {
    let py = match python_with_pyarrow() {
        Ok(p) => p,
        Err(e) => {
            println!(
                "pyarrow could not be installed from PyPI ({e}): the Parquet check did not run"
            );
            return;
        }
    };
    let dir = tempfile::tempdir().unwrap();
    // GSM8K as the hub ships it: main/train-00000-of-00001.parquet, `question` and `answer` ending in "#### N".
    python(
        &py,
        dir.path(),
        "import os, pyarrow as pa, pyarrow.parquet as pq\n\
         os.makedirs('gsm8k/main', exist_ok=True)\n\
         rows = [{'question': 'Tom has 3 apples and buys 4 more. How many?', 'answer': 'He has 3 + 4 = 7.\\n#### 7'},\n\
                 {'question': 'A box holds 12 eggs; 5 break. How many are left?', 'answer': '12 - 5 = 7 left.\\n#### 7'},\n\
                 {'question': 'Sam reads 10 pages a day for 3 days. Pages?', 'answer': '10 * 3 = 30\\n#### 30'}]\n\
         pq.write_table(pa.Table.from_pylist(rows), 'gsm8k/main/train-00000-of-00001.parquet', row_group_size=2)\n\
         test = [{'question': 'TEST QUESTION: 2 + 2?', 'answer': '2 + 2 = 4\\n#### 4'}]\n\
         pq.write_table(pa.Table.from_pylist(test), 'gsm8k/main/test-00000-of-00001.parquet')\n",
    );
    let r = regen_in(
        dir.path(),
        &[
            "data",
            "import",
            "gsm8k",
            "--from",
            "gsm8k/main",
            "--out",
            "g.jsonl",
        ],
        &[],
    );
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    let text = std::fs::read_to_string(dir.path().join("g.jsonl")).unwrap();
    assert!(
        !text.contains("TEST QUESTION"),
        "the test split leaked into training questions:\n{text}"
    );
    let lines: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 3);
    assert_eq!(lines[2]["answer"], "30");
    assert!(lines[0]["question"]
        .as_str()
        .unwrap()
        .starts_with("Tom has 3 apples"));
    // The test split, when asked for by name.
    let t = regen_in(
        dir.path(),
        &[
            "data",
            "import",
            "gsm8k",
            "--from",
            "gsm8k/main",
            "--split",
            "test",
            "--out",
            "t.jsonl",
        ],
        &[],
    );
    assert_eq!(t.code, 0, "{}", t.stderr);
    assert_eq!(
        std::fs::read_to_string(dir.path().join("t.jsonl"))
            .unwrap()
            .lines()
            .count(),
        1
    );

    // A folder source reads the train split only, and says which files it read.
    std::fs::write(
        dir.path().join("w.regen"),
        "workflow split\nmodel gen {\n  n_per_request = false\n}\nsource q = parquet(\"gsm8k/main\", label: answer)\n\
         step s = llm(q, prompt: \"{{ question }}\", into: path)\nsink out = jsonl(s, path: \"out.jsonl\", fields: [question])\n",
    )
    .unwrap();
    let server = Server::start(&[]);
    let run = regen_in(
        dir.path(),
        &["run", "w.regen", "--run-dir", "out", "--progress", "none"],
        &[("OPENAI_BASE_URL", server.url.as_str())],
    );
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    assert!(
        run.stderr.contains("reading the `train` split")
            && run.stderr.contains("train-00000-of-00001.parquet"),
        "{}",
        run.stderr
    );
    let out = std::fs::read_to_string(dir.path().join("out/out.jsonl")).unwrap();
    assert_eq!(out.lines().count(), 3, "{out}");
    assert!(!out.contains("TEST QUESTION"), "{out}");

    // Two configurations side by side (main/ and socratic/): ambiguous, refused in words.
    python(
        &py,
        dir.path(),
        "import os, pyarrow as pa, pyarrow.parquet as pq\n\
         os.makedirs('gsm8k/socratic', exist_ok=True)\n\
         pq.write_table(pa.Table.from_pylist([{'question': 'q', 'answer': '#### 1'}]), 'gsm8k/socratic/train-00000-of-00001.parquet')\n",
    );
    let both = regen_in(
        dir.path(),
        &[
            "data", "import", "gsm8k", "--from", "gsm8k", "--out", "b.jsonl",
        ],
        &[],
    );
    assert_ne!(both.code, 0, "{}", both.stdout);
    assert!(
        both.stderr.contains("main")
            && both.stderr.contains("socratic")
            && both.stderr.contains("point the source at one of them"),
        "{}",
        both.stderr
    );
    assert!(!dir.path().join("b.jsonl").exists());
}

#[test]
fn regenesis_from_a_parquet_dataset_to_a_parquet_training_set_that_datasets_loads() {
    let py = match python_with_pyarrow() {
        Ok(p) => p,
        Err(e) => {
            println!(
                "pyarrow could not be installed from PyPI ({e}): the Parquet check did not run"
            );
            return;
        }
    };
    let server = Server::start(&["--correct", "0.5"]);
    let dir = tempfile::tempdir().unwrap();
    let arith = root().join("stdlib/data/arith-100.jsonl");
    python(
        &py,
        dir.path(),
        &format!(
            "import json, os, pyarrow as pa, pyarrow.parquet as pq\n\
             rows = [json.loads(l) for l in open({arith:?})][:6]\n\
             os.makedirs('ds/data', exist_ok=True)\n\
             for k, part in enumerate([rows[:3], rows[3:]]):\n\
             \x20   pq.write_table(pa.Table.from_pylist(part), f'ds/data/train-0000{{k}}-of-00002.parquet', row_group_size=2)\n"
        ),
    );
    // ReGenesis as shipped, reading and writing Parquet.
    let shipped = std::fs::read_to_string(root().join("workflows/regenesis.regen")).unwrap();
    let variant = shipped
        .replace("source questions = jsonl(", "source questions = parquet(")
        .replace("sink train = jsonl(", "sink train = parquet(")
        .replace("path: \"train.jsonl\"", "path: \"train.parquet\"");
    assert_ne!(variant, shipped);
    std::fs::write(dir.path().join("regenesis-parquet.regen"), variant).unwrap();
    let env = [
        ("OPENAI_BASE_URL", server.url.as_str()),
        ("OPENAI_API_KEY", "sk-test"),
    ];
    let common = [
        "--limit",
        "6",
        "--set",
        "selections=3",
        "--progress",
        "none",
        "--store",
        "s.sqlite",
    ];
    let mut pq_args = vec![
        "run",
        "regenesis-parquet.regen",
        "--run-dir",
        "pq",
        "--set",
        "data=ds",
    ];
    pq_args.extend(common);
    let r = regen_in(dir.path(), &pq_args, &env);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    let data = format!("data={}", arith.display());
    let wf = root().join("workflows/regenesis.regen");
    let mut jsonl_args = vec![
        "run",
        wf.to_str().unwrap(),
        "--run-dir",
        "js",
        "--set",
        &data,
    ];
    jsonl_args.extend(common);
    let r = regen_in(dir.path(), &jsonl_args, &env);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    // `datasets` when it is installed (pyarrow otherwise); same records, same seeded order.
    python(
        &py,
        dir.path(),
        "import json\n\
         try:\n\
         \x20   import datasets\n\
         \x20   t = datasets.load_dataset('parquet', data_files='pq/train.parquet')['train'].to_list()\n\
         \x20   print('read with datasets', datasets.__version__)\n\
         except ImportError:\n\
         \x20   import pyarrow.parquet as pq\n\
         \x20   t = pq.read_table('pq/train.parquet').to_pylist()\n\
         j = [json.loads(l) for l in open('js/train.jsonl')]\n\
         assert len(j) > 0 and t == j, (len(t), len(j), t[:1], j[:1])\n",
    );
}
