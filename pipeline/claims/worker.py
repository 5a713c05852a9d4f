"""A worker process: imports numpy/torch once, then runs checks and code blocks sent as JSON lines on stdin.

Run as `python -m pipeline.claims.worker PROJECT_DIR`. One request per line, one reply per line on the real
stdout; anything the checks print goes to a captured buffer, never into the protocol.
"""

from __future__ import annotations

import builtins
import contextlib
import importlib
import io
import json
import os
import sys
import traceback

PROTOCOL_OUT = sys.stdout


def reply(obj) -> None:
    PROTOCOL_OUT.write(json.dumps(obj) + "\n")
    PROTOCOL_OUT.flush()


def to_jsonable(value):
    """Numbers, tuples, arrays and tensors as nested lists of floats; raise TypeError for anything else."""
    if isinstance(value, bool):
        return float(value)
    if isinstance(value, (int, float)):
        return float(value)
    if hasattr(value, "detach"):
        value = value.detach().cpu()
    if hasattr(value, "tolist") and not isinstance(value, (str, bytes)):
        value = value.tolist()
        if isinstance(value, (int, float, bool)):
            return float(value)
    if isinstance(value, (list, tuple)):
        return [to_jsonable(v) for v in value]
    raise TypeError(f"returned {type(value).__name__} ({value!r:.60}), not a number, tuple or array")


def frames_in(tb, prefix: str):
    """(file, line) of traceback frames inside `prefix`, innermost last."""
    return [(f.filename, f.lineno) for f in traceback.extract_tb(tb) if f.filename.startswith(prefix)]


def run_check(req, checks_dir: str) -> dict:
    module, func = req["module"], req["func"]
    device = req["device"]
    try:
        mod = importlib.import_module(f"checks.{module}")
    except Exception as e:
        return {"status": "error", "error": f"{type(e).__name__}: {e}", "traceback": traceback.format_exc(),
                "where": frames_in(e.__traceback__, checks_dir)}
    fn = getattr(mod, func, None)
    if fn is None or not callable(fn):
        return {"status": "missing"}
    devices = list(getattr(fn, "dl500_devices", ("cpu", "cuda")))
    code = getattr(fn, "__code__", None)
    where = [(code.co_filename, code.co_firstlineno)] if code else []
    if device not in devices:
        return {"status": "not-applicable", "devices": devices, "where": where}
    buf = io.StringIO()
    try:
        seed_everything()
        with contextlib.redirect_stdout(buf):
            value = fn(device)
        value = to_jsonable(value)
    except TypeError as e:
        if "not a number" in str(e):
            return {"status": "not-a-number", "error": str(e), "devices": devices, "where": where}
        return _error(e, checks_dir, devices, where)
    except Exception as e:
        return _error(e, checks_dir, devices, where)
    return {"status": "ok", "value": value, "devices": devices, "where": where}


def _error(e, checks_dir, devices, where):
    inner = frames_in(e.__traceback__, checks_dir)
    return {"status": "error", "error": f"{type(e).__name__}: {e}", "traceback": traceback.format_exc(),
            "devices": devices, "where": inner or where}


def seed_everything() -> None:
    import random
    random.seed(0)
    try:
        import numpy as np
        np.random.seed(0)
    except ImportError:
        pass
    try:
        import torch
        torch.manual_seed(0)
    except ImportError:
        pass


def guarded_import(allowed: set):
    """An __import__ that refuses top-level modules a block did not declare (stdlib and `allowed` pass)."""
    real_import = builtins.__import__
    stdlib = set(sys.stdlib_module_names)

    def _import(name, globals=None, locals=None, fromlist=(), level=0):
        top = name.split(".")[0]
        if level == 0 and top not in stdlib and top not in allowed:
            raise ModuleNotFoundError(f"DL500_UNDECLARED:{top}")
        return real_import(name, globals, locals, fromlist, level)

    return _import


def run_code(req) -> dict:
    """Run a question's blocks in order in one namespace; report each block's stdout or its failure."""
    device = req["device"]
    allowed = set(req.get("allowed", []))
    builtins_copy = dict(builtins.__dict__)
    builtins_copy["__import__"] = guarded_import(allowed)
    ns = {"__name__": "__dl500_block__", "__builtins__": builtins_copy, "device": device}
    results = []
    seed_everything()
    for i, block in enumerate(req["blocks"]):
        filename = f"<dl500-block-{i}>"
        buf = io.StringIO()
        try:
            code = compile(block, filename, "exec")
            with contextlib.redirect_stdout(buf):
                exec(code, ns)
        except BaseException as e:  # noqa: B036 - SystemExit in a block is a failure to report, not an exit
            msg = f"{type(e).__name__}: {e}"
            line = None
            if isinstance(e, SyntaxError) and e.filename == filename:
                line = e.lineno
            for f in traceback.extract_tb(e.__traceback__):
                if f.filename == filename:
                    line = f.lineno
            undeclared = str(e).split("DL500_UNDECLARED:")[1].strip("'\"") if "DL500_UNDECLARED:" in str(e) else None
            tb = "".join(traceback.format_exception_only(type(e), e)).strip()
            results.append({"status": "undeclared" if undeclared else "error", "error": msg, "line": line,
                            "module": undeclared, "stdout": buf.getvalue(), "traceback": tb})
            break
        results.append({"status": "ok", "stdout": buf.getvalue()})
    variables = {}
    for name in req.get("variables", []):
        if name in ns:
            try:
                variables[name] = to_jsonable(ns[name])
            except TypeError as e:
                variables[name] = {"error": str(e)}
    return {"status": "done", "blocks": results, "variables": variables}


def cuda_available() -> bool:
    try:
        import torch
        return bool(torch.cuda.is_available())
    except Exception:
        return False


def main(argv) -> int:
    project = argv[1]
    checks_dir = os.path.realpath(argv[2]) if len(argv) > 2 else os.path.join(project, "checks")
    sys.path.insert(0, os.path.dirname(checks_dir))
    # Anything a check prints must not corrupt the protocol stream.
    sys.stdout = sys.stderr
    try:
        import numpy  # noqa: F401  imported once per worker, not per check
        import torch  # noqa: F401
    except ImportError:
        pass
    reply({"ready": True})  # the parent starts a task's clock only after this: imports are not the task's time
    for line in sys.stdin:
        req = json.loads(line)
        kind = req.get("kind")
        if kind == "check":
            reply(run_check(req, checks_dir))
        elif kind == "code":
            reply(run_code(req))
        elif kind == "probe":
            reply({"cuda": cuda_available(), "pid": os.getpid()})
        elif kind == "exit":
            return 0
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
