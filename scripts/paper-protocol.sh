#!/usr/bin/env bash
# The paper's protocol as one driver: synthesize ReGenesis data on one in-domain
# training set, fine-tune the base model on it, then evaluate the base and the
# fine-tuned model on the in-domain set and on out-of-domain sets, printing one
# table. Fine-tuning is either
# - FINETUNE=api (default): `regen finetune`, an OpenAI-compatible fine-tuning API
#   (it takes a learning-rate multiplier and picks the batch itself), or
# - FINETUNE=local: the paper's full fine-tune on your GPUs, scripts/finetune_local.py
#   (TRL's SFTTrainer: 3 epochs, learning rate 1e-6, batch 64, cosine), then the
#   tuned model is served with `vllm serve` for the evaluation (or set
#   TUNED_BASE_URL to an endpoint already serving it).
#
#   scripts/paper-protocol.sh BASE_MODEL TRAIN.jsonl:FORMAT [EVAL.jsonl:FORMAT ...] [--eval-limit N] [-- regen run flags]
#   e.g. scripts/paper-protocol.sh my-model data/gsm8k.jsonl:number data/strategyqa.jsonl:bool data/svamp.jsonl:number -- --limit 200
#
# `--limit N` among the run flags limits the evaluation files too, unless
# `--eval-limit N` says otherwise (`--eval-limit 0`: whole files).
# FORMAT is number | choice | bool | text. `regen data import` writes these files.
# Env: REGEN (the binary, default `regen`), EPOCHS (default 3), OUT (default runs/protocol),
# FINETUNE (api | local), FT_PYTHON (python with torch/transformers/trl, default python3),
# TUNED_BASE_URL, VLLM_PORT (default 8011).
set -euo pipefail
usage="usage: paper-protocol.sh BASE_MODEL TRAIN.jsonl:FORMAT [EVAL.jsonl:FORMAT ...] [--eval-limit N] [-- regen run flags]"
base=${1:?$usage}
train=${2:?$usage}
shift 2
evals=()
eval_limit=
while [ $# -gt 0 ] && [ "$1" != "--" ]; do
  case $1 in
    --eval-limit) eval_limit=${2:?--eval-limit needs a number}; shift 2 ;;
    --eval-limit=*) eval_limit=${1#*=}; shift ;;
    *) evals+=("$1"); shift ;;
  esac
done
[ "${1:-}" = "--" ] && shift
# The run's --limit reaches the evaluation too, unless --eval-limit was given.
if [ -z "$eval_limit" ]; then
  prev=
  for arg in "$@"; do
    [ "$prev" = "--limit" ] && eval_limit=$arg
    case $arg in --limit=*) eval_limit=${arg#*=} ;; esac
    prev=$arg
  done
fi
case ${eval_limit:-0} in *[!0-9]*) echo "paper-protocol: --eval-limit '$eval_limit' is not a number" >&2; exit 2 ;; esac
eval_flags=()
[ -n "$eval_limit" ] && [ "$eval_limit" != 0 ] && eval_flags=(--limit "$eval_limit")
finetune=${FINETUNE:-api}
case $finetune in api | local) ;; *) echo "paper-protocol: FINETUNE must be api or local, not '$finetune'" >&2; exit 2 ;; esac
regen=${REGEN:-regen}
root=$(cd "$(dirname "$0")/.." && pwd)
out=${OUT:-runs/protocol}
epochs=${EPOCHS:-3}

split() { # FILE:FORMAT -> sets $file and $format
  file=${1%:*}
  format=${1##*:}
  if [ "$file" = "$1" ] || [ -z "$format" ]; then
    echo "paper-protocol: '$1' needs a format: FILE:number|choice|bool|text" >&2
    exit 2
  fi
}

split "$train"
train_file=$file
train_format=$format
echo >&2 "== 1/3 synthesize: ReGenesis on $train_file ($train_format) with $base"
REGEN_MODEL=$base "$regen" run "$root/workflows/regenesis.regen" --set "data=$train_file" --set "answer_format=$train_format" \
  --run-dir "$out/synthesis" "$@" >&2

echo >&2 "== 2/3 fine-tune $base on $out/synthesis/train.jsonl ($epochs epochs, $finetune)"
tuned_url=
if [ "$finetune" = local ]; then
  "${FT_PYTHON:-python3}" "$root/scripts/finetune_local.py" --model "$base" --train "$out/synthesis/train.jsonl" \
    --out "$out/tuned" --epochs "$epochs" >&2
  tuned="$out/tuned"
  if [ -n "${TUNED_BASE_URL:-}" ]; then
    tuned_url=$TUNED_BASE_URL
  elif command -v vllm >/dev/null; then
    port=${VLLM_PORT:-8011}
    vllm serve "$tuned" --port "$port" >"$out/vllm.log" 2>&1 &
    vllm_pid=$!
    trap 'kill $vllm_pid 2>/dev/null || true' EXIT
    tuned_url="http://127.0.0.1:$port/v1"
    for _ in $(seq 1 600); do
      curl -sf "$tuned_url/models" >/dev/null 2>&1 && break
      kill -0 "$vllm_pid" 2>/dev/null || { tail -20 "$out/vllm.log" >&2; echo "paper-protocol: vllm serve stopped" >&2; exit 1; }
      sleep 1
    done
  else
    echo "paper-protocol: the tuned model is in $tuned; serve it (vllm serve $tuned) and set TUNED_BASE_URL to evaluate it" >&2
    exit 1
  fi
else
  tuned=$("$regen" finetune "$out/synthesis/train.jsonl" --model "$base" --suffix regenesis --epochs "$epochs" --wait 86400 \
    | tee /dev/stderr | sed -n 's/^fine-tuned model: //p')
fi
if [ -z "$tuned" ]; then
  echo "paper-protocol: the fine-tuning job produced no model" >&2
  exit 1
fi

echo >&2 "== 3/3 evaluate $base and $tuned"
rows=()
for spec in "$train" "${evals[@]}"; do
  split "$spec"
  name=$(basename "$file" .jsonl)
  accs=()
  for model in "$base" "$tuned"; do
    dir="$out/eval/$(printf '%s' "$model" | tr -c 'A-Za-z0-9_.-' '_')/$name"
    endpoint=()
    [ "$model" = "$tuned" ] && [ -n "$tuned_url" ] && endpoint=(env "OPENAI_BASE_URL=$tuned_url")
    "${endpoint[@]}" env REGEN_MODEL="$model" "$regen" eval "$file" --answers "$format" --out "$dir" --store "$out/store.sqlite" \
      "${eval_flags[@]}" >&2
    accs+=("$(python3 -c "import json,sys; r=json.load(open(sys.argv[1]))[0]; a=r['accuracy']; print(('%.1f%%' % (100*a) if a is not None else 'n/a') + ' (%d/%d)' % (r['correct'], r['questions']))" "$dir/eval.json")")
  done
  kind=$([ "$spec" = "$train" ] && echo in-domain || echo out-of-domain)
  rows+=("$(printf '%-24s %-14s %-22s %-22s' "$name" "$kind" "${accs[0]}" "${accs[1]}")")
done
printf '%-24s %-14s %-22s %-22s\n' dataset split "base ($base)" "ReGenesis-tuned"
printf '%s\n' "${rows[@]}"
