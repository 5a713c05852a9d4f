"""Link checks: cross-references resolve, images exist inside the book, no remote images, URLs well formed."""

from __future__ import annotations

import os
import re
from pathlib import Path
from urllib.parse import urlparse

from ..diagnostics import diag
from .containment import containment_diagnostic
from .limits import read_source_bytes
from .numbering import reference_index

URL_OK = re.compile(r"^(https?|mailto):[^\s<>\"]+$")


def check(book, body_of) -> list:
    out = []
    idx = reference_index(book, body_of)
    for (_, _), qt in sorted(book.texts.items()):
        body = body_of(qt)
        local_ids = set(re.findall(r"\{#([^\s}]+)", body.prose))
        for span in body.spans({"link", "image"}):
            url = span.url
            leaves = containment_diagnostic(qt.rel, span.line, span.col, url, span.kind, qt.path.parent, book.root)
            if leaves is not None:
                out.append(leaves)
            elif span.kind == "image":
                out += image_diagnostics(book, qt, span, url)
            elif url.startswith("#"):
                target = url[1:]
                if not target:
                    out.append(diag("DL405", qt.rel, span.line, span.col, "empty anchor '#'",
                                    "write [](#question-id) to refer to a question"))
                elif target not in idx and target not in local_ids:
                    code = "DL406" if ":" in target else "DL401"
                    out.append(diag(code, qt.rel, span.line, span.col, f"'#{target}' names no question, section, "
                                    "chapter or figure", _suggest(target, idx)))
            elif re.match(r"^[a-z][a-z0-9+.-]*:", url, re.I):
                if not URL_OK.match(url) or not urlparse(url).netloc and not url.startswith("mailto:"):
                    out.append(diag("DL405", qt.rel, span.line, span.col, f"malformed URL '{url}'",
                                    "write a full http(s):// address"))
            elif url:
                out.append(diag("DL405", qt.rel, span.line, span.col, f"relative link '{url}'",
                                "link to other questions by id: [](#question-id); to the web with https://"))
    return out


def image_diagnostics(book, qt, span, url) -> list:
    if re.match(r"^[a-z][a-z0-9+.-]*://", url, re.I) or url.startswith("//"):
        return [diag("DL404", qt.rel, span.line, span.col, f"remote image '{url}'",
                     "the build reads no network: save the image beside the chapter (or generate it) and link it")]
    if not url:
        return [diag("DL402", qt.rel, span.line, span.col, "image with an empty path", "give the image's path")]
    if is_generated_figure(qt.path.parent, url):
        return []
    if url.startswith("figures/"):
        fn = url[len("figures/"):].rsplit(".", 1)[0].replace("-", "_")
        return [diag("DL402", qt.rel, span.line, span.col, f"generated figure '{url}' has no function {fn}() "
                     "in the chapter's figures.py", f"define {fn}() returning a matplotlib Figure in figures.py")]
    try:
        target = Path(os.path.realpath(qt.path.parent / url))
    except (OSError, ValueError):
        target = None
    if target is None or not target.is_relative_to(os.path.realpath(book.root)):
        return [diag("DL403", qt.rel, span.line, span.col, f"image '{url}' is outside the book folder",
                     "copy it into the chapter's img/ folder and link it from there")]
    if not target.is_file():
        return [diag("DL402", qt.rel, span.line, span.col, f"image '{url}' does not exist",
                     f"add {Path(url).name} under {qt.path.parent.name}/ or fix the path")]
    return []


def _suggest(target: str, idx) -> str:
    import difflib
    close = difflib.get_close_matches(target, list(idx), n=1)
    return f"did you mean [](#{close[0]})?" if close else "check the id in chapter.yaml"


def is_generated_figure(chapter_dir: Path, url: str) -> bool:
    """figures/<name>.svg is drawn at build time by <name>() (hyphens → underscores) in the chapter's figures.py."""
    if not url.startswith("figures/") or not url.endswith(".svg"):
        return False
    script = chapter_dir / "figures.py"
    if not script.is_file():
        return False
    code, _ = read_source_bytes(script, "figures.py", chapter_dir)
    fn = url[len("figures/"):-4].replace("-", "_")
    return code is not None and re.search(rf"^def {re.escape(fn)}\(", code.decode("utf-8", "replace"), re.M) is not None
