"""regen's static look at a `python` step's file: never imports it.

Run as `python -c <this> FILE FUNCTION [--imports]`; prints one JSON object:
whether FUNCTION is defined at the top level, the fields it returns when they
can be read (a TypedDict return annotation, or dict literals in every return),
and with --imports whether each module the file imports resolves.
"""

import ast
import importlib.util
import json
import os
import sys


def typed_dict_fields(tree, name):
    for node in tree.body:
        if isinstance(node, ast.ClassDef) and node.name == name:
            bases = [getattr(b, "id", getattr(b, "attr", "")) for b in node.bases]
            if "TypedDict" in bases:
                return [
                    s.target.id
                    for s in node.body
                    if isinstance(s, ast.AnnAssign) and isinstance(s.target, ast.Name)
                ]
    return None


def annotation_fields(tree, ann):
    if ann is None:
        return None
    if isinstance(ann, ast.Constant) and isinstance(ann.value, str):
        try:
            ann = ast.parse(ann.value, mode="eval").body
        except SyntaxError:
            return None
    if isinstance(ann, ast.Name):
        return typed_dict_fields(tree, ann.id)
    if isinstance(ann, ast.Subscript) and getattr(ann.value, "id", "") in ("list", "List"):
        return annotation_fields(tree, ann.slice)
    return None


def dict_keys(value):
    if isinstance(value, (ast.ListComp, ast.GeneratorExp)):
        value = value.elt
    elif isinstance(value, ast.List) and len(value.elts) == 1:
        value = value.elts[0]
    if not isinstance(value, ast.Dict):
        return None
    keys = []
    for k in value.keys:
        if not (isinstance(k, ast.Constant) and isinstance(k.value, str)):
            return None  # `**rest` or a computed key: unknown
        keys.append(k.value)
    return keys


def returned_fields(func):
    found = []
    stack = list(func.body)
    any_return = False
    while stack:
        node = stack.pop()
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)):
            continue  # a nested function's returns are its own
        if isinstance(node, ast.Return):
            any_return = True
            keys = dict_keys(node.value) if node.value is not None else None
            if keys is None:
                return None
            found.extend(keys)
        stack.extend(ast.iter_child_nodes(node))
    return sorted(set(found)) if any_return else None


def module_level(body):
    """The statements that run at import, including those inside `if`,
    `try`, `with`, `for` and `while` blocks (not inside functions or classes)."""
    for node in body:
        yield node
        if isinstance(node, (ast.If, ast.For, ast.AsyncFor, ast.While)):
            yield from module_level(node.body)
            yield from module_level(node.orelse)
        elif isinstance(node, (ast.With, ast.AsyncWith)):
            yield from module_level(node.body)
        elif type(node).__name__ == "Match":
            for case in node.cases:
                yield from module_level(case.body)
        elif isinstance(node, ast.Try) or type(node).__name__ == "TryStar":
            yield from module_level(node.body)
            for h in node.handlers:
                yield from module_level(h.body)
            yield from module_level(node.orelse)
            yield from module_level(node.finalbody)


def walk_here(node):
    """The nodes of a statement, not entering functions, classes or nested blocks
    (module_level visits those itself)."""
    stack = [node]
    while stack:
        n = stack.pop()
        yield n
        for child in ast.iter_child_nodes(n):
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda, ast.stmt)):
                continue
            stack.append(child)


def dynamic(tree):
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and getattr(node.func, "id", "") in ("globals", "exec", "setattr", "vars"):
            return True
        if isinstance(node, ast.FunctionDef) and node.name == "__getattr__" and node in tree.body:
            return True
    return False


def main():
    path, name = sys.argv[1], sys.argv[2]
    out = {"defined": False, "defined_names": [], "fields": None, "syntax_error": None,
           "executable": sys.executable or ""}
    with open(path, "rb") as f:
        source = f.read()
    try:
        tree = ast.parse(source, filename=path)
    except SyntaxError as e:
        out["syntax_error"] = {"line": e.lineno or 0, "message": e.msg}
        print(json.dumps(out))
        return
    for node in module_level(tree.body):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            out["defined_names"].append(node.name)
            if node.name == name and not out["defined"]:
                out["defined"] = True
                out["fields"] = annotation_fields(tree, node.returns)
                if out["fields"] is None:
                    out["fields"] = returned_fields(node)
        elif isinstance(node, ast.ClassDef):
            out["defined_names"].append(node.name)  # a callable class
            out["defined"] = out["defined"] or node.name == name
        elif isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for t in targets:
                for n in ast.walk(t):  # `a, b = …` too
                    if isinstance(n, ast.Name):
                        out["defined_names"].append(n.id)
                        out["defined"] = out["defined"] or n.id == name
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            names = [(a.asname or a.name).split(".")[0] for a in node.names]
            out["defined_names"].extend(n for n in names if n != "*")
            out["defined"] = out["defined"] or name in names
            # `from x import *` may bring it: it cannot be known without importing.
            out["defined"] = out["defined"] or "*" in names
    # Names bound by `for x in`, `with … as x`, `(x := …)` at the top level,
    # and `global x` in a function (set when it runs at import).
    for node in module_level(tree.body):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            bound = [g for n in ast.walk(node) if isinstance(n, ast.Global) for g in n.names]
        else:
            bound = [
                n.id
                for n in walk_here(node)
                if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)
            ]
        out["defined_names"].extend(b for b in bound if b not in out["defined_names"])
        out["defined"] = out["defined"] or name in bound
    # Names made at run time (`globals()[…] = …`, `exec`, a module `__getattr__`,
    # `setattr(sys.modules[…])`) cannot be read: the file gets the benefit of the doubt.
    if not out["defined"] and dynamic(tree):
        out["defined"] = True
    if "--imports" in sys.argv:
        sys.path.insert(0, os.path.dirname(os.path.abspath(path)))
        imports = {}
        for node in ast.walk(tree):
            roots = []
            if isinstance(node, ast.Import):
                roots = [a.name.split(".")[0] for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                roots = [node.module.split(".")[0]]
            for r in roots:
                if r not in imports:
                    try:
                        imports[r] = importlib.util.find_spec(r) is not None
                    except (ImportError, ValueError):
                        imports[r] = False
        out["imports"] = imports
    print(json.dumps(out))


main()
