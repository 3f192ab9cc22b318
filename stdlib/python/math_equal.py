"""Is a model's boxed answer the label, as mathematics? For a `python` step:

    step matched = python(answered, function: "stdlib/python/math_equal.py:equal",
                          fields: [predicted, answer], into: {same: bool, how: string})

`predicted` is the answer `extract(..., boxed: true)` found (else the last
\\boxed{...} of `path` is read). With sympy installed, `\\frac{1}{2}`, `0.5`
and `1/2` are one answer, as are `2\\sqrt{2}` and `\\sqrt{8}`; without it the
answers are compared as numbers or as normalised text, and `how` says so.

Model text is never handed to Python's eval as it is: only digits, operators,
brackets, `sqrt`, `pi` and one-letter variables reach sympy's parser.
"""

from __future__ import annotations

import re
import sys
from typing import TypedDict

try:
    import sympy
    from sympy.parsing.sympy_parser import (
        implicit_multiplication_application,
        parse_expr,
        standard_transformations,
    )
except ImportError:  # the fallback says it is one, in every result and once in the log
    sympy = None
    print(
        "math_equal: sympy is not installed in this interpreter; answers are compared "
        "as numbers or text (pip install sympy for symbolic equivalence)",
        file=sys.stderr,
    )


class Verdict(TypedDict):
    same: bool
    how: str


_LATEX = [
    (r"\\[dt]?frac\{([^{}]*)\}\{([^{}]*)\}", r"((\1)/(\2))"),
    (r"\\sqrt\{([^{}]*)\}", r"sqrt(\1)"),
    (r"\\sqrt(\d+)", r"sqrt(\1)"),
    (r"\\(left|right|!|,|;|:|displaystyle)", ""),
    (r"\\(cdot|times)", "*"),
    (r"\\div", "/"),
    (r"\\pi", "pi"),
    (r"\^\{([^{}]*)\}", r"**(\1)"),
    (r"\^", "**"),
    (r"\\%|%", "/100"),
    (r"\\text\{[^{}]*\}|\\mathrm\{[^{}]*\}|\\(circ|degree)", ""),
    (r"[{}]", ""),
    (r"\$", ""),
]
_ALLOWED = re.compile(r"^[0-9a-zA-Z+\-*/().\s]*$")
_NAMES = {"sqrt", "pi"}


def last_boxed(text: str) -> str | None:
    start = text.rfind("\\boxed{")
    if start < 0:
        return None
    i, depth = start + len("\\boxed{"), 1
    for j in range(i, len(text)):
        depth += {"{": 1, "}": -1}.get(text[j], 0)
        if depth == 0:
            return text[i:j]
    return None


def plain(answer: str) -> str:
    """LaTeX as sympy's parser reads it (nested fractions, inside out)."""
    s = answer.strip()
    s = re.sub(r"(?<=\d),(?=\d{3}\b)", "", s)  # 1,000 -> 1000
    for _ in range(4):
        before = s
        for pattern, repl in _LATEX:
            s = re.sub(pattern, repl, s)
        if s == before:
            break
    return s.strip().rstrip(".")


def _safe(expr: str) -> bool:
    if len(expr) > 200 or not _ALLOWED.match(expr) or "__" in expr:
        return False
    if re.search(r"[a-zA-Z]\.|\.[a-zA-Z]", expr):  # no attribute access
        return False
    return all(w in _NAMES or len(w) == 1 for w in re.findall(r"[a-zA-Z_]+", expr))


def _sympy_equal(a: str, b: str) -> bool | None:
    if sympy is None or not (_safe(a) and _safe(b)):
        return None
    transformations = standard_transformations + (implicit_multiplication_application,)
    try:
        x = parse_expr(a, transformations=transformations, evaluate=True)
        y = parse_expr(b, transformations=transformations, evaluate=True)
        difference = sympy.simplify(x - y)
    except Exception:  # noqa: BLE001 - text sympy cannot read is not equal by sympy
        return None
    if difference == 0:
        return True
    try:
        return abs(complex(sympy.N(difference))) < 1e-9
    except (TypeError, ValueError):
        return False


def _number(s: str) -> float | None:
    try:
        return float(s.replace(" ", ""))
    except ValueError:
        m = re.fullmatch(r"\(?\(?(-?[\d.]+)\)?/\(?(-?[\d.]+)\)?\)?", s.replace(" ", ""))
        if m and float(m.group(2)) != 0:
            return float(m.group(1)) / float(m.group(2))
        return None


def equal(record: dict) -> Verdict:
    predicted = record.get("predicted")
    if predicted is None and isinstance(record.get("path"), str):
        predicted = last_boxed(record["path"])
    if isinstance(predicted, str) and "\\boxed{" in predicted:
        predicted = last_boxed(predicted) or predicted
    label = record.get("answer")
    if predicted is None or label is None:
        return {"same": False, "how": "no answer"}
    a, b = plain(str(predicted)), plain(str(label))
    if a == b:
        return {"same": True, "how": "same text"}
    verdict = _sympy_equal(a, b)
    if verdict is not None:
        return {"same": verdict, "how": "sympy"}
    x, y = _number(a), _number(b)
    if x is not None and y is not None:
        how = "numbers" if sympy is not None else "numbers (sympy not installed)"
        return {"same": abs(x - y) <= 1e-9 * max(1.0, abs(y)), "how": how}
    how = "text" if sympy is not None else "text (sympy not installed)"
    return {"same": a.replace(" ", "").lower() == b.replace(" ", "").lower(), "how": how}
