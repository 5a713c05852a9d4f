"""Page numbers stamped after layout: a small WeasyPrint document per laid-out document (or part) printing each
number at its placeholder, overlaid on the pages as Form XObjects (docs/build.md, "The PDF in parts")."""

from __future__ import annotations

from pathlib import Path

from ...templates import template_dir
from .document import PG_WIDEST, UNKNOWN_PAGE
from .layout import write_pdf


STAMP_CSS = """
html, body { margin: 0; padding: 0; }
@page { @top-center { content: none; } @bottom-center { content: counter(page); } }
@page nofoot { @top-center { content: none; } @bottom-center { content: none; } }
div.sp { position: relative; height: 1px; break-before: page; }
div.sp:first-child { break-before: auto; }
div.nofoot { page: nofoot; }
div.sp span { position: absolute; white-space: nowrap; text-align: left; }
/* A TOC entry: dots right-aligned with the number, clipped at the placeholder's left edge, so the entry's leader
   goes on up to its number. */
div.sp span.right { overflow: hidden; background: #fff; }
div.sp span.right i { float: right; font-style: inherit; }
"""


# A TOC leader (CSS leader()) stops a fraction of a dot short of the placeholder, which left a visible gap before
# the stamped dots of a short number: the stamp starts this far to the left, paints over the leader's last dots
# (white background) and draws its own, so the dots run on to the number.
LEADER_OVERLAP_PX = 10
LEADER_OVERLAP_DOTS = 4


def stamp_html(lang: str, layout: dict, start: int, number_of) -> str:
    """The stamp document of one laid-out document (or part) starting at page `start`: one page per page."""
    import html as htmllib
    css = (template_dir() / "book.css").read_text("utf-8")
    per_page: dict = {}
    for i, x, y, w, target, fmt, align, style in layout.get("pg", []):
        text = htmllib.escape(fmt.format(number_of(target)))
        if align == "right":  # about two dots a digit (Noto Sans): three, and the excess is clipped
            text = f"<i>{'.' * (3 * max(0, len(PG_WIDEST) - len(text)) + LEADER_OVERLAP_DOTS)}{text}</i>"
            x, w = x - LEADER_OVERLAP_PX, w + LEADER_OVERLAP_PX
        per_page.setdefault(i, []).append(
            f'<span class="{align}" style="{htmllib.escape(f"left:{x}px;top:{y}px;width:{w}px;{style}")}">'
            f'{text}</span>')
    nofoot = set(layout.get("nofoot", []))
    pages = "".join(f'<div class="sp{" nofoot" if i in nofoot else ""}">{"".join(per_page.get(i, []))}</div>'
                    for i in range(layout["pages"]))
    return (f'<!DOCTYPE html><html lang="{lang}"><head><meta charset="utf-8"><style>{css}\n{STAMP_CSS}</style>'
            f'<style>@page :first {{ counter-reset: page {start}; }}</style></head><body>{pages}</body></html>')


def stamp_pages(writer, first: int, stamp_pdf: bytes) -> None:
    """Overlay the stamp PDF's pages on writer.pages[first:], each as a Form XObject drawn after the page's own
    content (q … Q /dl500pgK Do): no content stream is parsed. Pages that shared a resource dictionary (WeasyPrint
    writes one per document) share its stamped copy, which names every page's form."""
    import io

    from pypdf import PdfReader
    from pypdf.generic import (ArrayObject, DecodedStreamObject, DictionaryObject, FloatObject, IndirectObject,
                               NameObject, NumberObject)
    reader = PdfReader(io.BytesIO(stamp_pdf))
    push = DecodedStreamObject()
    push.set_data(b"q\n")
    push_ref = writer._add_object(push)
    shared: dict = {}  # idnum of a page's resources -> (new resources, its /XObject)
    for k, sp in enumerate(reader.pages):
        page = writer.pages[first + k]
        form = DecodedStreamObject()
        form[NameObject("/Type")] = NameObject("/XObject")
        form[NameObject("/Subtype")] = NameObject("/Form")
        box = sp.mediabox
        form[NameObject("/BBox")] = ArrayObject([FloatObject(float(v)) for v in
                                                 (box.left, box.bottom, box.right, box.top)])
        form[NameObject("/FormType")] = NumberObject(1)
        form[NameObject("/Resources")] = sp.raw_get("/Resources").clone(writer)  # one copy per stamp document
        contents = sp.get_contents()
        form.set_data(contents.get_data() if contents is not None else b"")
        form_ref = writer._add_object(form.flate_encode())
        raw = page.raw_get("/Resources") if "/Resources" in page else None
        key = raw.idnum if isinstance(raw, IndirectObject) else None
        if key is None or key not in shared:
            res = DictionaryObject(raw.get_object()) if raw is not None else DictionaryObject()
            xobj = DictionaryObject(res["/XObject"].get_object()) if "/XObject" in res else DictionaryObject()
            res[NameObject("/XObject")] = xobj
            entry = (writer._add_object(res), xobj)
            if key is not None:
                shared[key] = entry
        res_ref, xobj = shared[key] if key is not None else entry
        name = f"/dl500pg{k}"
        xobj[NameObject(name)] = form_ref
        page[NameObject("/Resources")] = res_ref
        pop = DecodedStreamObject()
        pop.set_data(f"\nQ\n/Artifact BMC {name} Do EMC\n".encode())  # page numbers: layout, not content
        old = page.raw_get("/Contents") if "/Contents" in page else None
        items = list(old.get_object()) if old is not None and isinstance(old.get_object(), ArrayObject) else (
            [old] if old is not None else [])
        page[NameObject("/Contents")] = ArrayObject([push_ref, *items, writer._add_object(pop)])


def anchor_pages(layout: dict, start: int = 1):
    anchors = layout.get("anchors", {})

    def number_of(target):
        hit = anchors.get(target)
        return start + hit[0] if hit else UNKNOWN_PAGE

    return number_of


def write_stamped_pdf(html: str, root: Path, lang: str, font_cache: Path | None = None, tags: bool = True) -> bytes:
    """The single document: laid out once with placeholders, stamped with its own page numbers; tagged (as the
    parts are: their structure trees are merged at the join, pdf.structure)."""
    import io

    from pypdf import PdfReader, PdfWriter
    data, layout = write_pdf(html, root, with_layout=True, tags=tags)
    stamp = write_pdf(stamp_html(lang, layout, 1, anchor_pages(layout)), root)
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(data)))
    stamp_pages(writer, 0, stamp)
    from .fonts import share_fonts
    share_fonts(writer, font_cache)
    writer.compress_identical_objects(remove_duplicates=True, remove_unreferenced=True)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()
