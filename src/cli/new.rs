//! `regen new NAME [--from regenesis|star|cot]`: a project folder that passes
//! `regen lint` and runs as it is: the workflow, editable copies of the prompts
//! it names, and a five-question dataset.

use clap::{Args, ValueEnum};
use std::path::{Path, PathBuf};

#[derive(Clone, Copy, ValueEnum, PartialEq, Eq, Debug)]
pub enum Starter {
    /// The full ReGenesis method (guidelines → structures → paths, hinted retry).
    Regenesis,
    /// STaR: few-shot chain of thought, rationalisation for the misses.
    Star,
    /// Plain chain of thought: one path per question, kept when its answer is right.
    Cot,
    /// Chain of thought whose answers your own Python function checks
    /// (`checks/math_equal.py`, sympy when installed), in worker processes.
    PythonCheck,
}

#[derive(Args)]
pub struct NewArgs {
    /// The project's name: a folder of that name is created, holding NAME.regen.
    pub name: String,
    #[arg(long, value_enum, default_value = "regenesis")]
    pub from: Starter,
    /// Create the folder inside this one.
    #[arg(long, default_value = ".")]
    pub dir: PathBuf,
}

const COT: &str = r#"# Chain of thought: one reasoning path per question, kept when its final
# answer matches the label. Edit prompts/solve.j2 to change what is asked.
workflow NAME

param data: path = "data/tiny.jsonl"
param answer_format: string = "number"  # number | choice | bool | text
param max_path_tokens: int = 800

model gen {
  endpoint = env("OPENAI_BASE_URL", "http://127.0.0.1:8080/v1")
  name = env("REGEN_MODEL", "smollm2")
  api_key_env = "OPENAI_API_KEY"
  temperature = 0.7
  max_tokens = 1024
  seed = 1
  n_per_request = false
}

source questions = jsonl(data, label: answer, answers: answer_format)

step solved = llm(questions, prompt: "solve", into: path)
step answered = extract(solved, from: path, answer: answer_format, into: predicted)
step correct = keep(
    answered,
    where: answer_matches(predicted, answer, answer_format) and tokens(path) <= max_path_tokens,
)

sink train = jsonl(correct, path: "train.jsonl", format: chat, user: "{{ question }}", assistant: path)
"#;

const COT_PROMPT: &str = "Solve the problem below. Reason step by step, numbering the steps, and \
write the final answer as \\boxed{answer}.\n\nProblem: {{ question }}\n";

pub fn run(a: NewArgs) -> i32 {
    match create(&a) {
        Ok(dir) => {
            let wf = dir.join(format!("{}.regen", a.name));
            println!("created {}", dir.display());
            println!("  lint:  regen lint {}", wf.display());
            println!("  plan:  regen plan {}", wf.display());
            println!(
                "  run:   OPENAI_BASE_URL=http://127.0.0.1:8080/v1 regen run {}",
                wf.display()
            );
            0
        }
        Err(e) => {
            eprintln!("error: {e}");
            2
        }
    }
}

fn create(a: &NewArgs) -> Result<PathBuf, String> {
    let valid = a
        .name
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && a.name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    if !valid {
        return Err(format!(
            "`{}` cannot name a workflow: use letters, digits, `_` and `-`, starting with a letter",
            a.name
        ));
    }
    let dir = a.dir.join(&a.name);
    if dir.exists() && std::fs::read_dir(&dir).map_or(true, |mut d| d.next().is_some()) {
        return Err(format!(
            "{} already exists and is not empty; choose another name or --dir",
            dir.display()
        ));
    }
    let stdlib = crate::check::find_stdlib(&a.dir.join("x.regen"));
    let text = match a.from {
        Starter::Cot => COT.replace("workflow NAME", &format!("workflow {}", a.name)),
        Starter::PythonCheck => python_check(&a.name),
        Starter::Regenesis => shipped(&stdlib, "regenesis.regen", &a.name)?,
        Starter::Star => shipped(&stdlib, "baselines/star.regen", &a.name)?,
    };
    let write = |rel: &str, body: &str| -> Result<(), String> {
        let p = dir.join(rel);
        if let Some(parent) = p.parent() {
            std::fs::create_dir_all(parent)
                .map_err(|e| format!("cannot create {}: {e}", parent.display()))?;
        }
        std::fs::write(&p, body).map_err(|e| format!("cannot write {}: {e}", p.display()))
    };
    write(&format!("{}.regen", a.name), &text)?;
    if matches!(a.from, Starter::Cot | Starter::PythonCheck) {
        write("prompts/solve.j2", COT_PROMPT)?;
    }
    if a.from == Starter::PythonCheck {
        // The project's own copy of the check: edit it, and only its step is asked again.
        let src = stdlib.join("python/math_equal.py");
        let body = std::fs::read_to_string(&src)
            .map_err(|e| format!("cannot read {}: {e}", src.display()))?;
        write("checks/math_equal.py", &body)?;
    }
    // Editable copies of the stdlib prompts the workflow names; the project's prompts/ is read first.
    for name in prompt_names(&text) {
        let src = stdlib.join("prompts").join(format!("{name}.j2"));
        if src.is_file() {
            let body = std::fs::read_to_string(&src)
                .map_err(|e| format!("cannot read {}: {e}", src.display()))?;
            write(&format!("prompts/{name}.j2"), &body)?;
        }
    }
    let rows = std::fs::read_to_string(stdlib.join("data/arith-100.jsonl"))
        .map_err(|e| format!("cannot read the stdlib's data: {e}"))?;
    let tiny: Vec<&str> = rows.lines().take(5).collect();
    write("data/tiny.jsonl", &(tiny.join("\n") + "\n"))?;
    Ok(dir)
}

/// The chain-of-thought starter with its answers checked by `checks/math_equal.py`.
fn python_check(name: &str) -> String {
    let cot = COT.replace("workflow NAME", &format!("workflow {name}"));
    let head = "# Chain of thought: one reasoning path per question, kept when its final
# answer matches the label. Edit prompts/solve.j2 to change what is asked.";
    let intro = "# Chain of thought, kept when your own Python check says the answer equals
# the label: checks/math_equal.py runs in four worker processes of `python`
# (sympy makes \\frac{1}{2} equal 0.5 when installed; without it the check
# compares numbers and says so). Calls are cached: edit the file and only the
# check runs again. See docs/step-protocol.md for checks in other languages.";
    let keep_old = "step correct = keep(
    answered,
    where: answer_matches(predicted, answer, answer_format) and tokens(path) <= max_path_tokens,
)";
    let keep_new = "step checked = python(
    answered,
    function: \"checks/math_equal.py:equal\",
    fields: [predicted, answer],
    into: {same: bool, how: string},
    workers: 4,
    timeout_s: 10,
)
step correct = keep(checked, where: same and tokens(path) <= max_path_tokens)";
    cot.replace(head, intro)
        .replace(
            &format!("workflow {name}\n"),
            &format!("workflow {name}\n# The interpreter of `python` steps: a venv's (\".venv/bin/python\") has your packages.\npython = env(\"REGEN_PYTHON\", \"python3\")\n"),
        )
        .replace(keep_old, keep_new)
}

/// A shipped workflow, renamed and reading the project's own dataset.
fn shipped(stdlib: &Path, rel: &str, name: &str) -> Result<String, String> {
    let path = stdlib
        .parent()
        .map(|p| p.join("workflows").join(rel))
        .filter(|p| p.is_file());
    let path = path.ok_or_else(|| {
        format!(
            "the shipped workflow {rel} is not beside the stdlib at {}",
            stdlib.display()
        )
    })?;
    let text = std::fs::read_to_string(&path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let mut out = String::new();
    for line in text.lines() {
        if line.starts_with("workflow ") {
            out.push_str(&format!("workflow {name}"));
        } else if line.starts_with("param data: path = ") {
            out.push_str("param data: path = \"data/tiny.jsonl\"");
        } else {
            out.push_str(line);
        }
        out.push('\n');
    }
    Ok(out)
}

/// Quoted names that look like stdlib prompt names (`"regenesis/adapt"`).
fn prompt_names(text: &str) -> Vec<String> {
    let mut names: Vec<String> = text
        .split('"')
        .skip(1)
        .step_by(2)
        .filter(|s| s.contains('/') && !s.contains(['{', ' ', '.']) && !s.starts_with('/'))
        .map(str::to_string)
        .collect();
    names.sort();
    names.dedup();
    names
}
