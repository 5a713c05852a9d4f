"""The join: the laid-out parts in order as one PDF (pypdf), with one outline, links resolved to pages, the page
numbers stamped, one structure tree and one copy of each font."""

from __future__ import annotations

import io
from pathlib import Path

from .fonts import share_fonts
from .stamp import stamp_pages
from .structure import merge_structure_trees


def join_parts(pdfs: list, parts: list, layout: dict, starts: dict, font_cache: Path | None = None,
               jobs: int = 1, stamps: dict | None = None, recto: bool = False) -> bytes:
    """One PDF: the parts in order (blank versos where a chapter must start on a recto), one outline, the front
    part's metadata, and every href="xref:ID" link turned into a GoTo to the target's page and position."""
    from pypdf import PdfReader, PdfWriter
    from pypdf.generic import ArrayObject, DictionaryObject, FloatObject, NameObject, NumberObject

    writer = PdfWriter()
    first_reader = None
    firsts, placed = {}, []  # placed: (reader, its first page) for the structure trees
    for i, (name, data) in enumerate(pdfs):
        reader = PdfReader(io.BytesIO(data))
        first_reader = first_reader or reader
        placed.append((reader, len(writer.pages)))
        firsts[name] = len(writer.pages)
        writer.append(reader, import_outline=True)
        n = len(reader.pages)
        if recto and n % 2 and i < len(pdfs) - 1:
            box = reader.pages[-1].mediabox
            writer.add_blank_page(float(box.width), float(box.height))
    if first_reader is not None and first_reader.metadata:
        writer.add_metadata({k: v for k, v in first_reader.metadata.items()})
        lang = first_reader.trailer["/Root"].get("/Lang")
        if lang is not None:
            writer._root_object[NameObject("/Lang")] = lang
    merge_structure_trees(writer, placed)  # tagged parts: one tree, marked-content ids kept unique
    part_of = {i: p.name for p in parts for i in p.ids}
    for page in writer.pages:
        for annot in page.get("/Annots", []) or []:
            a = annot.get_object()
            action = a.get("/A")
            if action is None:
                continue
            action = action.get_object()
            uri = action.get("/URI")
            if action.get("/S") != "/URI" or not isinstance(uri, str) or not uri.startswith("xref:"):
                continue
            target = uri[5:]
            name = part_of.get(target)
            hit = layout.get(name, {}).get("anchors", {}).get(target) if name else None
            if hit is None:
                continue
            dest_page = writer.pages[starts[name] - 1 + hit[0]]
            height = float(dest_page.mediabox.height)
            a[NameObject("/A")] = DictionaryObject({
                NameObject("/S"): NameObject("/GoTo"),
                NameObject("/D"): ArrayObject([dest_page.indirect_reference, NameObject("/XYZ"),
                                               FloatObject(round(hit[1] * 0.75, 2)),
                                               FloatObject(round(height - hit[2] * 0.75, 2)), NumberObject(0)])})
    for name, stamp in (stamps or {}).items():
        stamp_pages(writer, firsts[name], stamp)
    share_fonts(writer, font_cache, jobs)
    writer.compress_identical_objects(remove_duplicates=True, remove_unreferenced=True)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()
