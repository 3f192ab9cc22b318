"""Bespoke Curator on P1's workload: one call per row, online mode, the OpenAI
backend pointed at the benchmark's server (its OpenAI-compatible base_url), the
nearest settings to bench/one-step.regen (max_tokens 64, temperature 0, at most
C requests at once, rate limits far above what the server can serve).
Curator's own response cache is pointed at a fresh folder, so every row is a
real request.

  python bench/peer_curator.py URL DATA.jsonl C OUT.jsonl
"""
import json, os, sys, tempfile

url, data, conc, out = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
os.environ.setdefault("CURATOR_CACHE_DIR", tempfile.mkdtemp(prefix="curator-cache-"))
os.environ.setdefault("CURATOR_DISABLE_RICH_DISPLAY", "1")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
os.environ.setdefault("TELEMETRY_ENABLED", "false")  # Curator reports usage to posthog by default
os.environ.setdefault("OPENAI_API_KEY", "bench")
# Curator counts tokens with tiktoken, which downloads its encoding on first use;
# with no internet, point it at the copy litellm (a Curator dependency) ships.
import importlib.util  # noqa: E402
_litellm = importlib.util.find_spec("litellm")
if _litellm and _litellm.submodule_search_locations:
    os.environ.setdefault("TIKTOKEN_CACHE_DIR", os.path.join(_litellm.submodule_search_locations[0], "litellm_core_utils", "tokenizers"))

from bespokelabs import curator  # noqa: E402


class Ask(curator.LLM):
    def prompt(self, row):
        return f"{row['id']}: {row['question']}"

    def parse(self, row, response):
        return {"id": row["id"], "path": response}


rows = [json.loads(l) for l in open(data) if l.strip()]
llm = Ask(
    model_name="bench",
    backend="openai",
    generation_params={"max_tokens": 64, "temperature": 0},
    backend_params={
        "base_url": url,
        "api_key": "bench",
        "max_retries": 6,
        "request_timeout": 120,
        "max_concurrent_requests": conc,
        "max_requests_per_minute": 10_000_000,
        "max_tokens_per_minute": 10_000_000_000,
    },
)
result = llm(rows)
dataset = getattr(result, "dataset", result)
with open(out, "w") as f:
    n = 0
    for r in dataset:
        f.write(json.dumps({"id": r["id"], "path": r["path"]}) + "\n")
        n += 1
if n != len(rows):
    sys.exit(f"curator returned {n} rows for {len(rows)} requests")
