#!/usr/bin/env bash
# STaR's outer loop (Zelikman et al., 2022): generate rationales with the current
# model, fine-tune the base model on them, use the fine-tuned model for the next
# iteration. Each iteration is `regen run workflows/baselines/star.regen` (cached
# and resumable) followed by `regen finetune`.
#
#   scripts/star-loop.sh BASE_MODEL ITERATIONS [regen run flags...]
#   e.g. OPENAI_BASE_URL=... scripts/star-loop.sh gpt-4o-mini-2024-07-18 3 --limit 200
set -euo pipefail
base=${1:?usage: star-loop.sh BASE_MODEL ITERATIONS [regen run flags...]}
iterations=${2:?usage: star-loop.sh BASE_MODEL ITERATIONS [regen run flags...]}
shift 2
regen=${REGEN:-regen}
root=$(cd "$(dirname "$0")/.." && pwd)
model=$base
for i in $(seq 1 "$iterations"); do
  out="runs/star/iteration-$i"
  echo "== STaR iteration $i with model $model"
  REGEN_MODEL=$model "$regen" run "$root/workflows/baselines/star.regen" --set "iteration=$i" --run-dir "$out" "$@"
  # STaR restarts from the base model each iteration, on the newest rationales.
  tuned=$("$regen" finetune "$out/train.jsonl" --model "$base" --suffix "star-$i" --wait 86400 | sed -n 's/^fine-tuned model: //p')
  if [ -z "$tuned" ]; then
    echo "star-loop: iteration $i produced no fine-tuned model" >&2
    exit 1
  fi
  model=$tuned
done
echo "final model: $model"
