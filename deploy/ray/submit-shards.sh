#!/usr/bin/env bash
# regen shards as Ray jobs: one `ray job submit` per shard, then a merge.
#
#   deploy/ray/submit-shards.sh 3 workflows/regenesis.regen runs/regenesis [regen run args…]
#
# RAY_ADDRESS says where the Ray head is (default http://127.0.0.1:8265). Each job
# runs `regen run … --shard K/N` in the current folder, which must be visible to
# the Ray workers at the same path (a shared file system, or a one-node cluster).
set -euo pipefail
n=${1:?usage: submit-shards.sh N WORKFLOW RUN_DIR [regen run args…]}
workflow=${2:?usage: submit-shards.sh N WORKFLOW RUN_DIR [regen run args…]}
run_dir=${3:?usage: submit-shards.sh N WORKFLOW RUN_DIR [regen run args…]}
shift 3
regen=${REGEN:-$(command -v regen)}
export RAY_ADDRESS=${RAY_ADDRESS:-http://127.0.0.1:8265}
ids=()
for ((k = 0; k < n; k++)); do
  cmd=$(printf '%q ' cd "$PWD")"&& "$(printf '%q ' "$regen" run "$workflow" --run-dir "$run_dir" --shard "$k/$n" --progress lines "$@")
  ids+=("$(ray job submit --no-wait --entrypoint-num-cpus 1 -- bash -c "$cmd" 2>&1 |
    sed -n "s/.*Job '\([^']*\)' submitted successfully.*/\1/p")")
done
for id in "${ids[@]}"; do
  until ray job status "$id" 2>/dev/null | grep -Eq "SUCCEEDED|FAILED|STOPPED"; do sleep 2; done
  ray job status "$id" | grep -q SUCCEEDED || { echo "ray job $id did not succeed: ray job logs $id" >&2; exit 1; }
done
"$regen" merge "$run_dir" --store "$run_dir/store.sqlite"
