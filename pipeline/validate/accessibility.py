"""Accessibility of the source: every Markdown image says what it shows (alt text), at its line (DL450)."""

from __future__ import annotations

from ..diagnostics import diag


def check(book, body_of) -> list:
    out = []
    for (_, _), qt in sorted(book.texts.items()):
        body = body_of(qt)
        for span in body.spans({"image"}):
            if body.prose[span.start:span.start + 2] != "![":
                continue  # an <img> in raw HTML: refused already (DL430)
            if not span.text.strip() and not str(span.attrs.get("alt", "")).strip():
                out.append(diag("DL450", qt.rel, span.line, span.col, f"image '{span.url}' has no alt text",
                                "say what the image shows between the brackets: ![ReLU and its derivative](relu.svg);"
                                " a screen reader reads it, and the EPUB and the tagged PDF carry it"))
    return out
