#!/usr/bin/env bash
# STaR's outer loop (Zelikman et al., 2022): generate rationales with the current
# model, fine-tune the base model on them, use the fine-tuned model for the next
# iteration, restarting from the base model. Each iteration is `regen run
# workflows/baselines/star.regen` (cached and resumable) followed by a fine-tune
# with 20% more training steps than the last, as STaR does (40 steps first).
# Through an API (`regen finetune`) the steps are set as epochs at a fixed batch
# size: epochs = ceil(steps × batch / examples). With FINETUNE=local the steps
# go to scripts/finetune_local.py exactly (--max-steps), on your GPUs.
#
#   scripts/star-loop.sh BASE_MODEL ITERATIONS [regen run flags...]
#   e.g. OPENAI_BASE_URL=... scripts/star-loop.sh gpt-4o-mini-2024-07-18 3 --limit 200
#
# Env: REGEN, STAR_FIRST_STEPS (default 40), STAR_BATCH (default 8), FINETUNE (api | local),
# FT_PYTHON (python for the local fine-tune).
set -euo pipefail
base=${1:?usage: star-loop.sh BASE_MODEL ITERATIONS [regen run flags...]}
iterations=${2:?usage: star-loop.sh BASE_MODEL ITERATIONS [regen run flags...]}
shift 2
regen=${REGEN:-regen}
root=$(cd "$(dirname "$0")/.." && pwd)
model=$base
first_steps=${STAR_FIRST_STEPS:-40}
batch=${STAR_BATCH:-8}
finetune=${FINETUNE:-api}
for i in $(seq 1 "$iterations"); do
  out="runs/star/iteration-$i"
  echo "== STaR iteration $i with model $model"
  REGEN_MODEL=$model "$regen" run "$root/workflows/baselines/star.regen" --set "iteration=$i" --run-dir "$out" "$@"
  # STaR restarts from the base model each iteration, on the newest rationales,
  # with the training steps grown by 20% per iteration.
  steps=$(awk -v s="$first_steps" -v i="$i" 'BEGIN { printf "%d", s * 1.2 ^ (i - 1) + 0.5 }')
  examples=$(grep -c . "$out/train.jsonl" || true)
  if [ "${examples:-0}" -eq 0 ]; then
    echo "star-loop: iteration $i kept no rationale; nothing to fine-tune on" >&2
    exit 1
  fi
  if [ "$finetune" = local ]; then
    echo "== STaR iteration $i: $steps training steps (local full fine-tune)"
    "${FT_PYTHON:-python3}" "$root/scripts/finetune_local.py" --model "$base" --train "$out/train.jsonl" --out "$out/tuned" \
      --max-steps "$steps" --batch-size "$batch" --per-device-batch "$batch"
    tuned="$out/tuned"
  else
    epochs=$(awk -v s="$steps" -v b="$batch" -v n="$examples" 'BEGIN { e = s * b / n; r = int(e); if (r < e) r++; if (r < 1) r = 1; print r }')
    echo "== STaR iteration $i: $steps training steps ≈ $epochs epochs of $examples examples at batch $batch"
    tuned=$("$regen" finetune "$out/train.jsonl" --model "$base" --suffix "star-$i" --epochs "$epochs" --batch-size "$batch" --wait 86400 | sed -n 's/^fine-tuned model: //p')
  fi
  if [ -z "$tuned" ]; then
    echo "star-loop: iteration $i produced no fine-tuned model" >&2
    exit 1
  fi
  model=$tuned
done
echo "final model: $model"
