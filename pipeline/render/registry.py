"""The renderers: one module per format, each with `render(prepared, options, target) -> Rendered`.

Adding a format is adding one module with that function and one line below. Modules are imported only when
their format is asked for, so `dl500 build --format epub` never imports WeasyPrint.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

# format → module holding its renderer, in the order a build runs them. The translation report is not a format
# one asks for: every build publishes it, last.
RENDERERS = {
    "epub": "pipeline.render.epub",
    "anki": "pipeline.render.anki",
    "pdf": "pipeline.render.pdf",
    "html": "pipeline.render.web_edition",
    "report": "pipeline.render.translation_report",
}
FORMATS = ("pdf", "epub", "html", "anki")


@dataclass
class RenderTarget:
    """Where a renderer writes (the build's staging folder), its cache folder, and how it reports progress."""

    staging: Path
    cache_dir: Path
    on_event: Callable[[str], None] = lambda text: None  # a stage line
    on_layout: Callable[[dict], None] = lambda event: None  # PDF layout events (render.pdf.parts.build_pdfs_in_parts)
    # Waits for validation's verdict (build.Verdict.require): called before a renderer's costly or untrusted work;
    # raises when the book has validation errors and the build does not --keep-going.
    gate: Callable[[], object] = lambda: None


@dataclass
class Rendered:
    files: list = field(default_factory=list)  # paths written under the staging folder
    diagnostics: list = field(default_factory=list)
    laid_out: int = 0  # documents actually laid out (PDF), for the summary line


def renderer(fmt: str) -> Callable:
    """The `render` function of format `fmt`."""
    return importlib.import_module(RENDERERS[fmt]).render


def write_if_changed(target: Path, data: bytes) -> None:
    """Leave an identical file alone (its timestamp too): unchanged outputs are carried over, not rewritten."""
    from .output import atomic_write
    if not (target.is_file() and target.read_bytes() == data):
        atomic_write(target, data)
