"""What a user writes instead of regen: asyncio + the official `openai` client,
a semaphore of C, one call per row, results to JSONL. Same workload as
bench/one-step.regen."""
import asyncio, json, sys
from openai import AsyncOpenAI
import httpx


async def main(url, data, conc, out):
    rows = [json.loads(l) for l in open(data) if l.strip()]
    limits = httpx.Limits(max_connections=conc, max_keepalive_connections=conc)
    client = AsyncOpenAI(base_url=url, api_key="bench", max_retries=6, http_client=httpx.AsyncClient(limits=limits, timeout=120))
    sem = asyncio.Semaphore(conc)

    async def one(r):
        async with sem:
            resp = await client.chat.completions.create(
                model="bench", messages=[{"role": "user", "content": f"{r['id']}: {r['question']}"}], max_tokens=16, temperature=0)
            return {"id": r["id"], "path": resp.choices[0].message.content}

    results = await asyncio.gather(*(one(r) for r in rows))
    with open(out, "w") as f:
        for r in results:
            f.write(json.dumps(r) + "\n")


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]))
