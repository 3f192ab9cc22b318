#!/usr/bin/env bash
# Replicas that differ in speed: ReGenesis over three test servers (median
# latency 5, 20 and 80 ms, heavy-tailed), once with least_outstanding routing and
# once with round_robin, in the same run; prints both wall times and the ratio.
#
#   bench/replicas.sh [QUESTIONS]      (default 12; builds the release binaries)
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-12}
cargo build --release --quiet --bins
bin=$PWD/target/release
work=$(mktemp -d)
pids=()
trap 'kill "${pids[@]}" 2>/dev/null || true; rm -rf "$work"' EXIT
urls=()
for ms in 5 20 80; do
  "$bin/regen-test-server" --answers stdlib/data/arith-100.jsonl --latency-ms "$ms" --heavy-tail >"$work/s$ms.out" 2>&1 &
  pids+=($!)
  for _ in $(seq 50); do grep -q listening "$work/s$ms.out" && break; sleep 0.1; done
  urls+=("$(sed -n 's/^listening on //p' "$work/s$ms.out")")
done
export OPENAI_BASE_URL=$(IFS=,; echo "${urls[*]}") OPENAI_API_KEY=sk-bench
declare -A wall
for routing in round_robin least_outstanding; do
  sed "s/^model gen {/model gen {\n  routing = \"$routing\"\n  concurrency = 8/" workflows/regenesis.regen >"$work/$routing.regen"
  cp -r stdlib "$work/" 2>/dev/null || true
  start=$(date +%s.%N)
  "$bin/regen" run "$work/$routing.regen" --limit "$n" --set selections=3 --run-dir "$work/out-$routing" \
    --store "$work/$routing.sqlite" --progress none >"$work/$routing.txt"
  wall[$routing]=$(echo "$(date +%s.%N) - $start" | bc)
  grep "endpoint " "$work/$routing.txt" | sed "s/^/  $routing /"
done
printf 'round_robin        %6.2f s\nleast_outstanding  %6.2f s\nratio (round_robin / least_outstanding) %.2f\n' \
  "${wall[round_robin]}" "${wall[least_outstanding]}" "$(echo "${wall[round_robin]} / ${wall[least_outstanding]}" | bc -l)"
