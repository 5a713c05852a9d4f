"""Markdown → HTML fragments with pandoc: one pandoc call per batch, each fragment cached by content hash."""

from __future__ import annotations

import hashlib
import os
import re
from functools import lru_cache
from pathlib import Path

PANDOC_FROM = "markdown-auto_identifiers+tex_math_dollars"
PANDOC_ARGS = ["--mathjax", "--wrap=none", "--syntax-highlighting=none", "--section-divs=false"]
MARKER = "DL500FRAGMENT"


@lru_cache(maxsize=1)
def pandoc_version() -> str:
    import pypandoc
    return pypandoc.get_pandoc_version()


def fragment_key(markdown: str) -> str:
    h = hashlib.sha256(f"{pandoc_version()}\0{PANDOC_FROM}\0{PANDOC_ARGS}\0{markdown}".encode())
    return h.hexdigest()[:32]


class FragmentCache:
    def __init__(self, folder: Path):
        self.folder = folder

    def get(self, key):
        p = self.folder / key[:2] / f"{key}.html"
        return p.read_text("utf-8") if p.is_file() else None

    def put(self, key, html):
        d = self.folder / key[:2]
        d.mkdir(parents=True, exist_ok=True)
        tmp = d / f".{key}.{os.getpid()}"
        tmp.write_text(html, "utf-8")
        os.replace(tmp, d / f"{key}.html")


def markdown_to_html(texts: list[str], cache: FragmentCache, stats: dict | None = None) -> list[str]:
    """Convert many Markdown bodies; only those not in the cache go to pandoc, all in one call."""
    keys = [fragment_key(t) for t in texts]
    out: list[str | None] = [cache.get(k) for k in keys]
    missing = sorted({k: t for k, t, o in zip(keys, texts, out) if o is None}.items())
    if stats is not None:
        stats["pandoc_fragments"] = stats.get("pandoc_fragments", 0) + len(missing)
        stats["pandoc_calls"] = stats.get("pandoc_calls", 0) + (1 if missing else 0)
    if missing:
        converted = _convert_batch([t for _, t in missing])
        for (k, _), html in zip(missing, converted):
            cache.put(k, html)
        fresh = {k: html for (k, _), html in zip(missing, converted)}
        out = [o if o is not None else fresh[k] for k, o in zip(keys, out)]
    return out  # type: ignore[return-value]


def _convert_batch(texts: list[str]) -> list[str]:
    import pypandoc
    parts = []
    for i, t in enumerate(texts):
        parts.append(f"\n\n```{{=html}}\n<!--{MARKER}:{i}-->\n```\n\n")
        parts.append(t)
    html = pypandoc.convert_text("".join(parts), "html5", format=PANDOC_FROM, extra_args=PANDOC_ARGS)
    pieces = re.split(rf"<!--{MARKER}:(\d+)-->\n?", html)
    result = [""] * len(texts)
    for idx, chunk in zip(pieces[1::2], pieces[2::2]):
        result[int(idx)] = chunk.strip() + "\n"
    return result

