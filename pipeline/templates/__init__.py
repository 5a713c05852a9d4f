"""The Jinja2 templates, CSS and scripts every renderer reads, shipped as package data (pyproject.toml)."""

from __future__ import annotations

from importlib import resources
from pathlib import Path


def template_dir() -> Path:
    """The folder holding book.html.j2, book.css, the status templates and site/ (the web edition's assets).

    Found through importlib.resources, so an installed `dl500` finds the copy installed with it, not a source tree.
    """
    return Path(str(resources.files(__name__)))
