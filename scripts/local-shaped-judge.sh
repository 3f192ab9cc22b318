#!/usr/bin/env bash
# A shaped judge on the real embedded llama.cpp server (issue 30): ten questions,
# each judged with `reply: {same_answer: bool}` sent as a `response_format` JSON
# Schema; every reply must parse (no `reply-shape` failure, no re-ask) and every
# verdict must be a bool. Uses the server `.ci/run` already built (~/.cache/regen).
#   bash scripts/local-shaped-judge.sh [regen binary]
set -euo pipefail
cd "$(dirname "$0")/.."
regen=${1:-target/debug/regen}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
head -10 stdlib/data/arith-100.jsonl > "$work/q.jsonl"
cat > "$work/judge.regen" <<'WF'
workflow local-shaped-judge
model gen {
  local = true
  name = "SmolLM2-135M-Instruct-Q4_1"
  temperature = 0
  max_tokens = 40
  concurrency = 4
  local_context = 1024
}
shape Verdict {same_answer: bool}
source q = jsonl("q.jsonl")
step j = judge(q, prompt: "Question: {{ question }}\nProposed answer: {{ answer }}\nIs the proposed answer correct? Answer yes or no, as a JSON object with one field, `same_answer`.", reply: Verdict, into: verdict)
sink out = jsonl(j, path: "judged.jsonl", fields: [id, verdict])
WF
"$regen" run "$work/judge.regen" --run-dir "$work/out" --store "$work/store.sqlite" --progress none | tee "$work/summary.txt"
grep -q "; 0 records failed" "$work/summary.txt"
if grep -q "re-asked" "$work/summary.txt"; then
  echo "local shaped judge: some replies did not fit on the first ask" >&2
  exit 1
fi
python3 - "$work/out/judged.jsonl" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
assert len(rows) == 10, f"{len(rows)} judged rows, want 10"
bad = [r for r in rows if not isinstance(r.get("verdict", {}).get("same_answer"), bool)]
assert not bad, f"verdicts that are not bools: {bad}"
yes = sum(r["verdict"]["same_answer"] for r in rows)
print(f"local shaped judge: 10 of 10 replies parsed as {{same_answer: bool}} ({yes} yes)")
PY
