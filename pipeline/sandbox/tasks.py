"""What one task does inside its sandboxed child: run a check, a question's code blocks, or a figure script.

These functions run contributor code. They return plain dicts; the worker frames them on a pipe that only the
worker holds, so nothing here can reach another task's result.
"""

from __future__ import annotations

import builtins
import contextlib
import importlib
import io as _io
import runpy
import sys
import traceback

PRINT_CAP = 1024 * 1024  # what a check or a question's blocks may print through sys.stdout, in characters


def print_violation(chars: int) -> list[str]:
    return [f"printed {chars:,} characters, over the {PRINT_CAP // 1024} KiB limit"] if chars > PRINT_CAP else []


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
    buf = _io.StringIO()
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
    return {"status": "ok", "value": value, "devices": devices, "where": where,
            "violations": print_violation(len(buf.getvalue()))}


def is_memory_error(e: BaseException) -> bool:
    """MemoryError, or torch's allocator refusing under the address-space limit."""
    return isinstance(e, MemoryError) or (isinstance(e, RuntimeError) and "allocate" in str(e) and "memory" in str(e))


def _error(e, checks_dir, devices, where):
    if is_memory_error(e):
        return {"status": "memory", "error": f"{type(e).__name__}: {str(e)[:200]}", "where": where}
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
        buf = _io.StringIO()
        try:
            code = compile(block, filename, "exec")
            with contextlib.redirect_stdout(buf):
                exec(code, ns)
        except BaseException as e:  # noqa: B036 - SystemExit in a block is a failure to report, not an exit
            if is_memory_error(e):
                return {"status": "memory", "error": f"{type(e).__name__}: {str(e)[:200]}"}
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
    printed = sum(len(r.get("stdout", "")) for r in results)
    if printed > PRINT_CAP:
        for r in results:
            r["stdout"] = r.get("stdout", "")[:2000]
    return {"status": "done", "blocks": results, "variables": variables, "violations": print_violation(printed)}


def cuda_available() -> bool:
    try:
        import torch
        return bool(torch.cuda.is_available())
    except Exception:
        return False


def run_figures(req) -> dict:
    """Draw the named figures of one chapter's figures.py as SVG text (matplotlib, Agg, reproducible ids)."""
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        plt.rcParams["svg.hashsalt"] = "dl500"
        plt.rcParams["svg.fonttype"] = "path"
        ns = runpy.run_path(req["script"])
    except Exception as e:
        return {"status": "done", "figures": {}, "error": f"failed to load: {type(e).__name__}: {e}"}
    figures, errors = {}, {}
    for name in req["names"]:
        try:
            fig = ns[name]()
            buf = _io.StringIO()
            fig.savefig(buf, format="svg", metadata={"Date": None, "Creator": None}, bbox_inches="tight")
            plt.close(fig)
            figures[name] = buf.getvalue()
        except Exception as e:
            errors[name] = f"{name}() failed: {type(e).__name__}: {e}"
    return {"status": "done", "figures": figures, "errors": errors}


def run_task(req, checks_dir: str) -> dict:
    kind = req.get("kind")
    if kind == "check":
        return run_check(req, checks_dir)
    if kind == "code":
        return run_code(req)
    if kind == "figures":
        return run_figures(req)
    if kind == "probe":
        return {"status": "done", "cuda": cuda_available()}
    return {"status": "error", "error": f"unknown task kind {kind!r}"}
