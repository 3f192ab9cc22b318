"""The same one-step workload through distilabel (its nearest equivalent: a
LoadDataFromDicts → TextGeneration pipeline with OpenAILLM, batches of C)."""
import json, os, sys, tempfile

os.environ.setdefault("DISTILABEL_LOG_LEVEL", "WARNING")
from distilabel.models import OpenAILLM
from distilabel.pipeline import Pipeline
from distilabel.steps import LoadDataFromDicts
from distilabel.steps.tasks import TextGeneration


def main(url, data, conc):
    rows = [json.loads(l) for l in open(data) if l.strip()]
    dicts = [{"instruction": f"{r['id']}: {r['question']}"} for r in rows]
    with Pipeline(name="regen-bench", cache_dir=tempfile.mkdtemp()) as pipeline:
        load = LoadDataFromDicts(data=dicts, batch_size=conc)
        gen = TextGeneration(
            llm=OpenAILLM(model="bench", base_url=url, api_key="bench", max_retries=6,
                          generation_kwargs={"max_new_tokens": 16, "temperature": 0.0}),
            input_batch_size=conc)
        load >> gen
    distiset = pipeline.run(use_cache=False)
    n = len(distiset["default"]["train"])
    if n != len(rows):
        sys.exit(f"distilabel returned {n} of {len(rows)} rows")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]))
