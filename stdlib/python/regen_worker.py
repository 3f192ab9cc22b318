"""regen's Python worker: serves one `python` step over the step protocol.

Run as `python -u regen_worker.py FILE FUNCTION` (regen does it; the protocol
is docs/step-protocol.md). It imports FILE (its folder first on sys.path), says hello, then calls FUNCTION once per request line and
writes one reply line. What the function prints goes to stderr (regen's log),
never into the protocol.
"""

import importlib.util
import json
import os
import signal
import sys
import traceback

PROTOCOL = "regen-step"
VERSION = 1
NOT_STARTED = "regen.NotStarted"


def describe(exc, output=False, skip=0):
    tb = exc.__traceback__
    for _ in range(skip):  # the worker's own frames say nothing to the user
        if tb is not None and tb.tb_next is not None:
            tb = tb.tb_next
    return {
        "type": type(exc).__qualname__
        if type(exc).__module__ == "builtins"
        else f"{type(exc).__module__}.{type(exc).__qualname__}",
        "message": str(exc),
        "traceback": "".join(
            traceback.format_exception(type(exc), exc, tb)
        ),
        "output": output,
    }


def plain(value):
    # numpy scalars and arrays, and the like, have a plain form.
    for name in ("item", "tolist"):
        method = getattr(value, name, None)
        if callable(method):
            return method()
    if isinstance(value, (set, frozenset, tuple)):
        return list(value)
    raise TypeError(f"{type(value).__name__} is not JSON: {value!r:.200}")


def culprit(result):
    """Which field of a result (or of which record of a batch) cannot be JSON."""

    def fails(value):
        try:
            json.dumps(value, ensure_ascii=False, allow_nan=False, default=plain)
        except (TypeError, ValueError, UnicodeError, RecursionError):
            return True
        return False

    if isinstance(result, dict):
        for key, value in result.items():
            if fails(value):
                return f"field `{key}`"
    if isinstance(result, (list, tuple)):
        for i, item in enumerate(result):
            inner = culprit(item)
            if inner or fails(item):
                return f"record {i} of the batch" + (f", {inner}" if inner else "")
    return None


def main():
    path, name = sys.argv[1], sys.argv[2]
    # The protocol keeps private copies of fds 0 and 1. Fd 1 then points at the
    # log and fd 0 at /dev/null, so nothing the function (or a child it starts,
    # or a C library) prints or reads can touch a request or a reply.
    sys.stdout.flush()
    out = os.fdopen(os.dup(1), "wb")
    inp = os.fdopen(os.dup(0), "rb")
    os.dup2(2, 1)
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.close(null)
    sys.stdout = sys.stderr
    sys.stdin = open(os.devnull)  # noqa: SIM115 - lives as long as the worker

    def send(obj):
        try:
            data = json.dumps(obj, ensure_ascii=False, allow_nan=False, default=plain)
            payload = data.encode("utf-8")
        except (TypeError, ValueError, UnicodeError, RecursionError) as exc:
            error = describe(exc, output=True)
            where = culprit(obj.get("ok"))
            if where:
                error["message"] = f"{where}: {error['message']}"
            payload = json.dumps({"id": obj.get("id"), "error": error}).encode("utf-8")
        out.write(payload + b"\n")
        out.flush()

    first = inp.readline()
    try:
        hello = json.loads(first)["hello"]
    except (ValueError, KeyError, TypeError):
        hello = {}
    mine = {"protocol": PROTOCOL, "version": VERSION}
    if hello.get("protocol") != PROTOCOL or hello.get("version") != VERSION:
        send({"hello": mine, "error": {"type": "ProtocolError", "message": f"this worker speaks {PROTOCOL} {VERSION}; regen sent {first[:200]!r}"}})
        return
    try:
        folder = os.path.dirname(os.path.abspath(path))
        sys.path.insert(0, folder)
        spec = importlib.util.spec_from_file_location("regen_step_module", path)
        if spec is None or spec.loader is None:
            raise ImportError(f"{path} cannot be imported as a Python file")
        module = importlib.util.module_from_spec(spec)
        sys.modules["regen_step_module"] = module
        spec.loader.exec_module(module)
        function = getattr(module, name)
        if not callable(function):
            raise TypeError(f"`{name}` in {path} is not a function")
    except BaseException as exc:  # noqa: BLE001 - any failure to start is reported
        send({"hello": mine, "error": describe(exc)})
        return
    send({"hello": mine})
    # SIGUSR1: the run is stopping. The call under way finishes; the requests
    # already written to this worker are answered "not started".
    stopping = []
    if hasattr(signal, "SIGUSR1"):
        signal.signal(signal.SIGUSR1, lambda *_: stopping.append(True))
    for line in inp:
        if not line.strip():
            continue
        request = json.loads(line)
        rid = request.get("id")
        if stopping:
            send({"id": rid, "error": {"type": NOT_STARTED, "message": "the run is stopping"}})
            continue
        try:
            if "records" in request:
                result = function(request["records"])
                if not isinstance(result, (list, tuple)):
                    raise TypeError(f"a batch function returns a list, not {type(result).__name__}")
                result = list(result)
            else:
                result = function(request["record"])
        except BaseException as exc:  # noqa: BLE001 - every failure is a recorded one
            send({"id": rid, "error": describe(exc, skip=1)})
            continue
        send({"id": rid, "ok": result})


# A guard: `multiprocessing` with spawn or forkserver imports this file again
# in each child, which must not start serving.
if __name__ == "__main__":
    main()
