"""The cache of laid-out parts (and of page-number template documents): read by the build's plan and by the join's
worker, written by the build."""

from __future__ import annotations

import os
from pathlib import Path

PART_LIMIT_BYTES = 512 * 1024 * 1024  # a part's PDF: the 50-page, 764-formula chapter of the real book is ~3 MB


class PartCache:
    """A laid-out part (or a template document): its PDF and its layout record, two entries of the content cache
    (cache.ContentCache: atomic writes, plain files only, size cap). A hit needs both."""

    def __init__(self, folder: Path):
        from ...cache import ContentCache
        self.pdfs = ContentCache(folder / "pdf", suffix=".pdf", entry_limit=PART_LIMIT_BYTES)
        self.layouts = ContentCache(folder / "layout", suffix=".json")

    def get(self, key):
        layout = self.layouts.get_json(key)
        data = self.pdfs.get_bytes(key) if isinstance(layout, dict) else None
        return (data, layout) if data is not None else None

    def layout_of(self, key):
        """The layout record of a cached part whose PDF is there too (a plain file, not read: the join reads it,
        in its worker), or None."""
        from ...cache import open_plain_file
        layout = self.layouts.get_json(key)
        if not isinstance(layout, dict):
            return None
        opened = open_plain_file(self.pdfs.path(key))
        if opened is None:
            return None
        os.close(opened[0])
        return layout

    def put(self, key, data: bytes, layout: dict):
        self.pdfs.put_bytes(key, data)
        self.layouts.put_json(key, layout)
