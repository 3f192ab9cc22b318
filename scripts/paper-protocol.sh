#!/usr/bin/env bash
# The paper's protocol as one driver: synthesize ReGenesis data on one in-domain
# training set, fine-tune the base model on it, then evaluate the base and the
# fine-tuned model on the in-domain set and on out-of-domain sets, printing one
# table. Fine-tuning goes through `regen finetune` (an OpenAI-compatible
# fine-tuning API); the paper's own runs were full fine-tuning for 3 epochs at
# learning rate 1e-6 on the authors' GPUs, which happens outside regen.
#
#   scripts/paper-protocol.sh BASE_MODEL TRAIN.jsonl:FORMAT [EVAL.jsonl:FORMAT ...] [-- regen run flags]
#   e.g. scripts/paper-protocol.sh my-model data/gsm8k.jsonl:number data/strategyqa.jsonl:bool data/svamp.jsonl:number -- --limit 200
#
# FORMAT is number | choice | bool | text. `regen data import` writes these files.
# Env: REGEN (the binary, default `regen`), EPOCHS (default 3), OUT (default runs/protocol).
set -euo pipefail
usage="usage: paper-protocol.sh BASE_MODEL TRAIN.jsonl:FORMAT [EVAL.jsonl:FORMAT ...] [-- regen run flags]"
base=${1:?$usage}
train=${2:?$usage}
shift 2
evals=()
while [ $# -gt 0 ] && [ "$1" != "--" ]; do
  evals+=("$1")
  shift
done
[ "${1:-}" = "--" ] && shift
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

echo >&2 "== 2/3 fine-tune $base on $out/synthesis/train.jsonl ($epochs epochs)"
tuned=$("$regen" finetune "$out/synthesis/train.jsonl" --model "$base" --suffix regenesis --epochs "$epochs" --wait 86400 \
  | tee /dev/stderr | sed -n 's/^fine-tuned model: //p')
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
    REGEN_MODEL=$model "$regen" eval "$file" --answers "$format" --out "$dir" --store "$out/store.sqlite" >&2
    accs+=("$(python3 -c "import json,sys; r=json.load(open(sys.argv[1]))[0]; print('%.1f%% (%d/%d)' % (100*r['accuracy'], r['correct'], r['questions']))" "$dir/eval.json")")
  done
  kind=$([ "$spec" = "$train" ] && echo in-domain || echo out-of-domain)
  rows+=("$(printf '%-24s %-14s %-22s %-22s' "$name" "$kind" "${accs[0]}" "${accs[1]}")")
done
printf '%-24s %-14s %-22s %-22s\n' dataset split "base ($base)" "ReGenesis-tuned"
printf '%s\n' "${rows[@]}"
