"""regen's benchmarks (issue #6). Every figure is printed beside a baseline
measured in the same run on the same machine. Called by bench/run.sh, which
builds the release binaries and the Python peer's venv first.

  P1 engine efficiency: one llm step, N calls, fixed latency, C in {64, 256, 1024};
     wall / ideal, client CPU per 1,000 calls, peak RSS; vs asyncio + openai (and
     distilabel when it is installed).
  P2 no barriers: a ReGenesis-shaped DAG with heavy-tailed latency, streaming vs
     `regen run --barrier` (stage by stage, as the paper's scripts run).
  P3 scale: a million calls at short latency: throughput and peak RSS.
  P4 warm cache: re-run of a finished 100,000-call run.
  P5 a real model's slots: ReGenesis on the embedded llama-server against a
     saturating client on the same server (bench/p5_local.py).
"""
import argparse, json, math, os, platform, resource, statistics, subprocess, sys, tempfile, time
from datetime import datetime, timezone

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
REGEN = os.path.join(ROOT, "target/release/regen")
BARE = os.path.join(ROOT, "target/release/examples/bare-client")
SERVER = os.path.join(ROOT, "target/release/regen-test-server")


def measured(cmd, env=None, cwd=None, limit_s=None):
    """Run a command; return (wall s, user+sys CPU s, peak RSS MB, stdout).
    A command still running after `limit_s` is killed and reported as failed."""
    t0 = time.monotonic()
    p = subprocess.Popen(cmd, env=env, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    timer = None
    if limit_s:
        import threading
        timer = threading.Timer(limit_s, p.kill)
        timer.start()
    _, status, ru = os.wait4(p.pid, 0)
    if timer:
        timer.cancel()
        if time.monotonic() - t0 >= limit_s:
            sys.exit(f"did not finish within {limit_s:.0f} s (killed): {' '.join(cmd[:2])}")
    wall = time.monotonic() - t0
    out, err = p.stdout.read(), p.stderr.read()
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"benchmark command failed: {' '.join(cmd)}\n{out[-2000:]}\n{err[-2000:]}")
    return wall, ru.ru_utime + ru.ru_stime, ru.ru_maxrss / 1024, out


class Server:
    def __init__(self, *args):
        self.p = subprocess.Popen([SERVER, *args], stdout=subprocess.PIPE, text=True)
        self.url = self.p.stdout.readline().strip().removeprefix("listening on ")

    def cpu_s(self):
        """The server's own user+system CPU so far (/proc/PID/stat), in seconds."""
        fields = open(f"/proc/{self.p.pid}/stat").read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def stop(self):
        self.p.kill()
        self.p.wait()


def served_latency(url, samples=200):
    """The latency the server really delivers to one client on a warm connection
    (its timer rounds sleeps up): the floor any client can reach, measured here."""
    import http.client, urllib.parse
    u = urllib.parse.urlparse(url)
    conn = http.client.HTTPConnection(u.hostname, u.port)
    body = json.dumps({"model": "bench", "messages": [{"role": "user", "content": "probe"}], "max_tokens": 64})
    times = []
    for i in range(samples):
        t0 = time.monotonic()
        conn.request("POST", u.path + "/chat/completions", body=body, headers={"content-type": "application/json"})
        conn.getresponse().read()
        times.append(time.monotonic() - t0)
    conn.close()
    times.sort()
    return times[len(times) // 2]


def data_file(dirname, n):
    path = os.path.join(dirname, f"data-{n}.jsonl")
    if not os.path.exists(path):
        subprocess.run([REGEN, "data", "arith", "--count", str(n), "--seed", "11", "--out", path], check=True)
    return path


def regen_one_step(work, url, data, conc, tag, store=None):
    store = store or os.path.join(work, f"store-{tag}.sqlite")
    env = dict(os.environ, OPENAI_BASE_URL=url)
    cmd = [REGEN, "run", os.path.join(ROOT, "bench/one-step.regen"), "--set", f"data={data}", "--set", f"conc={conc}",
           "--run-dir", os.path.join(work, f"out-{tag}"), "--store", store]
    return measured(cmd, env=env, cwd=work)


def p1(work, n, latency_ms, concs, python, distilabel, curator, repeats):
    rows = []
    data = data_file(work, n)
    for c in concs:
        ideal = math.ceil(n / c) * latency_ms / 1000
        # regen and the bare client take turns, each on a fresh server, `repeats` times: one
        # pair of runs moves the CPU ratio by about ±0.1 here, so the medians are reported.
        runs = {"regen": [], "bare": [], "bare_openai": []}
        served = None
        for i in range(repeats):
            server = Server("--latency-ms", str(latency_ms))
            served = served if served is not None else served_latency(server.url)
            before = server.cpu_s()
            wall, cpu, rss, _ = regen_one_step(work, server.url, data, c, f"p1-{c}-{i}")
            runs["regen"].append({"wall_s": wall, "cpu_s": cpu, "rss_mb": rss, "server_cpu_s": server.cpu_s() - before})
            server.stop()
            # The bare client: the same requests, same stack, nothing else; on a fresh server.
            server = Server("--latency-ms", str(latency_ms))
            bw, bc, br, _ = measured([BARE, server.url, data, str(c)])
            runs["bare"].append({"wall_s": bw, "cpu_s": bc, "rss_mb": br})
            server.stop()
            # The same again through async-openai's client, as regen sends them: what the library costs.
            server = Server("--latency-ms", str(latency_ms))
            ow, oc, orss, _ = measured([BARE, server.url, data, str(c), "async-openai"])
            runs["bare_openai"].append({"wall_s": ow, "cpu_s": oc, "rss_mb": orss})
            server.stop()
        med = lambda who, k: statistics.median(x[k] for x in runs[who])
        wall, cpu, rss, server_cpu = (med("regen", k) for k in ("wall_s", "cpu_s", "rss_mb", "server_cpu_s"))
        bw, bc, br = (med("bare", k) for k in ("wall_s", "cpu_s", "rss_mb"))
        oc = med("bare_openai", "cpu_s")
        floor = math.ceil(n / c) * served
        row = {"C": c, "ideal_s": ideal, "served_latency_ms": served * 1000, "floor_s": floor, "regen_wall_over_floor": wall / floor,
               "regen_wall_s": wall, "regen_wall_over_ideal": wall / ideal,
               "regen_cpu_ms_per_1k": cpu * 1e6 / n, "regen_rss_mb": rss,
               "server_cpu_ms_per_1k": server_cpu * 1e6 / n, "cpu_ratio_regen_over_server": cpu / max(server_cpu, 1e-9),
               "bare_wall_s": bw, "bare_cpu_ms_per_1k": bc * 1e6 / n, "bare_rss_mb": br,
               "cpu_ratio_regen_over_bare": cpu / max(bc, 1e-9), "wall_ratio_regen_over_bare": wall / bw,
               "bare_openai_cpu_ms_per_1k": oc * 1e6 / n, "cpu_ratio_regen_over_bare_openai": cpu / max(oc, 1e-9),
               "repeats": repeats, "runs": runs}
        server = Server("--latency-ms", str(latency_ms))
        pw, pc, pr, _ = measured([python, os.path.join(ROOT, "bench/peer_openai.py"), server.url, data, str(c),
                                  os.path.join(work, f"peer-{c}.jsonl")])
        server.stop()
        row.update({"python_wall_s": pw, "python_wall_over_ideal": pw / ideal, "python_cpu_ms_per_1k": pc * 1e6 / n,
                    "python_rss_mb": pr, "cpu_ratio_python_over_regen": pc / max(cpu, 1e-9)})
        if distilabel:
            server = Server("--latency-ms", str(latency_ms))
            try:
                dw, dc, dr, _ = measured([python, os.path.join(ROOT, "bench/peer_distilabel.py"), server.url, data, str(c)])
                row.update({"distilabel_wall_s": dw, "distilabel_cpu_ms_per_1k": dc * 1e6 / n, "distilabel_rss_mb": dr})
            except SystemExit as e:
                row["distilabel_error"] = str(e)[:300]
            server.stop()
        if curator and c == 256:
            # At C = 256 only (the targets' concurrency), and at most 5 minutes: here it has stalled.
            server = Server("--latency-ms", str(latency_ms))
            try:
                cw, cc, cr, _ = measured([curator, os.path.join(ROOT, "bench/peer_curator.py"), server.url, data, str(c),
                                          os.path.join(work, f"curator-{c}.jsonl")], limit_s=300)
                row.update({"curator_wall_s": cw, "curator_cpu_ms_per_1k": cc * 1e6 / n, "curator_rss_mb": cr})
            except SystemExit as e:
                row["curator_error"] = str(e)[:300]
            server.stop()
        rows.append(row)
        print(json.dumps(row), flush=True)
    return rows


def p2(work, questions, latency_ms, conc):
    data = data_file(work, max(questions, 100))
    env_sets = ["--set", f"data={data}", "--set", "selections=20", "--set", "singles=0", "--limit", str(questions)]
    out = {}
    for mode in ["streaming", "barrier"]:
        server = Server("--latency-ms", str(latency_ms), "--heavy-tail", "--correct", "1.0", "--answers", data)
        wf = os.path.join(work, "p2.regen")
        with open(wf, "w") as f:
            f.write(f'workflow p2\nextends "{ROOT}/workflows/regenesis.regen"\nmodel gen {{\n  concurrency = {conc}\n}}\n')
        cmd = [REGEN, "run", wf, *env_sets, "--run-dir", os.path.join(work, f"p2-{mode}"), "--store", os.path.join(work, f"p2-{mode}.sqlite")]
        if mode == "barrier":
            cmd.append("--barrier")
        wall, cpu, rss, text = measured(cmd, env=dict(os.environ, OPENAI_BASE_URL=server.url), cwd=work)
        server.stop()
        out[mode] = {"wall_s": wall, "cpu_s": cpu, "rss_mb": rss, "http": int(text.split(" HTTP requests")[0].split()[-1])}
        print(json.dumps({mode: out[mode]}), flush=True)
    out["streaming_over_barrier"] = out["streaming"]["wall_s"] / out["barrier"]["wall_s"]
    return out


def p3(work, sizes, conc):
    """Throughput and peak RSS for each N: memory must stay flat as N grows."""
    rows = []
    for n in sizes:
        data = data_file(work, n)
        server = Server()
        wall, cpu, rss, _ = regen_one_step(work, server.url, data, conc, f"p3-{n}")
        server.stop()
        # The store and the output of a 5M run take gigabytes: gone before the next size.
        for name in (f"store-p3-{n}.sqlite", f"store-p3-{n}.sqlite-wal", f"store-p3-{n}.sqlite-shm", data):
            path = os.path.join(work, name)
            if os.path.exists(path):
                os.remove(path)
        subprocess.run(["rm", "-rf", os.path.join(work, f"out-p3-{n}")], check=True)
        res = {"calls": n, "wall_s": wall, "calls_per_s": n / wall, "cpu_s": cpu, "rss_mb": rss}
        print(json.dumps(res), flush=True)
        rows.append(res)
    return rows


def p4(work, n, conc):
    data = data_file(work, n)
    store = os.path.join(work, "p4.sqlite")
    server = Server()
    cold = regen_one_step(work, server.url, data, conc, "p4", store=store)
    warm = regen_one_step(work, server.url, data, conc, "p4", store=store)
    server.stop()
    if " 0 HTTP requests" not in "\n" + warm[3] and "\n0 HTTP requests" not in warm[3]:
        sys.exit("P4: the warm re-run made HTTP requests")
    res = {"calls": n, "cold_wall_s": cold[0], "warm_wall_s": warm[0], "warm_rss_mb": warm[2], "warm_over_cold": warm[0] / cold[0]}
    print(json.dumps(res), flush=True)
    return res


def cpu_model():
    try:
        return next(l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name"))
    except (OSError, StopIteration):
        return platform.machine()


def report(args, r):
    lines = [f"# regen benchmarks", "", f"- date: {datetime.now(timezone.utc).strftime('%Y-%m-%d %H:%M UTC')}",
             f"- machine: {cpu_model()}, {os.cpu_count()} cores, {os.sysconf('SC_PAGE_SIZE') * os.sysconf('SC_PHYS_PAGES') / 2**30:.0f} GiB, {platform.platform()}",
             f"- command: `bench/run.sh {' '.join(sys.argv[1:])}`"]
    if args.included:
        lines.append("- sections measured by earlier invocations on this machine (see their own dates in the history of this file), each with its own baselines: "
                     + ", ".join(k.upper() for k in sorted(args.included)))
    lines.append("")
    if "p1" in r:
        lines += [f"## P1 engine efficiency: {args.p1_calls} calls, one llm step, {args.latency_ms} ms fixed latency", "",
                  "| C | ideal s | regen wall s | regen wall/ideal | wall/floor | regen CPU ms/1k calls | regen RSS MB | python wall s | python wall/ideal | python CPU ms/1k | python RSS MB | CPU python÷regen |",
                  "|---|---|---|---|---|---|---|---|---|---|---|---|"]
        for x in r["p1"]:
            lines.append(f"| {x['C']} | {x['ideal_s']:.2f} | {x['regen_wall_s']:.2f} | {x['regen_wall_over_ideal']:.3f} | {x['regen_wall_over_floor']:.3f} | {x['regen_cpu_ms_per_1k']:.0f} | "
                         f"{x['regen_rss_mb']:.0f} | {x['python_wall_s']:.2f} | {x['python_wall_over_ideal']:.3f} | {x['python_cpu_ms_per_1k']:.0f} | "
                         f"{x['python_rss_mb']:.0f} | {x['cpu_ratio_python_over_regen']:.1f}× |")
        lines += ["", "ideal = ceil(N/C) × nominal latency. floor = ceil(N/C) × the latency the server really delivers to one "
                  "sequential client (median of 200 requests, measured before each run: " +
                  ", ".join(f"{x['served_latency_ms']:.2f} ms" for x in r["p1"]) + "); its timer rounds sleeps up, which no client can beat."]
        d = [x for x in r["p1"] if "distilabel_wall_s" in x]
        if d:
            lines += ["", "distilabel (same server, nearest settings): " + "; ".join(
                f"C={x['C']}: wall {x['distilabel_wall_s']:.2f} s, CPU {x['distilabel_cpu_ms_per_1k']:.0f} ms/1k, RSS {x['distilabel_rss_mb']:.0f} MB" for x in d)]
        elif args.distilabel_note:
            lines += ["", f"distilabel: {args.distilabel_note}"]
        c = [x for x in r["p1"] if "curator_wall_s" in x]
        if c:
            lines += ["", "Bespoke Curator (online, OpenAI backend on the same server, nearest settings): " + "; ".join(
                f"C={x['C']}: wall {x['curator_wall_s']:.2f} s, CPU {x['curator_cpu_ms_per_1k']:.0f} ms/1k "
                f"({x['curator_cpu_ms_per_1k'] / x['regen_cpu_ms_per_1k']:.1f}× regen's), RSS {x['curator_rss_mb']:.0f} MB" for x in c)]
        failed = [x for x in r["p1"] if "curator_error" in x]
        if failed:
            lines += ["", "Bespoke Curator failed here: " + failed[0]["curator_error"].replace("\n", " ")[:300]]
        elif not c and args.curator_note:
            lines += ["", f"Bespoke Curator: {args.curator_note}"]
        reps = r["p1"][0].get("repeats", 1)
        lines += ["", "Against the machine's own limits, same run: the bare client (`bench/bare_client.rs`: the same requests "
                  "over tokio + reqwest, nothing else) and the test server's CPU per request (/proc/PID/stat, during regen's run). "
                  "The targets are judged against the bare client. The column \"bare via async-openai\" is the same program sending "
                  "through async-openai's client as regen does (`bare-client … async-openai`): the gap between the two bare clients is "
                  "what the client library costs, and regen÷that is what regen itself adds. "
                  + (f"Each figure is the median of {reps} runs, regen and the bare clients taking turns on fresh servers "
                     "(one pair of runs moves the CPU ratio by about ±0.1 on this machine); the spread of regen÷bare CPU over the pairs "
                     "is in the last column." if reps > 1 else "One run each."), "",
                  "| C | regen CPU ms/1k | bare client CPU ms/1k | bare via async-openai CPU ms/1k | server CPU ms/1k | regen÷bare CPU (target ≤ 1.5) | regen÷server CPU (target ≤ 1.5) | regen÷bare wall | regen÷bare CPU per pair | regen÷bare via async-openai CPU |",
                  "|---|---|---|---|---|---|---|---|---|---|"]
        for x in r["p1"]:
            pairs = [a["cpu_s"] / max(b["cpu_s"], 1e-9) for a, b in zip(x.get("runs", {}).get("regen", []), x.get("runs", {}).get("bare", []))]
            spread = f"{min(pairs):.2f}–{max(pairs):.2f}" if pairs else "—"
            via = x.get("bare_openai_cpu_ms_per_1k")
            via_cells = f"{via:.0f} | " if via else "— | "
            via_ratio = f"{x['cpu_ratio_regen_over_bare_openai']:.2f}" if via else "—"
            lines.append(f"| {x['C']} | {x['regen_cpu_ms_per_1k']:.0f} | {x['bare_cpu_ms_per_1k']:.0f} | {via_cells}{x['server_cpu_ms_per_1k']:.0f} | "
                         f"{x['cpu_ratio_regen_over_bare']:.2f} | {x['cpu_ratio_regen_over_server']:.2f} | {x['wall_ratio_regen_over_bare']:.3f} | {spread} | {via_ratio} |")
        lines.append("")
        mark = lambda ok: "met" if ok else "not met"
        for x in r["p1"]:
            if x["C"] == 256:
                lines.append(f"- C = 256: regen÷bare CPU {x['cpu_ratio_regen_over_bare']:.2f} ≤ 1.5 **{mark(x['cpu_ratio_regen_over_bare'] <= 1.5)}**; "
                             f"regen÷server CPU {x['cpu_ratio_regen_over_server']:.2f} ≤ 1.5 **{mark(x['cpu_ratio_regen_over_server'] <= 1.5)}**; "
                             f"wall ÷ bare {x['wall_ratio_regen_over_bare']:.3f} ≤ 1.05 **{mark(x['wall_ratio_regen_over_bare'] <= 1.05)}**")
            if x["C"] == 1024:
                lines.append(f"- C = 1024: wall ÷ bare {x['wall_ratio_regen_over_bare']:.3f} ≤ 1.3 **{mark(x['wall_ratio_regen_over_bare'] <= 1.3)}**")
        lines.append("")
    if "p2" in r:
        x = r["p2"]
        lines += [f"## P2 no barriers: ReGenesis-shaped DAG (20 selections → adapt → structure → path → judge), {args.p2_questions} questions, "
                  f"lognormal latency median {args.latency_ms} ms (p99 ≈ 10×), C = {args.p2_conc}", "",
                  "| mode | wall s | HTTP calls | CPU s | RSS MB |", "|---|---|---|---|---|",
                  f"| streaming (regen) | {x['streaming']['wall_s']:.2f} | {x['streaming']['http']} | {x['streaming']['cpu_s']:.1f} | {x['streaming']['rss_mb']:.0f} |",
                  f"| stage by stage (`--barrier`) | {x['barrier']['wall_s']:.2f} | {x['barrier']['http']} | {x['barrier']['cpu_s']:.1f} | {x['barrier']['rss_mb']:.0f} |",
                  "", f"streaming ÷ stage by stage = **{x['streaming_over_barrier']:.2f}**", ""]
    if "p3" in r:
        rows = r["p3"]
        lines += [f"## P3 scale: one llm step, no added latency, C = {args.p3_conc}; peak RSS against N", "",
                  "| N calls | wall s | calls/s | client CPU s | peak RSS MB |", "|---|---|---|---|---|"]
        for x in rows:
            lines.append(f"| {x['calls']:,} | {x['wall_s']:.1f} | {x['calls_per_s']:.0f} | {x['cpu_s']:.1f} | {x['rss_mb']:.0f} |")
        by_n = {x["calls"]: x["rss_mb"] for x in rows}
        lines.append("")
        if 1_000_000 in by_n:
            lines.append(f"- 1M calls ≤ 150 MB: {by_n[1_000_000]:.0f} MB, **{'met' if by_n[1_000_000] <= 150 else 'not met'}**")
        if 1_000_000 in by_n and 5_000_000 in by_n:
            g = by_n[5_000_000] / by_n[1_000_000]
            lines.append(f"- 5M within 10% of 1M: ratio {g:.3f}, **{'met' if g <= 1.10 else 'not met'}**")
        lines.append("")
    if "p4" in r:
        x = r["p4"]
        lines += [f"## P4 warm cache: re-run of a finished {x['calls']:,}-call run", "",
                  f"cold run {x['cold_wall_s']:.2f} s; **warm re-run {x['warm_wall_s']:.2f} s** (0 HTTP requests), ratio {x['warm_over_cold']:.3f}, RSS {x['warm_rss_mb']:.0f} MB", ""]
    if "p5" in r:
        import p5_local
        lines += p5_local.report(r["p5"])
    # The profile (bench/profile.sh) is read by hand and kept in bench/PROFILE.md.
    profile = os.path.join(ROOT, "bench/PROFILE.md")
    if os.path.exists(profile):
        lines += [open(profile).read().rstrip(), ""]
    lines += ["Raw figures: `bench/results.json`."]
    return "\n".join(lines) + "\n"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--only", default="p1,p2,p3,p4,p5")
    ap.add_argument("--p5-questions", type=int, default=10)
    ap.add_argument("--include", action="append", default=[], help="results.json of an earlier invocation: its sections join the report")
    ap.add_argument("--p1-calls", type=int, default=20000)
    ap.add_argument("--p1-repeats", type=int, default=5, help="alternating regen / bare-client runs per C (medians reported)")
    ap.add_argument("--latency-ms", type=float, default=20)
    ap.add_argument("--concs", default="64,256,1024")
    ap.add_argument("--p2-questions", type=int, default=200)
    ap.add_argument("--p2-conc", type=int, default=256)
    ap.add_argument("--p3-sizes", default="100000,1000000", help="N for P3's RSS table (add 5000000 for the 5M row, ~7 min)")
    ap.add_argument("--p3-conc", type=int, default=256)
    ap.add_argument("--p4-calls", type=int, default=100_000)
    ap.add_argument("--python", default=sys.executable)
    ap.add_argument("--distilabel", action="store_true")
    ap.add_argument("--distilabel-note", default="")
    ap.add_argument("--curator", default="", help="python of a venv with bespokelabs-curator")
    ap.add_argument("--curator-note", default="")
    ap.add_argument("--out", default=os.path.join(ROOT, "bench"))
    args = ap.parse_args()
    only = set(args.only.split(","))
    work = tempfile.mkdtemp(prefix="regen-bench-")
    r = {}
    if "p1" in only:
        r["p1"] = p1(work, args.p1_calls, args.latency_ms, [int(c) for c in args.concs.split(",")], args.python, args.distilabel,
                     args.curator, args.p1_repeats)
    if "p2" in only:
        r["p2"] = p2(work, args.p2_questions, args.latency_ms, args.p2_conc)
    if "p3" in only:
        r["p3"] = p3(work, [int(n) for n in args.p3_sizes.split(",")], args.p3_conc)
    if "p4" in only:
        r["p4"] = p4(work, args.p4_calls, args.p3_conc)
    if "p5" in only:
        import p5_local
        r["p5"] = p5_local.p5(REGEN, ROOT, work, args.p5_questions)
    # Sections measured by an earlier invocation (`--include its results.json`), kept as they were.
    args.included = set()
    for path in args.include:
        for k, v in json.load(open(path)).items():
            if k not in r:
                r[k] = v
                args.included.add(k)
    text = report(args, r)
    os.makedirs(args.out, exist_ok=True)
    print(text)
    with open(os.path.join(args.out, "RESULTS.md"), "w") as f:
        f.write(text)
    with open(os.path.join(args.out, "results.json"), "w") as f:
        json.dump(r, f, indent=1)


if __name__ == "__main__":
    main()
