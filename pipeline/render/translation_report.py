"""The translation report renderer: translation-status.{json,html,md} and the badge, published with the editions
(the report itself is built by pipeline.status; its links to sources are relative to where it is published)."""

from __future__ import annotations

import json

from .output import atomic_write
from .registry import Rendered, RenderTarget


def render(prepared, options, target: RenderTarget) -> Rendered:
    from ..status import build_report, render_badge, render_html, render_markdown
    target.on_event("translation report")
    book = prepared.book
    report = build_report(book)
    files = {"translation-status.json": json.dumps(report, ensure_ascii=False, indent=2) + "\n",
             "translation-status.html": render_html(book, report, options.out_dir),
             "translation-status.md": render_markdown(report),
             "translation-badge.svg": render_badge(report)}
    out = Rendered()
    for name, text in files.items():
        atomic_write(target.staging / name, text.encode("utf-8"))
        out.files.append(target.staging / name)
    return out
