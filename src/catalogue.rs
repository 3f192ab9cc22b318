//! The diagnostic catalogue: every code regen reports, its severity, a one-line
//! summary, an example and the fix. `regen explain CODE` prints an entry; a test
//! fails when the checker can emit a code this list or the golden files lack.

pub struct Entry {
    pub code: &'static str,
    /// `error` or `warning`.
    pub severity: &'static str,
    pub summary: &'static str,
    pub example: &'static str,
    pub fix: &'static str,
}

pub static CATALOGUE: &[Entry] = &[
    Entry { code: "syntax-error", severity: "error", summary: "The file does not follow the grammar.", example: "step a = llm(questions prompt: \"x\")", fix: "Add what the message says is expected (here the `,` between arguments); every broken line is reported in one run." },
    Entry { code: "invalid-utf8", severity: "error", summary: "The file is not UTF-8 text.", example: "(a file saved as Latin-1 or with binary bytes)", fix: "Save the file as UTF-8." },
    Entry { code: "nesting-too-deep", severity: "error", summary: "Brackets or expressions nest deeper than the parser allows.", example: "where: ((((((((… 200 levels …))))))))", fix: "Flatten the expression; split it over several `keep` steps if needed." },
    Entry { code: "empty-workflow", severity: "error", summary: "The file declares nothing.", example: "(an empty file, or only comments)", fix: "Start with `workflow NAME` and at least a source, a step and a sink; `regen new` scaffolds one." },
    Entry { code: "duplicate-name", severity: "error", summary: "Two declarations share a name.", example: "step a = …\nstep a = …", fix: "Rename one; names are how steps refer to each other." },
    Entry { code: "duplicate-argument", severity: "error", summary: "A call gives the same named argument twice.", example: "llm(q, prompt: \"a\", prompt: \"b\")", fix: "Keep one of them." },
    Entry { code: "duplicate-extends", severity: "error", summary: "A variant names more than one base.", example: "extends \"a.regen\"\nextends \"b.regen\"", fix: "A variant extends one base; chain variants instead." },
    Entry { code: "extends-not-found", severity: "error", summary: "The base file of `extends` does not exist.", example: "extends \"../regensis.regen\"", fix: "Fix the path (relative to the variant's folder)." },
    Entry { code: "extends-cycle", severity: "error", summary: "Variants extend each other in a loop.", example: "a.regen extends b.regen, b.regen extends a.regen", fix: "Break the loop; one of them must be the base." },
    Entry { code: "outside-sandbox", severity: "error", summary: "A path leads outside the workflow's project tree.", example: "source q = jsonl(\"../../etc/passwd\")", fix: "Keep data, prompts and pools inside the project (or the stdlib), pass the path with `--set`, or run with `--allow-outside`." },
    Entry { code: "unknown-step", severity: "error", summary: "An input or reference names no step, source or pool.", example: "step b = llm(questionz, …)", fix: "Use a declared name; the help suggests the closest one." },
    Entry { code: "unknown-kind", severity: "error", summary: "A step, source, sink or pool uses a kind regen does not have.", example: "step a = lmm(q, …)", fix: "Use one of the kinds the help lists (`llm`, `judge`, `extract`, …)." },
    Entry { code: "unknown-argument", severity: "error", summary: "A kind has no argument of that name.", example: "llm(q, promt: \"…\")", fix: "Use one of the kind's arguments; the help suggests the closest." },
    Entry { code: "missing-argument", severity: "error", summary: "A required argument is missing.", example: "llm(q, into: path)", fix: "Add it (here `prompt:`)." },
    Entry { code: "missing-input", severity: "error", summary: "A step has fewer inputs than its kind needs.", example: "step a = keep(where: verdict)", fix: "Name the input records first: `keep(judged, where: verdict)`." },
    Entry { code: "too-many-inputs", severity: "error", summary: "A step has more inputs than its kind takes.", example: "cross(q, r, s, as: x)", fix: "Combine records with `+` into one input, or use another kind." },
    Entry { code: "invalid-input", severity: "error", summary: "An input is not a name (or names joined with `+`).", example: "llm(\"questions\", prompt: …)", fix: "Write the name bare: `llm(questions, …)`." },
    Entry { code: "sink-as-input", severity: "error", summary: "A step reads from a sink; sinks have no output.", example: "step b = keep(train, …)", fix: "Read the step that feeds the sink instead." },
    Entry { code: "pool-as-input", severity: "error", summary: "A pool is used where record inputs go.", example: "step a = llm(seeds, …)", fix: "Cross it with records (`cross(questions, seeds)`) or read it in a template (`{% for g in seeds %}`)." },
    Entry { code: "not-a-source", severity: "error", summary: "`per:` or `from:` names something that is not a source where one is needed.", example: "cap(x, n: 1, per: solved)", fix: "Name the source whose records are being grouped (`per: questions`)." },
    Entry { code: "wrong-group", severity: "error", summary: "`per:` names a source the step's records do not descend from.", example: "cap(a, n: 1, per: other)", fix: "Name the source the records come from." },
    Entry { code: "wrong-type", severity: "error", summary: "An argument or setting has the wrong type.", example: "llm(q, samples: \"many\")", fix: "Give a value of the type the help names." },
    Entry { code: "out-of-range", severity: "error", summary: "A number is outside the allowed range.", example: "temperature: 3", fix: "Use a value in the range the message gives." },
    Entry { code: "invalid-value", severity: "error", summary: "A word argument is not one of its allowed values.", example: "extract(s, from: path, answer: numbr)", fix: "Use one of the listed values." },
    Entry { code: "invalid-number", severity: "error", summary: "A number cannot be represented.", example: "where: len(question) > 1e999", fix: "Use a finite number." },
    Entry { code: "invalid-set", severity: "error", summary: "A `--set name=value` does not fit the param's type.", example: "regen run w.regen --set keep=many", fix: "Give a value of the param's type." },
    Entry { code: "param-type", severity: "error", summary: "A param's default does not match its declared type.", example: "param keep: int = \"five\"", fix: "Fix the default or the type." },
    Entry { code: "unknown-param", severity: "error", summary: "An expression names a param (or a field where only params are allowed) that does not exist.", example: "samples: count", fix: "Declare the param, or use a field only where records are evaluated (`where:`)." },
    Entry { code: "not-constant", severity: "error", summary: "A value that must be known before the run depends on a record. (A guard: the checker's other rules normally report such a value first.)", example: "samples: <an expression over fields>", fix: "Use a param or a literal." },
    Entry { code: "missing-env", severity: "error", summary: "`env(\"NAME\")` without a default names an unset variable.", example: "endpoint = env(\"MY_URL\")", fix: "Set the variable, or give a default: `env(\"MY_URL\", \"http://…\")`." },
    Entry { code: "unknown-function", severity: "error", summary: "An expression calls a function regen does not have.", example: "where: lenght(path) < 10", fix: "Use one of the listed functions (`len`, `tokens`, `answer_matches`, `has_boxed`, `numbered_steps`, …)." },
    Entry { code: "wrong-arity", severity: "error", summary: "A function gets the wrong number of arguments.", example: "len(question, answer)", fix: "Pass as many as the function takes." },
    Entry { code: "unknown-field", severity: "error", summary: "A template, filter or argument reads a field no upstream step provides.", example: "prompt: \"Is {{ pathh }} right?\"", fix: "Fix the name (the help lists the fields that reach the step and the closest), or add the step that provides it." },
    Entry { code: "unknown-type", severity: "error", summary: "A reply shape names no type or declared shape.", example: "reply: {ok: boolean}", fix: "Use bool, string, int, number, a list `[T]`, an object `{name: T}`, words `\"a\" | \"b\"`, or a `shape` declared above." },
    Entry { code: "invalid-shape", severity: "error", summary: "A reply shape that is not well formed: an empty object, a range no value fits, a list of two types, a shape named like a built-in type.", example: "reply: {score: int(5, 1)}", fix: "Follow the help: bounds low first, one item type in a list, fields named with letters, digits and `_`." },
    Entry { code: "misplaced-alternative", severity: "error", summary: "`|` outside a reply shape.", example: "keep(x, where: a | b)", fix: "Use `or` in a condition; `\"yes\" | \"no\"` belongs in `reply:` or a `shape`." },
    Entry { code: "shape-not-strict", severity: "error", summary: "A reply shape outside OpenAI's strict subset, for a model marked `strict = true`.", example: "reply: \"yes\" | \"no\"  (model strict = true)", fix: "Wrap the reply in an object (`{answer: \"yes\" | \"no\"}`), or set `strict = false`." },
    Entry { code: "missing-function-file", severity: "error", summary: "A `python` step names a file that does not exist.", example: "python(q, function: \"checks/mth.py:equal\", into: {same: bool})", fix: "Correct the path (relative to the workflow file, or `stdlib/python/…`) or create the file." },
    Entry { code: "missing-function", severity: "error", summary: "A `python` step's file defines no function of that name at its top level (read without importing it).", example: "function: \"checks/math.py:equals\"  (the file defines `equal`)", fix: "Use the name the help suggests, or define the function." },
    Entry { code: "python-syntax-error", severity: "error", summary: "A `python` step's file does not parse as Python.", example: "def equal(record) return {}", fix: "Fix the line the message names." },
    Entry { code: "python-not-found", severity: "error", summary: "No Python interpreter where the workflow's `python`, REGEN_PYTHON or the default `python3` says.", example: "python = \".venv/bin/python\"  (no venv yet)", fix: "Create the venv, or point `python` (or REGEN_PYTHON) at an interpreter." },
    Entry { code: "field-never-produced", severity: "error", summary: "`into` declares a field the function never returns (its return annotation or every `return {…}` says which fields it returns).", example: "into: {same: bool, note: string}  (the function returns only `same`)", fix: "Return the field, or remove it from `into`." },
    Entry { code: "command-not-found", severity: "error", summary: "A `command` step's program is not an executable file (next to the workflow for a relative path, else on the PATH).", example: "command(q, run: [\"./verify\"], into: {ok: bool})  (not built yet)", fix: "Build the program, correct the path, or `chmod +x` the script." },
    Entry { code: "cycle", severity: "error", summary: "Steps depend on each other in a loop.", example: "step a = llm(b, …)\nstep b = llm(a, …)", fix: "Break the loop; records flow one way." },
    Entry { code: "no-model", severity: "error", summary: "A step calls a model but the workflow declares none.", example: "step a = llm(q, …) with no `model`", fix: "Declare one: `model gen { endpoint = \"http://…/v1\" }`." },
    Entry { code: "ambiguous-model", severity: "error", summary: "Several models are declared and a step does not say which it calls.", example: "two `model` blocks, `llm(q, …)` without `model:`", fix: "Add `model: NAME` to the step." },
    Entry { code: "unknown-model", severity: "error", summary: "`model:` names no declared model.", example: "llm(q, model: gpt, …)", fix: "Use a declared model's name." },
    Entry { code: "expression-too-deep", severity: "error", summary: "An expression nests more than 512 levels (operators and brackets together).", example: "step k = keep(q, where: not not not … not true)   # 10,000 times", fix: "Split the expression into smaller steps or params; a chain this long is a generated file gone wrong." },
    Entry { code: "conflicting-settings", severity: "error", summary: "A model sets both `endpoint` and `endpoints`.", example: "model gen { endpoint = \"http://a/v1\"  endpoints = [\"http://b/v1\"] }", fix: "Keep `endpoints` for replicas (a list of one is fine) and remove `endpoint`." },
    Entry { code: "unknown-setting", severity: "error", summary: "A model block has a setting regen does not know.", example: "model gen { temprature = 0.7 }", fix: "Use a known setting; the help suggests the closest." },
    Entry { code: "unknown-prompt", severity: "error", summary: "No prompt template has that name.", example: "prompt: \"regenesis/jduge\"", fix: "Use a template under `prompts/` beside the workflow or in the stdlib (the help suggests the closest), or write it inline with {{ field }}." },
    Entry { code: "template-syntax", severity: "error", summary: "A prompt template does not parse.", example: "prompt: \"{{ question }\"", fix: "Fix the template at the line the help gives." },
    Entry { code: "template-call", severity: "error", summary: "A template calls a filter, test, function or method that templates do not have; it would fail on every record.", example: "{{ question.split(' ') }}", fix: "Use the filter the help names (`question | split(' ')`), or correct the name." },
    Entry { code: "template-reads-file", severity: "error", summary: "A template uses include/import/extends/from; templates cannot read files.", example: "{% include \"other.j2\" %}", fix: "Write the text into the template, or pass it as a field." },
    Entry { code: "unknown-pool", severity: "error", summary: "A guideline pool cannot be found or read.", example: "pool g = guidelines(\"seed52\")", fix: "Use a stdlib pool (`seed25`, `self_discover39`) or a .yaml path beside the workflow." },
    Entry { code: "invalid-pool", severity: "error", summary: "A guideline pool is empty or not `guidelines: [{id, title, text}]`.", example: "guidelines: []", fix: "Fix the YAML." },
    Entry { code: "unused-step", severity: "warning", summary: "A step, source or pool feeds nothing.", example: "step a = … (no step or sink reads it)", fix: "Feed it to a step or sink, or remove it." },
    Entry { code: "no-sink", severity: "warning", summary: "A step's records reach no sink.", example: "a chain of steps with no sink at its end", fix: "Add a sink, or remove the steps." },
    Entry { code: "label-leakage", severity: "warning", summary: "Training text was written by a prompt that saw the ground-truth label, without `hint: true`.", example: "step solved = llm(q, prompt: \"… {{ answer }}\", into: path)\nsink train = jsonl(solved, format: chat)", fix: "Mark a deliberate hint step with `hint: true`, or stop the prompt reading the label." },
    Entry { code: "filter-never-passes", severity: "warning", summary: "A filter compares an answer format with a label format that can never match.", example: "extract(…, answer: number) with `answers: choice` labels", fix: "Extract the same format the labels have." },
    Entry { code: "call-estimate", severity: "warning", summary: "The plan estimates more calls than the threshold.", example: "samples: 1000 on 100 questions, twice", fix: "Check `regen plan`; lower samples, or raise the threshold if it is meant." },
    Entry { code: "unseeded-random", severity: "warning", summary: "A random choice (cap, sampling) has no seed, so reruns differ.", example: "cap(x, n: 5, per: questions)", fix: "Add `seed: N`." },
    Entry { code: "missing-data", severity: "warning", summary: "A source's dataset file does not exist (yet).", example: "source q = jsonl(\"not-there.jsonl\")", fix: "Create it (`regen data import …`) or pass another with `--set data=…`." },
];

pub fn find(code: &str) -> Option<&'static Entry> {
    let code = code.strip_prefix("regen::").unwrap_or(code);
    CATALOGUE.iter().find(|e| e.code == code)
}

impl Entry {
    /// As `regen explain` prints it.
    pub fn text(&self) -> String {
        let example: String = self.example.lines().map(|l| format!("    {l}\n")).collect();
        format!(
            "regen::{} ({})\n\n{}\n\nFor example:\n{example}\nFix: {}\n",
            self.code, self.severity, self.summary, self.fix
        )
    }
}
