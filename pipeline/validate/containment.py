"""Containment of links and images: every target is inside the book or an http(s)/mailto URL (DL420–DL429)."""

from __future__ import annotations

import html
import os
import re
from pathlib import Path
from urllib.parse import unquote

from ..diagnostics import diag

ALLOWED_SCHEMES = ("http", "https", "mailto")
SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*):")
WINDOWS_PATH = re.compile(r"^(?:[A-Za-z]:[\\/]|\\\\)")  # C:\ or C:/, \\server
# Browsers drop tabs and line breaks anywhere in a URL and leading controls and spaces before the scheme.
IGNORED_BY_BROWSERS = re.compile(r"[\t\n\r]|^[\x00-\x20]+")
SCHEME_HINTS = {
    "file": "the build reads only the book's folder: copy the file into the chapter and link it relatively",
    "javascript": "links run no code: link to a question by id ([](#id)) or to the web with https://",
    "data": "save the image in the chapter's img/ folder and link to that file",
}


def url_as_browsers_read_it(url: str) -> str:
    """The URL after HTML entities are decoded (`&#106;avascript:`) and the characters browsers drop are dropped."""
    return IGNORED_BY_BROWSERS.sub("", html.unescape(url))


def containment_diagnostic(rel: str, line: int, col: int, url: str, kind: str, base: Path, root: Path):
    """The DL42x finding for a link or image target that leaves the book, or None. `base` is the folder relative
    targets start from, `root` the book's folder; `kind` is 'link' or 'image'."""
    target = url_as_browsers_read_it(url)
    if target.startswith("#"):
        return None
    if WINDOWS_PATH.match(target):
        return _absolute(rel, line, col, url, kind)
    m = SCHEME.match(target)
    if m:
        scheme = m.group(1).lower()
        if scheme in ALLOWED_SCHEMES:
            return None
        return diag("DL420", rel, line, col, f"{kind} to '{_short(url)}': the scheme '{scheme}:' is not allowed",
                    SCHEME_HINTS.get(scheme, "use http(s)://, mailto: or a path inside the book"))
    if target.startswith("//"):
        return None  # protocol-relative: remote, reported as such by the link checks
    path = unquote(target.split("#", 1)[0].split("?", 1)[0]).replace("\\", "/")
    if path.startswith(("/", "~")):
        return _absolute(rel, line, col, url, kind)
    if kind == "link" and path and not _resolves_inside(base, path, root):
        return diag("DL422", rel, line, col, f"link '{_short(url)}' leads outside the book folder",
                    "link to other questions by id: [](#question-id); to the web with https://")
    return None


def _absolute(rel, line, col, url, kind):
    return diag("DL421", rel, line, col, f"{kind} to the absolute path '{_short(url)}'",
                "the build reads only the book's folder: put the file in the chapter and use a relative path")


def _resolves_inside(base: Path, path: str, root: Path) -> bool:
    try:
        real = os.path.realpath(base / path)
    except (OSError, ValueError):
        return False
    return Path(real).is_relative_to(os.path.realpath(root))


def _short(url: str) -> str:
    return url if len(url) <= 80 else url[:77] + "..."
