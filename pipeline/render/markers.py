"""Visible marks where the build could not render something (with --keep-going): the diagnostic's code and message
in place, so a published edition shows each problem where it is instead of hiding it."""

from __future__ import annotations

import html as htmllib
import re

REMOTE = re.compile(r"^[a-z][a-z0-9+.-]*://|^//", re.I)


def build_marker(code: str, message: str) -> str:
    """Plain text in brackets (no symbol a font may lack), marked up for styling and for assistive technology."""
    return f'<span class="build-marker" role="note">[{code}: {htmllib.escape(message)}]</span>'


def formula_marker(reason: str = "") -> str:
    return build_marker("DL506", "formula cannot be rendered" + (f" ({reason})" if reason else ""))


def xref_marker(target: str) -> str:
    return build_marker("DL401", f"'#{target}' names no question, section, chapter or figure")


def image_marker(url: str) -> str:
    if REMOTE.match(url):
        return build_marker("DL404", f"remote image '{url}' (the build reads no network)")
    return build_marker("DL402", f"image '{url}' does not exist")
