"""Raw HTML and unsafe attributes in titles and bodies: refused here, at their line, before anything renders.

Why refuse rather than sanitize silently: pandoc reads bodies with raw HTML off (render.pandoc), so a tag in a
body would be printed as text in every edition; the author should hear about it at its line and write Markdown.
The sanitizer (render.sanitize) stays behind this as the last line of defence.
"""

from __future__ import annotations

import re

from ..diagnostics import diag
from .body_scanner import parse_attrs

# A tag as pandoc's raw_html extension would take it: name, attributes, optional self-closing slash; or a comment.
RAW_TAG = re.compile(
    r"<(?P<close>/?)(?P<name>[A-Za-z][A-Za-z0-9-]*)"
    r"(?:\s+[A-Za-z_:][-\w:.]*(?:\s*=\s*(?:\"[^\"]*\"|'[^']*'|[^\s\"'=<>`]+))?)*\s*/?>"
    r"|<!--")
RAW_FORMAT = re.compile(r"\{\s*=[A-Za-z][\w-]*\s*\}")
ATTR_LIST = re.compile(r"\{([^{}\n]*=[^{}\n]*)\}")  # any pandoc attribute list with a key=value in it
UNSAFE_ATTR = re.compile(r"^(on[a-z]+|style|srcdoc|formaction|href|src|xlink:href|action)$", re.I)

RAW_HINT = ("write Markdown instead (emphasis *x*, images ![alt](path), tables as pipe tables); to show a tag as "
            "text, put it in backticks: `<eos>`")


def check(book, body_of) -> list:
    out = []
    for (_, _), qt in sorted(book.texts.items()):
        out += title_findings(qt)
        out += body_findings(qt, body_of(qt))
    return out


def title_findings(qt) -> list:
    p = qt.positions.get("title")
    line, col = (p.line, p.col) if p else (1, 1)
    out = []
    for m in opening_tags(qt.title or ""):
        out.append(raw_html(qt.rel, line, col, m.group(0)))
    for m in RAW_FORMAT.finditer(qt.title or ""):
        out.append(raw_block(qt.rel, line, col, m.group(0)))
    return out


def body_findings(qt, body) -> list:
    prose = blank_math(body)
    out = []
    for m in opening_tags(prose):
        out.append(raw_html(qt.rel, *body.pos(m.start()), m.group(0)))
    for m in RAW_FORMAT.finditer(prose):
        out.append(raw_block(qt.rel, *body.pos(m.start()), m.group(0)))
    for cb in body.code_blocks:
        if RAW_FORMAT.fullmatch(cb.info.strip()) or re.fullmatch(r"=[A-Za-z][\w-]*", cb.info.strip()):
            out.append(raw_block(qt.rel, cb.line, 1, cb.info.strip()))
        out += unsafe_attributes(qt.rel, cb.line, 1, cb.attrs)
    for m in ATTR_LIST.finditer(prose):
        _, attrs, _ = parse_attrs(m.group(1))
        out += unsafe_attributes(qt.rel, *body.pos(m.start()), attrs)
    return out


def opening_tags(text: str):
    """Raw tags and comments, one finding per element: a closing tag adds nothing to its opening one."""
    return (m for m in RAW_TAG.finditer(text) if not m.group("close"))


def blank_math(body) -> str:
    """The body's prose (code already blanked) with math spans blanked too: `$a<b$` is TeX, not a tag."""
    prose = body.prose
    spans = body.spans({"math-inline", "math-display"})
    if not spans:
        return prose
    chars = list(prose)
    for s in spans:
        for i in range(s.start, s.end):
            if chars[i] != "\n":
                chars[i] = " "
    return "".join(chars)


def raw_html(rel, line, col, tag) -> object:
    shown = tag if len(tag) <= 60 else tag[:57] + "..."
    return diag("DL430", rel, line, col, f"raw HTML {shown!r}: the book is Markdown, and raw HTML is shown as text",
                RAW_HINT)


def raw_block(rel, line, col, what) -> object:
    return diag("DL431", rel, line, col, f"raw output block {what!r}: pandoc passes it to the output unchecked",
                "remove the {=format} attribute; write the content in Markdown")


def unsafe_attributes(rel, line, col, attrs: dict) -> list:
    return [diag("DL432", rel, line, col, f"attribute {key}={value!r} is not allowed in the book's markup",
                 "remove it: event handlers, inline styles and link targets in attribute lists are stripped from "
                 "every edition")
            for key, value in attrs.items() if UNSAFE_ATTR.match(key)]
