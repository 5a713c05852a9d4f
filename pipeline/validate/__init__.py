"""Validate the model: each family of checks reads the book and returns diagnostics, never raises on bad input."""

from __future__ import annotations

from functools import lru_cache

from ..markdown import Body
from . import contributors, links, math, numbering, outline


@lru_cache(maxsize=4096)
def _body(text: str, first_line: int) -> Body:
    return Body(text, first_line)


def parsed_body(qt) -> Body:
    """The scanned body of a question text, parsed once per run."""
    return _body(qt.body, qt.body_line)


FAMILIES = (outline.check, numbering.check, links.check, math.check, contributors.check)


def validate(book, only_files: set | None = None) -> list:
    """All validation diagnostics; `only_files` restricts per-file findings to those files."""
    out = []
    for family in FAMILIES:
        out += family(book, parsed_body)
    if only_files is not None:
        out = [d for d in out if d.file in only_files]
    return out
