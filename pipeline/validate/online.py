"""`dl500 check --online`: are the external URLs in the text reachable? Results cached for a week."""

from __future__ import annotations

import json
import os
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor

from ..diagnostics import diag
from . import parsed_body

TTL = 7 * 24 * 3600


def probe(url: str, timeout: float = 8.0) -> str | None:
    """None when the URL answers below 400; else why not."""
    for method in ("HEAD", "GET"):
        req = urllib.request.Request(url, method=method, headers={"User-Agent": "dl500-linkcheck"})
        try:
            with urllib.request.urlopen(req, timeout=timeout) as r:
                if r.status < 400:
                    return None
                why = f"HTTP {r.status}"
        except urllib.error.HTTPError as e:
            why = f"HTTP {e.code}"
            if method == "HEAD" and e.code in (403, 405, 501):
                continue
        except (urllib.error.URLError, OSError, ValueError) as e:
            why = f"{type(e).__name__}: {getattr(e, 'reason', e)}"
        return why
    return why


def check_urls(book, now: float | None = None) -> list:
    now = now or time.time()
    cache_file = book.root.parent / ".dl500-cache" / "urls.json"
    try:
        cache = json.loads(cache_file.read_text("utf-8"))
    except (OSError, ValueError):
        cache = {}
    where = {}
    for (_, _), qt in sorted(book.texts.items()):
        for span in parsed_body(qt).spans({"link"}):
            if span.url.startswith(("http://", "https://")):
                where.setdefault(span.url, []).append((qt.rel, span.line, span.col))
    todo = [u for u in where if u not in cache or now - cache[u]["at"] > TTL]
    with ThreadPoolExecutor(max_workers=8) as ex:
        for url, why in zip(todo, ex.map(probe, todo)):
            cache[url] = {"at": now, "error": why}
    cache_file.parent.mkdir(parents=True, exist_ok=True)
    tmp = cache_file.with_suffix(f".{os.getpid()}.tmp")
    tmp.write_text(json.dumps(cache, indent=1, sort_keys=True), "utf-8")
    os.replace(tmp, cache_file)
    out = []
    for url, places in sorted(where.items()):
        why = cache[url]["error"]
        if why:
            for rel, line, col in places:
                out.append(diag("DL407", rel, line, col, f"{url} is unreachable: {why}",
                                "fix or remove the link; results are cached for 7 days in .dl500-cache/urls.json"))
    return out
