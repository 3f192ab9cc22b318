"""Throughput of `python` steps against a plain Python loop, in one sitting.

    cargo build --release --bins && python3 bench/functions.py [--records 20000]

For a trivial function and a CPU-bound one, the same JSONL records go
(a) through a plain Python loop in one process that reads the file, calls the
function and writes the result as JSONL (what a user would write instead), and
(b) through `regen run` with a `python` step on 1, 2 and 4 workers (and 4
workers with `batch: 64`). Every figure is a ratio to (a) measured in the same
run; absolute rates move with the machine. The per-record overhead is
(regen on 1 worker - the loop) / records, in microseconds. Every regen run
starts from an empty store, so nothing comes from the cache.

Two rates are printed for each: end to end (start-up included: regen checks
the file with the interpreter and starts its workers, the loop starts one
interpreter), and after start-up, the marginal rate between a run of
`--small` records and one of `--records` ((N - n) / (T(N) - T(n))), which is
what a long run sees.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

FUNCTIONS = '''
def trivial(record):
    return {"size": len(record["question"])}

def trivial_batch(records):
    return [{"size": len(r["question"])} for r in records]

def cpu(record):
    # About 10 ms of pure Python: the GIL would serialise threads.
    total = 0
    for i in range(400_000):
        total += i * i % 7
    return {"size": total % 1000 + len(record["question"])}
'''

LOOP = '''
import json, sys, time
sys.path.insert(0, sys.argv[1])
import functions
fn = getattr(functions, sys.argv[2])
t0 = time.perf_counter()
with open(sys.argv[3]) as src, open(sys.argv[4], "w") as out:
    for line in src:
        record = json.loads(line)
        record.update(fn(record))
        out.write(json.dumps(record, ensure_ascii=False) + "\\n")
print(time.perf_counter() - t0)
'''


def regen_binary() -> Path:
    for profile in ("release", "debug"):
        p = ROOT / "target" / profile / "regen"
        if p.exists():
            return p
    sys.exit("build regen first: cargo build --release --bins")


def workflow(function: str, workers: int, batch: int | None) -> str:
    extra = f", batch: {batch}" if batch else ""
    return f"""workflow bench
source q = jsonl("q.jsonl", label: answer)
step f = python(q, function: "functions.py:{function}", into: {{size: int}}, workers: {workers}, timeout_s: 600{extra})
sink out = jsonl(f, path: "out.jsonl")
"""


def write_records(path: Path, n: int) -> None:
    with open(path, "w") as f:
        f.writelines(json.dumps({"id": f"r{i}", "question": f"question number {i}", "answer": str(i)}) + "\n" for i in range(n))


def use(work: Path, records: Path) -> None:
    shutil.copyfile(records, work / "q.jsonl")


def time_regen(regen: Path, work: Path, function: str, workers: int, batch: int | None) -> float:
    (work / "wf.regen").write_text(workflow(function, workers, batch))
    for stale in ("s.sqlite", "s.sqlite-wal", "s.sqlite-shm"):
        (work / stale).unlink(missing_ok=True)
    shutil.rmtree(work / "out", ignore_errors=True)
    t0 = time.perf_counter()
    r = subprocess.run(
        [str(regen), "run", "wf.regen", "--run-dir", "out", "--store", "s.sqlite", "--progress", "none"],
        cwd=work, capture_output=True, text=True, check=False,
    )
    took = time.perf_counter() - t0
    if r.returncode != 0:
        sys.exit(f"regen failed:\n{r.stdout}\n{r.stderr}")
    return took


def time_loop(work: Path, function: str) -> float:
    t0 = time.perf_counter()
    subprocess.run(
        [sys.executable, "-c", LOOP, str(work), function, str(work / "q.jsonl"), str(work / "loop.jsonl")],
        check=True, capture_output=True,
    )
    return time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--records", type=int, default=20_000)
    ap.add_argument("--cpu-records", type=int, default=400)
    ap.add_argument("--small", type=int, default=200, help="records of the start-up run")
    ap.add_argument("--repeat", type=int, default=3, help="rounds per figure (medians)")
    ap.add_argument("--json", type=Path, help="also write the figures here")
    args = ap.parse_args()
    regen = regen_binary()
    results = {"cores": os.cpu_count(), "regen": str(regen.relative_to(ROOT)), "rows": []}
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        (work / "functions.py").write_text(FUNCTIONS)
        for name, n, configs in (
            ("trivial", args.records, [(1, None), (2, None), (4, None), (4, 64)]),
            ("cpu", args.cpu_records, [(1, None), (2, None), (4, None)]),
        ):
            small = min(args.small, n // 10) if name == "cpu" else args.small
            write_records(work / "big.jsonl", n)
            write_records(work / "small.jsonl", small)
            print(f"{name}: {n} records (start-up run: {small}); medians of {args.repeat} rounds, each loop run beside its regen run")
            for workers, batch in configs:
                fn = "trivial_batch" if batch else name
                rounds = []
                for _ in range(args.repeat):
                    # The loop is timed next to each regen run: the machine's speed drifts.
                    use(work, work / "big.jsonl")
                    loop = time_loop(work, name)
                    took = time_regen(regen, work, fn, workers, batch)
                    use(work, work / "small.jsonl")
                    loop_small = time_loop(work, name)
                    took_small = time_regen(regen, work, fn, workers, batch)
                    rounds.append((loop, took, loop_small, took_small))
                loop, took, loop_small, took_small = (statistics.median(r[i] for r in rounds) for i in range(4))
                ratio = statistics.median(r[0] / r[1] for r in rounds)
                steady_ratio = statistics.median(
                    (r[0] - r[2]) / max(r[1] - r[3], 1e-9) for r in rounds
                )
                loop_steady = (n - small) / max(loop - loop_small, 1e-9)
                steady = (n - small) / max(took - took_small, 1e-9)
                row = {
                    "function": name, "records": n, "workers": workers, "batch": batch,
                    "loop_s": round(loop, 3), "regen_s": round(took, 3),
                    "rate_vs_loop": round(ratio, 3),
                    "startup_regen_s": round(took_small, 3), "startup_loop_s": round(loop_small, 3),
                    "steady_rate_vs_loop": round(steady_ratio, 3),
                }
                if workers == 1 and not batch and name == "trivial":
                    row["overhead_us_per_record"] = round((took - loop) / n * 1e6, 1)
                    row["steady_overhead_us_per_record"] = round((1 / steady - 1 / loop_steady) * 1e6, 1)
                results["rows"].append(row)
                label = f"{workers} worker(s)" + (f", batch {batch}" if batch else "")
                extra = (
                    f"; overhead {row['overhead_us_per_record']} us/record end to end, "
                    f"{row['steady_overhead_us_per_record']} after start-up"
                    if "overhead_us_per_record" in row else ""
                )
                print(
                    f"  regen, {label}: {n / took:,.0f} records/s = {ratio:.2f}x the loop "
                    f"({n / loop:,.0f}/s) end to end; {steady:,.0f}/s = {steady_ratio:.2f}x after start-up{extra}"
                )
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
