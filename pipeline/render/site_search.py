"""Search for the web edition: Chinese cut into words at build time (jieba), one Pagefind record per question.

Pagefind finds a word by its prefix, and a reader's query rarely cuts Chinese where jieba cut the text ("参数" lies
across jieba's "参|数量"). So each word is indexed with its suffixes too ("卷积核" also as "积核", "核"): every
character of the text starts an indexed word, the query's Chinese is sent to Pagefind character by character, and
site.js keeps the hits whose text holds the query's Chinese runs as written (the original text is a record's `text`
meta). Recall is then that of a substring search, precision that of the exact phrase; snippets are cut by site.js
from the original text, so no space the segmentation added ever shows.
"""

from __future__ import annotations

import functools
import html as htmllib
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

HAN = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
HAN_RUN = re.compile(f"[{HAN}]+")
# Spaces between two Chinese characters are artefacts of markup removal (a tag between them), never the author's.
SPACE_IN_HAN = re.compile(f"(?<=[{HAN}\u3000-\u303f\uff00-\uffef])\\s+(?=[{HAN}\u3000-\u303f\uff00-\uffef])")
MAX_SUFFIX = 6  # longer words add their suffixes up to this length only: queries of one word rarely exceed it


def tidy_text(text: str) -> str:
    """`text` without spaces between Chinese characters (or Chinese punctuation)."""
    return SPACE_IN_HAN.sub("", text)


@functools.lru_cache(maxsize=1)
def _jieba():
    import logging

    import jieba
    jieba.setLogLevel(logging.WARNING)
    jieba.initialize()
    return jieba


def chinese_words(run: str) -> list:
    """The words jieba cuts a run of Chinese characters into, each followed by its suffixes."""
    out = []
    for w in _jieba().cut(run, HMM=True):
        out.append(w)
        out += [w[i:] for i in range(max(1, len(w) - MAX_SUFFIX), len(w))]
    return out


def index_text(text: str) -> str:
    """What Pagefind indexes for `text`: other scripts as they are, Chinese as words separated by spaces."""
    parts, pos = [], 0
    for m in HAN_RUN.finditer(text):
        parts.append(text[pos:m.start()])
        parts.append(" " + " ".join(chinese_words(m.group(0))) + " ")
        pos = m.end()
    parts.append(text[pos:])
    return " ".join("".join(parts).split())


def record_html(r: dict) -> str:
    """One record as the tiny page Pagefind indexes: words in the body, the original text in meta attributes."""
    e = functools.partial(htmllib.escape, quote=True)
    meta = r["meta"]
    return (f'<!doctype html><html lang="{e(r["language"])}"><body>'
            f'<a data-pagefind-meta="target[href], title[data-title], number[data-number], chapter[data-chapter], '
            f'text[data-text]" href="{e(r["url"])}" data-title="{e(meta["title"])}" '
            f'data-number="{e(meta["number"])}" data-chapter="{e(meta.get("chapter", ""))}" '
            f'data-text="{e(tidy_text(r["content"]))}"></a>'
            f'<h1>{e(index_text(meta["title"]))}</h1><p>{e(index_text(r["content"]))}</p></body></html>')


def write_search_index(records: list, site: Path, exe) -> None:
    """Pagefind index of one record per question and language under site/pagefind/ (replaced whole).

    Each record becomes a tiny HTML file that the Pagefind binary indexes in one run (~1.6 s for 1,000 records);
    feeding the same records through the Python API's add_custom_record took ~100 ms each, here ~100 s.
    """
    from .lifeline import die_with_parent
    with tempfile.TemporaryDirectory(prefix="dl500-pagefind-") as tmp:
        src = Path(tmp) / "records"
        for i, r in enumerate(records):
            p = src / r["language"] / f"{i}.html"
            p.parent.mkdir(parents=True, exist_ok=True)
            p.write_text(record_html(r), "utf-8")
        out = Path(tmp) / "pagefind"
        res = subprocess.run([str(exe), "--site", str(src), "--output-path", str(out), "--silent"],
                             capture_output=True, text=True, preexec_fn=die_with_parent)
        if res.returncode != 0:
            raise RuntimeError(f"pagefind failed: {res.stderr.strip()[-500:]}")
        final, old = site / "pagefind", site / ".pagefind.old"
        shutil.rmtree(old, ignore_errors=True)
        if final.exists():
            final.rename(old)
        shutil.copytree(out, final)
        shutil.rmtree(old, ignore_errors=True)
