#!/usr/bin/env python3
"""The module graph of src/ (which module imports which, from `crate::` and
`super::` paths) and its cycles. Exit 1 when there is a cycle.

    python3 scripts/module-cycles.py [--graph | --self-test]
"""
import os
import re
import sys

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "src")

def modules():
    out = {}
    for d, _, files in os.walk(ROOT):
        for f in files:
            if not f.endswith(".rs"):
                continue
            rel = os.path.relpath(os.path.join(d, f), ROOT)[:-3].split(os.sep)
            if rel[-1] in ("mod", "lib", "main"):
                rel = rel[:-1]
            if rel and rel[0] == "bin":
                continue
            out["::".join(rel) or "crate"] = os.path.join(d, f)
    return out

def strip(text):
    """The code without comments and literals, which say nothing about
    dependencies. A lexer, not a regex: `"http://a/v1"` is a string, not a
    comment; `r#"…"#` raw strings, byte strings, char literals (`'"'`, `'\\''`)
    and nested block comments are all skipped; lifetimes (`'a`) are code."""
    out, i, n = [], 0, len(text)
    while i < n:
        c = text[i]
        if text.startswith("//", i):
            j = text.find("\n", i)
            i = n if j < 0 else j
        elif text.startswith("/*", i):
            depth, i = 1, i + 2
            while i < n and depth:
                if text.startswith("/*", i):
                    depth, i = depth + 1, i + 2
                elif text.startswith("*/", i):
                    depth, i = depth - 1, i + 2
                else:
                    i += 1
        elif (c in "rb") and re.match(r'(?:br|r)#*"', text[i:]) and not (i and (text[i - 1].isalnum() or text[i - 1] == "_")):
            m = re.match(r'(?:br|r)(#*)"', text[i:])
            end = '"' + m.group(1)
            j = text.find(end, i + m.end())
            out.append('""')
            i = n if j < 0 else j + len(end)
        elif c == '"' or (c == "b" and text.startswith('b"', i) and not (i and (text[i - 1].isalnum() or text[i - 1] == "_"))):
            i += 2 if c == "b" else 1
            while i < n and text[i] != '"':
                i += 2 if text[i] == "\\" else 1
            out.append('""')
            i += 1
        elif c == "'":
            # A char literal ('x', '\\n', '\\u{1F600}', '"'), or a lifetime ('a), which is code.
            m = re.match(r"'(?:\\(?:u\{[0-9a-fA-F]+\}|x[0-9a-fA-F]{2}|.)|[^\\'\n])'", text[i:])
            if m:
                out.append("' '")
                i += m.end()
            else:
                out.append(c)
                i += 1
        else:
            out.append(c)
            i += 1
    return "".join(out)

def self_test():
    cases = [
        ('let u = "http://127.0.0.1/v1"; use crate::a::b;', "use crate::a::b"),
        ("let c = '\"'; use crate::x;", "use crate::x"),
        ("let s = r#\"a \" // b\"#; use crate::y;", "use crate::y"),
        ("/* outer /* inner */ crate::gone */ use crate::z;", "use crate::z"),
        ("fn f<'a>(x: &'a str) { crate::w::f() }", "crate::w::f"),
        ("let q = '\\''; let e = \"\\\" crate::no\"; use crate::v;", "use crate::v"),
    ]
    for src, keep in cases:
        got = strip(src)
        assert keep in got, (src, got)
    assert "gone" not in strip(cases[3][0]) and "no" not in strip(cases[5][0]).replace("no_", "")
    print("self-test: the lexer keeps code and skips comments, strings, raw strings and char literals")

def resolve(path, me, mods):
    """The longest known module a path names."""
    parts = path.split("::")
    if parts[0] == "crate":
        parts = parts[1:]
    elif parts[0] == "super":
        # `super` is the parent of the module the file defines (a mod.rs defines its folder).
        base = [] if me == "crate" else me.split("::")
        while parts and parts[0] == "super":
            parts = parts[1:]
            base = base[:-1]
        parts = base + parts
    for n in range(len(parts), 0, -1):
        cand = "::".join(parts[:n])
        if cand in mods:
            return cand
    return None

def graph():
    mods = modules()
    edges = {m: set() for m in mods}
    for m, f in mods.items():
        with open(f, encoding="utf-8") as fh:
            text = strip(fh.read())
        for path in re.findall(r"\b((?:crate|super)(?:::(?:super|\w+))+)", text):
            t = resolve(path, m, mods)
            if m != "crate" and t and t != m and not m.startswith(t + "::") and not t.startswith(m + "::"):
                edges[m].add(t)
        # `use super::*;` and `use crate::x::{a, b}` name the module itself.
        for path in re.findall(r"\b((?:crate|super)(?:::\w+)*)::\{([^}]*)\}", text):
            for item in path[1].split(","):
                item = item.strip().split(" as ")[0].split("::")[0]
                if item and item != "self":
                    t = resolve(path[0] + "::" + item, m, mods)
                    if t and t != m and not m.startswith(t + "::") and not t.startswith(m + "::"):
                        edges[m].add(t)
    return edges

def cycles(edges):
    index, low, stack, on, out, counter = {}, {}, [], set(), [], [0]
    sys.setrecursionlimit(10000)
    def visit(v):
        index[v] = low[v] = counter[0]; counter[0] += 1
        stack.append(v); on.add(v)
        for w in sorted(edges[v]):
            if w not in index:
                visit(w); low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop(); on.discard(w); comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))
    for v in sorted(edges):
        if v not in index:
            visit(v)
    return out

def top_level(edges):
    """The same graph between the crate's top-level modules (stages: syntax, check, plan, run, …)."""
    out = {}
    for m, ts in edges.items():
        a = m.split("::")[0]
        out.setdefault(a, set())
        for t in ts:
            b = t.split("::")[0]
            out.setdefault(b, set())
            if a != b:
                out[a].add(b)
    return out

if __name__ == "__main__":
    if "--self-test" in sys.argv:
        self_test()
        sys.exit(0)
    e = graph()
    top = top_level(e)
    if "--graph" in sys.argv:
        print("# between top-level modules")
        for m in sorted(top):
            print(f"{m} -> {', '.join(sorted(top[m])) or '-'}")
        print("# between files")
        for m in sorted(e):
            print(f"{m} -> {', '.join(sorted(e[m])) or '-'}")
    found = cycles(e) + cycles(top)
    for c in found:
        print("cycle: " + " <-> ".join(c))
    print(f"{len(e)} modules, {sum(len(v) for v in e.values())} imports; "
          f"{len(top)} top-level modules, {sum(len(v) for v in top.values())} imports; {len(found)} cycles")
    sys.exit(1 if found else 0)
