"""Figures drawn by code: `figures/<name>.svg` comes from `<name>()` in the chapter's figures.py, cached by hash."""

from __future__ import annotations

import hashlib
import io
import os
import re
import runpy
from pathlib import Path

FIGURE_URL = re.compile(r"^figures/([A-Za-z0-9_-]+)\.svg$")


def figure_key(script: Path, name: str) -> str:
    from importlib import metadata
    try:
        mpl = metadata.version("matplotlib")
    except metadata.PackageNotFoundError:
        mpl = "none"
    return hashlib.sha256(script.read_bytes() + f"\0{name}\0{mpl}".encode()).hexdigest()[:32]


def draw_figures(requests, cache_dir: Path, stats: dict | None = None):
    """requests: iterable of (chapter_dir, url). Returns ({(folder, url): svg}, {(folder, url): error})."""
    out, errors = {}, {}
    by_script = {}
    for cdir, url in sorted(set(requests)):
        m = FIGURE_URL.match(url)
        if not m:
            continue
        script = Path(cdir) / "figures.py"
        if not script.is_file():
            continue
        key = figure_key(script, m.group(1))
        cached = cache_dir / f"{key}.svg"
        if cached.is_file():
            out[(Path(cdir).name, url)] = cached.read_text("utf-8")
        else:
            by_script.setdefault(script, []).append((url, m.group(1).replace("-", "_"), cached))
    for script, items in by_script.items():
        try:
            import matplotlib
            matplotlib.use("Agg")
            import matplotlib.pyplot as plt
            plt.rcParams["svg.hashsalt"] = "dl500"
            plt.rcParams["svg.fonttype"] = "path"
            ns = runpy.run_path(str(script))
        except Exception as e:
            for url, _, _ in items:
                errors[(script.parent.name, url)] = f"{script.name} failed to load: {type(e).__name__}: {e}"
            continue
        for url, fn, cached in items:
            try:
                fig = ns[fn]()
                buf = io.StringIO()
                fig.savefig(buf, format="svg", metadata={"Date": None, "Creator": None}, bbox_inches="tight")
                plt.close(fig)
                svg = buf.getvalue()
            except Exception as e:
                errors[(script.parent.name, url)] = f"{fn}() failed: {type(e).__name__}: {e}"
                continue
            cache_dir.mkdir(parents=True, exist_ok=True)
            tmp = cached.with_suffix(f".{os.getpid()}.tmp")
            tmp.write_text(svg, "utf-8")
            os.replace(tmp, cached)
            out[(script.parent.name, url)] = svg
            if stats is not None:
                stats["figures_drawn"] = stats.get("figures_drawn", 0) + 1
    return out, errors
