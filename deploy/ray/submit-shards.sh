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
case $n in '' | *[!0-9]* | 0) echo "submit-shards: the shard count '$n' is not a positive number" >&2; exit 2 ;; esac
ids=()
for ((k = 0; k < n; k++)); do
  cmd=$(printf '%q ' cd "$PWD")"&& "$(printf '%q ' "$regen" run "$workflow" --run-dir "$run_dir" --shard "$k/$n" --progress lines "$@")
  # A submission that fails prints no job id: stop here, with what ray said,
  # instead of waiting forever on the status of an empty id.
  out=$(ray job submit --no-wait --entrypoint-num-cpus 1 -- bash -c "$cmd" 2>&1) || true
  id=$(printf '%s\n' "$out" | sed -n "s/.*Job '\([^']*\)' submitted successfully.*/\1/p")
  if [ -z "$id" ]; then
    printf '%s\n' "$out" | tail -20 >&2
    echo "submit-shards: ray job submit failed for shard $k of $n (RAY_ADDRESS=$RAY_ADDRESS); shards submitted so far: ${ids[*]:-none}" >&2
    exit 1
  fi
  ids+=("$id")
done
for id in "${ids[@]}"; do
  # A status that cannot be read for 10 minutes (the head is gone) is a failure, not a wait forever.
  unreadable=0
  while :; do
    if status=$(ray job status "$id" 2>&1); then
      unreadable=0
      grep -Eq "SUCCEEDED|FAILED|STOPPED" <<<"$status" && break
    else
      unreadable=$((unreadable + 1))
      if [ "$unreadable" -ge 300 ]; then
        echo "submit-shards: cannot read the status of ray job $id for 10 minutes: $status" >&2
        exit 1
      fi
    fi
    sleep 2
  done
  grep -q SUCCEEDED <<<"$status" || { echo "ray job $id did not succeed: ray job logs $id" >&2; exit 1; }
done
"$regen" merge "$run_dir" --store "$run_dir/store.sqlite"
