"""Search for the web edition: Chinese cut into words at build time (jieba), one Pagefind record per question.

Pagefind finds a word by its prefix, and a reader's query rarely cuts Chinese where jieba cut the text ("参数" lies
across jieba's "参|数量"). So each word is indexed with its suffixes too ("卷积核" also as "积核", "核"): every
character of the text starts an indexed word, the query's Chinese is sent to Pagefind character by character, and
site.js keeps the hits whose text holds the query's Chinese runs as written (the original text is a record's `text`
meta). Recall is then that of a substring search, precision that of the exact phrase; snippets are cut by site.js
from the original text, so no space the segmentation added ever shows.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import html as htmllib
import json
import os
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


class WordCache:
    """index_text() of every text indexed last time, by the text's hash (.dl500-cache/render/search-words.json):
    jieba runs only on text it has not cut before, and its dictionary is not even loaded when nothing is new."""

    def __init__(self, path: Path | None):
        self.path, self.used, self.new = path, {}, 0
        self.known = {}
        if path is not None:
            try:
                data = json.loads(path.read_text("utf-8"))
                self.known = data if isinstance(data, dict) else {}
            except (OSError, ValueError):
                self.known = {}

    def index_text(self, text: str) -> str:
        key = hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]
        out = self.known.get(key)
        if not isinstance(out, str):
            out = index_text(text)
            self.new += 1
        self.used[key] = out
        return out

    def save(self) -> None:
        """Keep the texts of this index only, so the file never grows past the book."""
        if self.path is None or (not self.new and len(self.used) == len(self.known)):
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_name(f".{self.path.name}.{os.getpid()}")
        tmp.write_text(json.dumps(self.used, ensure_ascii=False), "utf-8")
        os.replace(tmp, self.path)


def record_html(r: dict, words: WordCache | None = None) -> str:
    """One record as the tiny page Pagefind indexes: words in the body, the original text in meta attributes."""
    e = functools.partial(htmllib.escape, quote=True)
    cut = words.index_text if words is not None else index_text
    meta = r["meta"]
    return (f'<!doctype html><html lang="{e(r["language"])}"><body>'
            f'<a data-pagefind-meta="target[href], title[data-title], number[data-number], chapter[data-chapter], '
            f'text[data-text]" href="{e(r["url"])}" data-title="{e(meta["title"])}" '
            f'data-number="{e(meta["number"])}" data-chapter="{e(meta.get("chapter", ""))}" '
            f'data-text="{e(tidy_text(r["content"]))}"></a>'
            f'<h1>{e(cut(meta["title"]))}</h1><p>{e(cut(r["content"]))}</p></body></html>')


RECORDS_STAMP = ".dl500-records"  # in site/pagefind/: the digest of the records that index was made from


def records_digest(records: list, exe) -> str:
    h = hashlib.sha256(json.dumps(records, ensure_ascii=False, sort_keys=True).encode("utf-8"))
    h.update(f"\0{exe}\0{INDEX_FORMAT}".encode())
    return h.hexdigest()


INDEX_FORMAT = "2"  # bump when record_html or the suffix rule changes: the index is then made again


def index_is_current(records: list, site: Path, exe) -> bool:
    """Whether site/pagefind/ was made from exactly these records (then Pagefind need not run)."""
    stamp = site / "pagefind" / RECORDS_STAMP
    try:
        return stamp.read_text("utf-8") == records_digest(records, exe) and \
            (site / "pagefind" / "pagefind.js").is_file()
    except OSError:
        return False


def write_search_index(records: list, site: Path, exe, words_cache: Path | None = None) -> bool:
    """Pagefind index of one record per question and language under site/pagefind/ (replaced whole), unless the
    index there was made from the same records; True when Pagefind ran.

    Each record becomes a tiny HTML file that the Pagefind binary indexes (~1.6 s for 1,000 records); feeding the
    same records through the Python API's add_custom_record took ~100 ms each, here ~100 s.
    """
    if index_is_current(records, site, exe):
        return False
    words = WordCache(words_cache)
    with tempfile.TemporaryDirectory(prefix="dl500-pagefind-") as tmp:
        src, langs = Path(tmp) / "records", []
        for i, r in enumerate(records):
            p = src / r["language"] / f"{i}.html"
            if r["language"] not in langs:
                langs.append(r["language"])
                p.parent.mkdir(parents=True, exist_ok=True)
            p.write_text(record_html(r, words), "utf-8")
        words.save()
        out = index_per_language(exe, src, Path(tmp), langs) or run_pagefind(exe, src, Path(tmp) / "all")
        (out / RECORDS_STAMP).write_text(records_digest(records, exe), "utf-8")
        publish_index(out, site)
    return True


def run_pagefind(exe, src: Path, out: Path, glob: str | None = None) -> Path:
    """One Pagefind run over the record pages under `src` (those `glob` matches), written to `out`."""
    from .lifeline import die_with_parent
    res = subprocess.run([str(exe), "--site", str(src), "--output-path", str(out), "--silent",
                          *(["--glob", glob] if glob else [])], capture_output=True, text=True,
                         preexec_fn=die_with_parent)
    if res.returncode != 0:
        raise RuntimeError(f"pagefind failed: {res.stderr.strip()[-500:]}")
    return out


ENTRY = "pagefind-entry.json"


def index_per_language(exe, src: Path, tmp: Path, langs: list) -> Path | None:
    """The index of every language, made by one Pagefind run per language at the same time (Pagefind indexes
    each language apart: the same files as one run over all, on as many cores); None when there is one language,
    or when the runs disagree on a file they share (another Pagefind): then one run makes it."""
    if len(langs) < 2:
        return None
    from concurrent.futures import ThreadPoolExecutor
    with ThreadPoolExecutor(max_workers=len(langs)) as pool:  # each thread waits on its own process
        outs = list(pool.map(lambda lang: run_pagefind(exe, src, tmp / f"index-{lang}", f"{lang}/*.html"), langs))
    return merge_indexes(outs)


def merge_indexes(outs: list) -> Path | None:
    """Pagefind outputs of disjoint languages as one, in the first: each language's own files move in and the
    entry lists every language. None (nothing moved) unless the files every run writes (scripts, shared wasm) and
    the entry's other fields are the same in all."""
    first = outs[0]
    entry = json.loads((first / ENTRY).read_text("utf-8"))
    moves = []
    for other in outs[1:]:
        more = json.loads((other / ENTRY).read_text("utf-8"))
        if {k: v for k, v in more.items() if k != "languages"} != {k: v for k, v in entry.items() if k != "languages"}:
            return None
        entry["languages"].update(more["languages"])
        for path in sorted(p for p in other.rglob("*") if p.is_file() and p.name != ENTRY):
            dest = first / path.relative_to(other)
            if not dest.exists():
                moves.append((path, dest))
            elif dest.read_bytes() != path.read_bytes():
                return None
    for path, dest in moves:
        dest.parent.mkdir(parents=True, exist_ok=True)
        os.replace(path, dest)
    (first / ENTRY).write_text(json.dumps(entry, ensure_ascii=False, separators=(",", ":")), "utf-8")
    return first


def publish_index(out: Path, site: Path) -> None:
    """`out` becomes site/pagefind/ (replacing the index there): renamed where it is on the same file system (a
    copy creates ~1,400 files again), else copied."""
    final, old = site / "pagefind", site / ".pagefind.old"
    shutil.rmtree(old, ignore_errors=True)
    if final.exists():
        final.rename(old)
    try:
        os.rename(out, final)
    except OSError:
        shutil.copytree(out, final)
    shutil.rmtree(old, ignore_errors=True)


def words_cache_path(book) -> Path:
    """Where the words jieba cut are kept between builds (WordCache)."""
    return book.root.parent / ".dl500-cache" / "render" / "search-words.json"


class EarlyIndexer:
    """A process forked before the pages are rendered that loads jieba's dictionary meanwhile (~0.6 s; the build
    has a core free while the claims stage runs, and the index is the last thing a cold site waits for), then
    makes the index from the records it is sent. Only where no word is cached yet: otherwise jieba may not be
    needed at all."""

    def __init__(self, words_cache: Path | None):
        import multiprocessing
        ctx = multiprocessing.get_context("fork")
        self.conn, child = ctx.Pipe()
        self.process = ctx.Process(target=_early_indexer, args=(child, words_cache), daemon=True)
        self.process.start()
        child.close()
        self.sent = False

    def start(self, records: list, site: Path, exe, words_cache: Path | None):
        """Send the records; returns a function that waits for write_search_index (raising what it raised)."""
        self.conn.send((records, site, exe, words_cache))
        self.sent = True

        def wait():
            try:
                ok, value = self.conn.recv()
            except EOFError:
                raise RuntimeError("the search index process died") from None
            finally:
                self.process.join()
            if not ok:
                raise value
            return value
        return wait

    def close(self) -> None:
        """Let the process go (an unused one exits at once)."""
        if not self.sent:
            with contextlib.suppress(OSError):
                self.conn.send(None)
        self.conn.close()
        self.process.join(timeout=5)


def _early_indexer(conn, words_cache: Path | None) -> None:
    from .lifeline import die_with_parent
    die_with_parent()
    if words_cache is None or not words_cache.is_file():
        _jieba()
    try:
        job = conn.recv()
    except EOFError:
        return
    if job is None:
        return
    try:
        result = (True, write_search_index(*job))
    except Exception as e:  # noqa: BLE001 — raised again in the build
        result = (False, e)
    try:
        conn.send(result)
    except Exception:  # an exception that does not pickle
        conn.send((False, RuntimeError(f"{type(result[1]).__name__}: {result[1]}")))


def start_search_index(records: list, site: Path, exe, words_cache: Path | None, background: bool,
                       early: EarlyIndexer | None = None):
    """Start write_search_index; returns a function that waits for it (and raises what it raised). In the
    background it runs in a forked process (`early`'s, when given), so on a second core while the pages are
    written."""
    if not background or index_is_current(records, site, exe):
        ran = write_search_index(records, site, exe, words_cache)
        return lambda: ran
    if early is not None:
        return early.start(records, site, exe, words_cache)
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor
    from .lifeline import die_with_parent  # a killed build leaves no worker behind
    pool = ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("fork"),
                               initializer=die_with_parent)
    future = pool.submit(write_search_index, records, site, exe, words_cache)

    def wait():
        try:
            return future.result()
        finally:
            pool.shutdown()
    return wait
