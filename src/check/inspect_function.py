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
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            out["defined_names"].append(node.name)
            if node.name == name:
                out["defined"] = True
                out["fields"] = annotation_fields(tree, node.returns)
                if out["fields"] is None:
                    out["fields"] = returned_fields(node)
        elif isinstance(node, ast.Assign):
            for t in node.targets:
                if isinstance(t, ast.Name):
                    out["defined_names"].append(t.id)
                    out["defined"] = out["defined"] or t.id == name
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            names = [a.asname or a.name for a in node.names]
            out["defined_names"].extend(n for n in names if n != "*")
            out["defined"] = out["defined"] or name in names
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
