"""Figures drawn by code: `figures/<name>.svg` comes from `<name>()` in the chapter's figures.py, cached by hash."""

from __future__ import annotations

import functools
import os
import re
from pathlib import Path

from ..cache import ContentCache, key

FIGURE_URL = re.compile(r"^figures/([A-Za-z0-9_-]+)\.svg$")


def figure_key(script: Path, name: str) -> str:
    return key(script.read_bytes(), name, f"matplotlib {_matplotlib_version()}")


@functools.lru_cache(maxsize=1)
def _matplotlib_version() -> str:
    """(read once: importlib.metadata scans the installed packages, ~5 ms a figure)"""
    from importlib import metadata
    try:
        return metadata.version("matplotlib")
    except metadata.PackageNotFoundError:
        return "none"


def draw_figures(requests, cache_dir: Path, stats: dict | None = None):
    """requests: iterable of (chapter_dir, url). Returns ({(folder, url): svg}, {(folder, url): error}).

    figures.py is contributor code: it runs in the claims sandbox (pipeline.sandbox), never in this process.
    """
    out, errors = {}, {}
    cache = ContentCache(cache_dir, suffix=".svg")
    by_script = {}
    for cdir, url in sorted(set(requests)):
        m = FIGURE_URL.match(url)
        if not m:
            continue
        script = Path(cdir) / "figures.py"
        if not script.is_file():
            continue
        k = figure_key(script, m.group(1))
        svg = cache.get_text(k)
        if svg is not None:
            out[(Path(cdir).name, url)] = svg
        else:
            by_script.setdefault(script, []).append((url, m.group(1).replace("-", "_"), k))
    if not by_script:
        return out, errors
    replies = _run_figure_scripts(by_script)
    for script, items in by_script.items():
        rep = replies[script]
        for url, fn, k in items:
            # A script that broke the sandbox's rules gets none of its figures used, not even the honest ones.
            svg = (rep.get("figures") or {}).get(fn) if rep.get("status") == "done" else None
            if svg is None:
                errors[(script.parent.name, url)] = _figure_error(script, fn, rep)
                continue
            cache.put_text(k, svg)
            out[(script.parent.name, url)] = svg
            if stats is not None:
                stats["figures_drawn"] = stats.get("figures_drawn", 0) + 1
    return out, errors


FIGURE_LIMITS = {"cpu": 120.0, "memory_mb": 2048}


def _run_figure_scripts(by_script) -> dict:
    """Each chapter's figures.py in one sandboxed task; {script: reply}."""
    from ..sandbox.pool import Pool, WorkerStartFailed
    scripts = sorted(by_script)
    book_root = scripts[0].parent.parent
    checks = book_root.parent / "checks"
    read_only = sorted({s.parent.parent for s in scripts}) + ([checks] if checks.is_dir() else [])
    pool = Pool(str(checks if checks.is_dir() else book_root), read_only, min(len(scripts), os.cpu_count() or 1))
    try:
        outcomes = pool.map(scripts, lambda s: {"kind": "figures", "script": str(s.resolve()),
                                                "names": [fn for _, fn, _ in by_script[s]]},
                            lambda s: FIGURE_LIMITS)
    except WorkerStartFailed as e:
        return {s: {"error": f"was not run: the sandbox could not start a worker: {str(e)[-200:]}"} for s in scripts}
    finally:
        pool.close()
    return {s: (o.reply or {}) if o.status == "reply" else {"status": "crash"} for s, o in zip(scripts, outcomes)}


def _figure_error(script: Path, fn: str, rep: dict) -> str:
    if rep.get("error"):
        return f"{script.name} {rep['error']}"
    if (rep.get("errors") or {}).get(fn):
        return rep["errors"][fn]
    status = rep.get("status")
    if status == "violation":
        return f"{script.name} broke the sandbox's rules: " + "; ".join(rep.get("violations") or [])
    if status in ("timeout", "memory", "crash"):
        return f"{script.name} {'ran past its time limit' if status == 'timeout' else 'ran out of memory' if status == 'memory' else 'crashed'}"
    return f"{fn}() is not defined in {script.name}"
