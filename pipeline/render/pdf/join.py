"""The join: the laid-out parts in order as one PDF, with one outline, links resolved to pages, the page numbers
stamped, one structure tree and one copy of each font.

pikepdf (qpdf) rather than pypdf: on the real book's tagged Chinese edition (19 parts, 630 pages, ~140,000
structure elements) pypdf's join took 52 s and 1 GiB, most of it parsing and re-writing the structure elements in
Python; qpdf copies them in C++, and writes them into compressed object streams (pypdf has none), which halves the
file (docs/build.md, "The join").
"""

from __future__ import annotations

import io
from pathlib import Path

from .fonts import share_fonts
from .save import save
from .stamp import stamp_pages
from .structure import TreeMerge


def join_parts(pdfs: list, parts: list, layout: dict, starts: dict, stamps: tuple | None = None,
               recto: bool = False, lang: str = "zh", root: Path | None = None, keep: list | None = None) -> bytes:
    """One PDF: the parts in order (blank versos where a chapter must start on a recto), one outline, the front
    part's metadata, and every href="xref:ID" link turned into a GoTo to the target's page and position.
    `stamps`: (the templates' PDF, their keys, each part's page items) for stamp.stamp_pages. `keep`: a list that
    holds the opened documents after the return (a worker about to end leaves freeing them to its exit)."""
    join = Joiner(len(pdfs), recto, keep)
    for name, data in pdfs:
        join.add(name, data)
    return join.finish(parts, layout, starts, stamps, lang, root)


class Joiner:
    """The join, one part at a time in book order (a worker can take the parts it has while the others are laid
    out: pool.early_join_job), then finish(). Every join goes through it, so the objects are made in the same
    order and the file has the same bytes however the parts came."""

    def __init__(self, count: int, recto: bool = False, keep: list | None = None):
        import pikepdf
        self.pdf = pikepdf.Pdf.new()
        self.keep = keep if keep is not None else []
        self.keep.append(self.pdf)
        self.count, self.recto = count, recto
        self.firsts: dict = {}  # part name -> index of its first page
        self.tree = TreeMerge(self.pdf)  # tagged parts: one tree, marked-content ids kept unique

    def add(self, name: str, data: bytes) -> None:
        import pikepdf
        pdf = self.pdf
        src = pikepdf.open(io.BytesIO(data))
        self.keep.append(src)
        first = self.firsts[name] = len(pdf.pages)
        pdf.add_pages_from(src)  # with its outline items and named destinations
        if len(self.firsts) == 1:
            _copy_document_info(pdf, src)
        self.tree.add(src, first)
        if self.recto and len(src.pages) % 2 and len(self.firsts) < self.count:
            box = src.pages[-1].mediabox
            pdf.add_blank_page(page_size=(float(box[2]) - float(box[0]), float(box[3]) - float(box[1])))

    def finish(self, parts: list, layout: dict, starts: dict, stamps: tuple | None, lang: str,
               root: Path | None) -> bytes:
        pdf = self.pdf
        self.tree.finish()
        _resolve_far_links(pdf, parts, layout, starts)
        if stamps:
            templates, keys, items = stamps
            stamp_pages(pdf, templates, keys, [(self.firsts[p.name], its) for p, its in zip(parts, items)], lang,
                        root)
        share_fonts(pdf)
        return save(pdf)


def _copy_document_info(pdf, first) -> None:
    """Title, author, dates and language of the book: the front part's."""
    info = first.trailer.get("/Info")
    if info is not None:
        pdf.trailer.Info = pdf.copy_foreign(info if info.is_indirect else first.make_indirect(info))
    lang = first.Root.get("/Lang")
    if lang is not None:
        pdf.Root.Lang = lang


def _resolve_far_links(pdf, parts: list, layout: dict, starts: dict) -> None:
    """Every link to href="xref:ID" becomes a /GoTo to the page and position where ID was laid out."""
    import pikepdf
    from pikepdf import Array, Dictionary, Name
    part_of = {i: p.name for p in parts for i in p.ids}
    for page in pdf.pages:
        for annot in page.obj.get("/Annots") or Array():
            action = annot.get("/A")
            if not isinstance(action, Dictionary) or action.get("/S") != Name.URI:
                continue
            uri = action.get("/URI")
            uri = str(uri) if isinstance(uri, pikepdf.String) else ""
            if not uri.startswith("xref:"):
                continue
            name = part_of.get(uri[5:])
            hit = layout.get(name, {}).get("anchors", {}).get(uri[5:]) if name else None
            if hit is None:
                continue
            dest = pdf.pages[starts[name] - 1 + hit[0]]
            height = float(dest.mediabox[3])
            annot.A = Dictionary(S=Name.GoTo, D=Array([dest.obj, Name.XYZ, round(hit[1] * 0.75, 2),
                                                      round(height - hit[2] * 0.75, 2), 0]))
