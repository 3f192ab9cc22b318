#!/usr/bin/env bash
# Smoke test of scripts/finetune_local.py (the paper's full fine-tune with TRL):
# builds a tiny causal LM and tokenizer from scratch (no download of weights),
# fine-tunes it for 2 steps on the golden ReGenesis training lines and checks
# that the saved model loads and the run reported 2 steps. Runs on CPU.
#
#   scripts/finetune-smoke.sh            (venv: $FT_VENV, default /tmp/regen-finetune-venv)
#
# The first run installs torch (with its CUDA libraries, ~3.5 GB, from PyPI),
# transformers, trl, datasets and accelerate; later runs reuse the venv.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
venv=${FT_VENV:-/tmp/regen-finetune-venv}
python=${REGEN_PYTHON:-python3}
# Exit 3: the packages could not be installed (no registry, no disk); the check did not run.
if ! "$venv/bin/python" -c "import torch, transformers, trl, datasets, tokenizers" 2>/dev/null; then
  "$python" -m venv "$venv" || exit 3
  "$venv/bin/pip" install -q torch transformers trl datasets accelerate tokenizers || exit 3
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$venv/bin/python" - "$work" "$root/tests/golden/regenesis-train.jsonl" <<'PY'
import json, sys
from pathlib import Path
from tokenizers import Tokenizer, models, pre_tokenizers, trainers
from transformers import GPT2Config, GPT2LMHeadModel, PreTrainedTokenizerFast

work, train = Path(sys.argv[1]), Path(sys.argv[2])
texts = [m["content"] for line in train.read_text().splitlines() for m in json.loads(line)["messages"]]
tok = Tokenizer(models.WordLevel(unk_token="<unk>"))
tok.pre_tokenizer = pre_tokenizers.Whitespace()
tok.train_from_iterator(texts + ["user assistant system : \n"], trainers.WordLevelTrainer(special_tokens=["<unk>", "<pad>", "<eos>"]))
fast = PreTrainedTokenizerFast(tokenizer_object=tok, unk_token="<unk>", pad_token="<pad>", eos_token="<eos>")
fast.chat_template = "{% for m in messages %}{{ m['role'] }}: {{ m['content'] }}\n{% endfor %}{% if add_generation_prompt %}assistant: {% endif %}"
model = GPT2LMHeadModel(GPT2Config(vocab_size=len(fast), n_positions=512, n_embd=32, n_layer=1, n_head=2,
                                   bos_token_id=fast.eos_token_id, eos_token_id=fast.eos_token_id))
(work / "tiny").mkdir()
model.save_pretrained(work / "tiny")
fast.save_pretrained(work / "tiny")
PY
"$venv/bin/python" "$root/scripts/finetune_local.py" --model "$work/tiny" --train "$root/tests/golden/regenesis-train.jsonl" \
  --out "$work/tuned" --max-steps 2 --batch-size 2 --per-device-batch 1 --max-length 256 | tee "$work/log.txt"
"$venv/bin/python" - "$work/tuned" <<'PY'
import json, sys
from transformers import AutoModelForCausalLM
out = sys.argv[1]
summary = json.load(open(f"{out}/regen-finetune.json"))
assert summary["steps"] == 2, summary
assert summary["learning_rate"] == 1e-6 and summary["scheduler"] == "cosine", summary
AutoModelForCausalLM.from_pretrained(out)
print(f"finetune-smoke: 2 steps of full fine-tuning ran and the saved model loads ({summary})")
PY
