"""Markdown → HTML fragments with pandoc: one pandoc call per batch, each fragment cached by content hash.

Raw HTML is off (`-raw_html-raw_attribute`): a `<script>` or a ```` ```{=html} ```` block in a body comes out as
text, never as markup (the validator reports it, DL430/DL431). The batch is split at marker paragraphs that carry
a random nonce, so no body can forge a marker and shift its neighbours' fragments.
"""

from __future__ import annotations

import re
import secrets
import subprocess
from functools import lru_cache
from pathlib import Path

from ..cache import ContentCache, key
from .lifeline import die_with_parent

PANDOC_FROM = "markdown-auto_identifiers+tex_math_dollars-raw_html-raw_attribute"
PANDOC_ARGS = ["--mathjax", "--wrap=none", "--syntax-highlighting=none", "--section-divs=false"]
MARKER = "DL500FRAGMENT"
PANDOC_TIMEOUT_S = 600


@lru_cache(maxsize=1)
def pandoc_version() -> str:
    import pypandoc
    return pypandoc.get_pandoc_version()


def fragment_key(markdown: str) -> str:
    return key(f"pandoc {pandoc_version()}", PANDOC_FROM, " ".join(PANDOC_ARGS), markdown)


class FragmentCache(ContentCache):
    """Pandoc's HTML for one Markdown body, by fragment_key."""

    def __init__(self, folder: Path):
        super().__init__(folder, suffix=".html")

    def get(self, k: str) -> str | None:
        return self.get_text(k)

    def put(self, k: str, html: str) -> None:
        self.put_text(k, html)


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


def markdown_to_typeset_html(items: list[tuple[str, str]], cache_dir: Path, stats: dict | None = None) -> list[str]:
    """(Markdown, language) pairs → pandoc's HTML with the language's typography pass applied.

    The typeset fragment is cached beside pandoc's (`cache_dir/typeset`), keyed by the pandoc key, the language
    and the typography module's code, so a hit reads one file and re-runs neither pandoc nor the pass (~0.2 ms a
    fragment, 0.5 s for the book); a miss goes through markdown_to_html (pandoc's own cache) and the pass.
    """
    from .typography import typeset_html, typography_version
    typeset = ContentCache(Path(cache_dir) / "typeset", suffix=".html", versions=("typeset/1", typography_version()))
    keys = [typeset.key(lang, fragment_key(markdown)) for markdown, lang in items]
    out = [typeset.get_text(k) for k in keys]
    missing = [i for i, o in enumerate(out) if o is None]
    html = markdown_to_html([items[i][0] for i in missing], FragmentCache(Path(cache_dir) / "pandoc"), stats)
    for i, fragment in zip(missing, html, strict=True):
        out[i] = typeset_html(fragment, items[i][1])
        typeset.put_text(keys[i], out[i])
    return out  # type: ignore[return-value]


def run_pandoc(markdown: str) -> str:
    """One pandoc process, killed with the build (a SIGKILLed build leaves no pandoc behind)."""
    import pypandoc
    res = subprocess.run([pypandoc.get_pandoc_path(), "-f", PANDOC_FROM, "-t", "html5", *PANDOC_ARGS],
                         input=markdown.encode("utf-8"), capture_output=True, timeout=PANDOC_TIMEOUT_S,
                         preexec_fn=die_with_parent)
    if res.returncode != 0:
        raise RuntimeError(f"pandoc failed ({res.returncode}): {res.stderr.decode('utf-8', 'replace')[-500:]}")
    return res.stdout.decode("utf-8")


def _convert_batch(texts: list[str]) -> list[str]:
    nonce = secrets.token_hex(8)
    parts = []
    for i, t in enumerate(texts):
        parts.append(f"\n\n{MARKER}-{nonce}-{i}\n\n")
        parts.append(t)
    html = run_pandoc("".join(parts))
    pieces = re.split(rf"<p>{MARKER}-{nonce}-(\d+)</p>\n?", html)
    found = [int(i) for i in pieces[1::2]]
    if found != list(range(len(texts))):
        # A body swallowed the markers after it (an unclosed fence): convert each one alone, still correct.
        return [run_pandoc(t).strip() + "\n" for t in texts]
    result = [""] * len(texts)
    for idx, chunk in zip(pieces[1::2], pieces[2::2]):
        result[int(idx)] = chunk.strip() + "\n"
    return result
