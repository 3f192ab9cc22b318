#!/usr/bin/env bash
# Where regen's CPU goes on P1's workload (one llm step, 20 ms latency, C = 256):
# perf samples of the release code with symbols (`--profile profiling`), then
#   - CPU by thread (the tokio workers, the store's writer thread),
#   - the inclusive share of the frames that are regen's own work,
#   - a flamegraph SVG when `inferno-flamegraph` is on PATH (cargo install inferno).
# The bare client is sampled the same way in the same run, as the baseline.
#
#   bench/profile.sh [CALLS]          (default 20000; needs linux-perf)
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-20000}
command -v perf >/dev/null || { echo "perf is not installed (Debian: apt-get install linux-perf)" >&2; exit 1; }
cargo build --profile profiling --locked --bin regen --bin regen-test-server --example bare-client
bin=target/profiling
work=$(mktemp -d)
trap 'kill $server 2>/dev/null || true; rm -rf "$work"' EXIT
"$bin/regen" data arith --count "$n" --seed 11 --out "$work/data.jsonl" >/dev/null
"$bin/regen-test-server" --latency-ms 20 >"$work/server.txt" &
server=$!
for _ in $(seq 50); do [ -s "$work/server.txt" ] && break; sleep 0.1; done
url=$(head -1 "$work/server.txt" | sed 's/listening on //')

OPENAI_BASE_URL=$url perf record -q -e cpu-clock -F 999 --call-graph dwarf,32768 -o "$work/regen.data" \
  "$bin/regen" run bench/one-step.regen --set data="$work/data.jsonl" --set conc=256 \
  --run-dir "$work/out" --store "$work/s.sqlite" --progress none >/dev/null 2>&1
perf record -q -e cpu-clock -F 999 -o "$work/bare.data" "$bin/examples/bare-client" "$url" "$work/data.jsonl" 256

samples() { perf report -i "$1" --stdio -n --no-children --sort comm 2>/dev/null | awk '/^ +[0-9]/ {s += $2} END {print s}'; }
echo "samples (1 ms of CPU each at 999 Hz): regen $(samples "$work/regen.data"), bare client $(samples "$work/bare.data")"
echo
echo "regen, CPU by thread:"
perf report -i "$work/regen.data" --stdio --no-children --sort comm 2>/dev/null | grep -E '^ +[0-9]' | head -5
echo
echo "regen, inclusive share of its own frames (and the client stack under them):"
perf report -i "$work/regen.data" --stdio --children --sort sym 2>/dev/null | grep -E '^ +[0-9]' \
  | grep -E 'regen::run::(store::writer_loop|store::Store::get|llm::keys|llm::outcome|context::Ctx::render|record::child|sink::Sink::write|source::|exec::run_step|client::.*keep|wire::.*send)|async_openai::chat::Chat<C>::create|regen::record::child' \
  | grep -v inlined | head -25
if command -v inferno-flamegraph >/dev/null; then
  perf script -i "$work/regen.data" 2>/dev/null | inferno-collapse-perf | inferno-flamegraph >bench/profile-regen.svg
  echo; echo "flamegraph: bench/profile-regen.svg"
fi
