#!/usr/bin/env python3
"""Full fine-tuning at the paper's settings, on your own GPUs, with TRL's SFTTrainer.

The ReGenesis paper fully fine-tunes the base model on the synthesized set for
3 epochs at learning rate 1e-6 (batch 64, cosine schedule). `regen finetune`
drives an OpenAI-compatible fine-tuning API instead, which takes only a
learning-rate multiplier; this script is the paper's path:

    python scripts/finetune_local.py --model BASE --train runs/protocol/synthesis/train.jsonl --out runs/protocol/tuned

It reads regen's chat training file (one {"messages": [...]} per line), trains
every weight, and saves the model and tokenizer to --out, ready for
`vllm serve OUT`. `--max-steps` overrides the epochs (STaR grows its steps by
1.2x per outer iteration). Needs: torch, transformers, trl, datasets, accelerate.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path


def parse_args(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument(
        "--model", required=True, help="base model: a Hugging Face id or a local folder"
    )
    p.add_argument(
        "--train",
        required=True,
        type=Path,
        help="regen's chat training file (train.jsonl)",
    )
    p.add_argument(
        "--out", required=True, type=Path, help="folder for the fine-tuned model"
    )
    p.add_argument("--epochs", type=float, default=3.0, help="the paper: 3")
    p.add_argument("--learning-rate", type=float, default=1e-6, help="the paper: 1e-6")
    p.add_argument(
        "--batch-size",
        type=int,
        default=64,
        help="effective batch (per device x accumulation x devices)",
    )
    p.add_argument(
        "--per-device-batch",
        type=int,
        default=8,
        help="examples per device per forward pass",
    )
    p.add_argument(
        "--scheduler",
        default="cosine",
        help="learning-rate schedule (the paper's: cosine)",
    )
    p.add_argument(
        "--warmup-steps",
        type=int,
        default=0,
        help="steps of linear warm-up (the paper names none)",
    )
    p.add_argument(
        "--max-steps",
        type=int,
        default=-1,
        help="train this many optimizer steps instead of --epochs",
    )
    p.add_argument(
        "--max-length",
        type=int,
        default=2048,
        help="longest training example in tokens",
    )
    p.add_argument("--seed", type=int, default=42)
    return p.parse_args(argv)


def check_training_file(path: Path) -> int:
    """Every line a chat example with a user and an assistant turn; the count of lines."""
    if not path.is_file():
        sys.exit(f"finetune_local: no training file at {path}")
    n = 0
    with path.open(encoding="utf-8") as f:
        for i, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                roles = [m["role"] for m in json.loads(line)["messages"]]
            except (ValueError, KeyError, TypeError) as e:
                sys.exit(
                    f"finetune_local: {path}:{i}: not a chat example with `messages` ({e})"
                )
            if "user" not in roles or "assistant" not in roles:
                sys.exit(
                    f"finetune_local: {path}:{i}: needs a user and an assistant turn, has {roles}"
                )
            n += 1
    if n == 0:
        sys.exit(f"finetune_local: {path} holds no examples")
    return n


def main(argv: list[str]) -> int:
    a = parse_args(argv)
    examples = check_training_file(a.train)
    if a.batch_size % a.per_device_batch:
        sys.exit(
            "finetune_local: --batch-size must be a multiple of --per-device-batch"
        )

    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer
    from trl import SFTConfig, SFTTrainer

    from datasets import load_dataset

    devices = max(1, torch.cuda.device_count())
    accumulation = max(1, a.batch_size // (a.per_device_batch * devices))
    tokenizer = AutoTokenizer.from_pretrained(a.model)
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    model = AutoModelForCausalLM.from_pretrained(a.model)
    dataset = load_dataset("json", data_files=str(a.train), split="train")
    bf16 = torch.cuda.is_available() and torch.cuda.is_bf16_supported()
    config = SFTConfig(
        output_dir=str(a.out),
        num_train_epochs=a.epochs,
        max_steps=a.max_steps,
        learning_rate=a.learning_rate,
        lr_scheduler_type=a.scheduler,
        warmup_steps=a.warmup_steps,
        per_device_train_batch_size=a.per_device_batch,
        gradient_accumulation_steps=accumulation,
        max_length=a.max_length,
        bf16=bf16,
        logging_steps=1,
        save_strategy="no",
        report_to=[],
        seed=a.seed,
    )
    trainer = SFTTrainer(
        model=model, args=config, train_dataset=dataset, processing_class=tokenizer
    )
    result = trainer.train()
    trainer.save_model(str(a.out))
    tokenizer.save_pretrained(str(a.out))
    summary = {
        "model": a.model,
        "examples": examples,
        "steps": result.global_step,
        "train_loss": result.training_loss,
        "epochs": a.epochs,
        "learning_rate": a.learning_rate,
        "batch_size": a.per_device_batch * accumulation * devices,
        "scheduler": a.scheduler,
        "out": str(a.out),
    }
    (a.out / "regen-finetune.json").write_text(
        json.dumps(summary, indent=2) + "\n", encoding="utf-8"
    )
    print(f"fine-tuned model: {a.out}")
    print(json.dumps(summary))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
