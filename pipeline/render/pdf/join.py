"""The join: the laid-out parts in order as one PDF, with one outline, links resolved to pages, the page numbers
stamped, one structure tree and one copy of each font.

pikepdf (qpdf) rather than pypdf: on the real book's tagged Chinese edition (19 parts, 630 pages, ~140,000
structure elements) pypdf's join took 52 s and 1 GiB, most of it parsing and re-writing the structure elements in
Python; qpdf copies them in C++, and writes them into compressed object streams (pypdf has none), which halves the
file (docs/build.md, "The join").
"""

from __future__ import annotations

import io
import re
from pathlib import Path

from .fonts import share_fonts
from .save import save
from .svgpath import GLYPH
from .stamp import stamp_pages
from .structure import TreeMerge


def join_parts(pdfs: list, parts: list, layout: dict, starts: dict, stamps: tuple | None = None,
               recto: bool = False, lang: str = "zh", root: Path | None = None, keep: list | None = None) -> bytes:
    """One PDF: the parts in order (blank versos where a chapter must start on a recto), one outline, the front
    part's metadata, and every href="xref:ID" link turned into a GoTo to the target's page and position. Each
    part's structure tree is merged right after its pages are copied. `stamps`: (the templates' PDF, their keys,
    each part's page items) for stamp.stamp_pages. `keep`: a list that holds the opened documents after the
    return (a worker about to end leaves freeing them to its exit)."""
    import pikepdf
    keep = keep if keep is not None else []
    pdf = pikepdf.Pdf.new()
    keep.append(pdf)
    firsts: dict = {}  # part name -> index of its first page
    tree = TreeMerge(pdf)  # tagged parts: one tree, marked-content ids kept unique
    for i, (name, data) in enumerate(pdfs):
        src = pikepdf.open(io.BytesIO(data))
        keep.append(src)
        first = firsts[name] = len(pdf.pages)
        pdf.add_pages_from(src)  # with its outline items and named destinations
        if i == 0:
            _copy_document_info(pdf, src)
        tree.add(src, first)
        if recto and len(src.pages) % 2 and i < len(pdfs) - 1:
            box = src.pages[-1].mediabox
            pdf.add_blank_page(page_size=(float(box[2]) - float(box[0]), float(box[3]) - float(box[1])))
    tree.finish()
    _resolve_far_links(pdf, parts, layout, starts)
    if stamps:
        templates, keys, items = stamps
        stamp_pages(pdf, templates, keys, [(firsts[name], its) for (name, _), its in zip(pdfs, items)], lang, root)
    share_glyph_forms(pdf)
    share_fonts(pdf)
    return save(pdf)


GLYPH_FORM = re.compile("/" + GLYPH)  # svgpath's glyph forms, as resource names


def share_glyph_forms(pdf) -> int:
    """One copy of each formula glyph's form (svgpath) for the whole book: every part drew its own. A form is
    named by a hash of its content; two of the same name are shared only if their stored bytes are equal too.
    Returns how many copies were dropped (qpdf writes only what is still referenced)."""
    import pikepdf
    first: dict = {}  # name -> (form, its raw bytes)
    done, dropped = set(), 0
    for page in pdf.pages:
        res = page.obj.get("/Resources")
        forms = res.get("/XObject") if isinstance(res, pikepdf.Dictionary) else None
        if not isinstance(forms, pikepdf.Dictionary):
            continue
        shared = forms.objgen if forms.is_indirect else res.objgen if res.is_indirect else None
        if shared in done:  # a part's pages share one resource dictionary: each is looked at once
            continue
        if shared is not None:
            done.add(shared)
        for name in [k for k in forms.keys() if GLYPH_FORM.fullmatch(k)]:
            form = forms[name]
            if not isinstance(form, pikepdf.Stream):
                continue
            kept = first.get(name)
            if kept is None:
                first[name] = (form, form.read_raw_bytes())
            elif kept[0].objgen != form.objgen and kept[1] == form.read_raw_bytes() \
                    and kept[0].stream_dict.unparse() == form.stream_dict.unparse():
                forms[name] = kept[0]
                dropped += 1
    return dropped


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
