#!/usr/bin/env bash
# A Parquet source streams: peak RSS of a run over N rows (default 1,000,000; no
# model calls: source → keep → sink) read from Parquet, against the same rows
# read from JSONL in the same run, and against N/10 rows to show the growth.
#
#   bench/parquet_rss.sh [ROWS]        (builds the release binary; pyarrow in a venv)
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-1000000}
cargo build --release --quiet --bin regen
bin=$PWD/target/release/regen
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
python3 -m venv "$work/venv" && "$work/venv/bin/pip" install -q pyarrow
"$work/venv/bin/python" - "$work" "$n" <<'PY'
import sys, json, pyarrow as pa, pyarrow.parquet as pq
work, n = sys.argv[1], int(sys.argv[2])
for rows, name in ((n, "big"), (n // 10, "small")):
    ids = [f"q{i:07d}" for i in range(rows)]
    qs = [f"Ana has {i % 97} apples and buys {i % 13} more. How many apples does Ana have now?" for i in range(rows)]
    ans = [str(i % 97 + i % 13) for i in range(rows)]
    pq.write_table(pa.table({"id": ids, "question": qs, "answer": ans}), f"{work}/{name}.parquet", row_group_size=100_000)
    with open(f"{work}/{name}.jsonl", "w") as f:
        for i in range(rows):
            f.write(json.dumps({"id": ids[i], "question": qs[i], "answer": ans[i]}) + "\n")
PY
run() {  # kind, file → peak RSS in MB
  cat >"$work/wf.regen" <<WF
workflow rss
source questions = $1("$2", label: answer)
step kept = keep(questions, where: answer != "x")
sink out = jsonl(kept, path: "out.jsonl", fields: [id])
WF
  /usr/bin/time -f %M "$bin" run "$work/wf.regen" --run-dir "$work/out" --store "$work/s.sqlite" --progress none 2>"$work/time.txt" >/dev/null
  echo $(( $(tail -1 "$work/time.txt") / 1024 ))
}
pb=$(run parquet "$work/big.parquet"); jb=$(run jsonl "$work/big.jsonl"); ps=$(run parquet "$work/small.parquet")
printf 'rows        parquet peak RSS   jsonl peak RSS\n%-10s  %6s MB          %6s MB\n%-10s  %6s MB\n' "$n" "$pb" "$jb" "$((n / 10))" "$ps"
printf 'parquet / jsonl at %s rows: %.2f;  parquet %s rows / %s rows: %.2f\n' "$n" "$(echo "$pb / $jb" | bc -l)" "$n" "$((n / 10))" "$(echo "$pb / $ps" | bc -l)"
