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


def stamp_pages(pdf, first: int, stamp_pdf: bytes) -> None:
    """Overlay the stamp PDF's pages on pdf.pages[first:] (a pikepdf.Pdf), each as a Form XObject drawn after the
    page's own content (q … Q /dl500pgK Do): no content stream is parsed. Pages that shared a resource dictionary
    (WeasyPrint writes one per document) share its stamped copy, which names every page's form."""
    import io

    import pikepdf
    from pikepdf import Array, Dictionary, Name
    stamp = pikepdf.open(io.BytesIO(stamp_pdf))
    push = pdf.make_indirect(pikepdf.Stream(pdf, b"q\n"))
    shared: dict = {}  # (objnum, gen) of a page's resources -> its stamped copy
    for k, sp in enumerate(stamp.pages):
        page = pdf.pages[first + k].obj
        res = sp.obj.get("/Resources")
        if res is not None and not res.is_indirect:
            res = stamp.make_indirect(res)
        form = pikepdf.Stream(pdf, _contents(sp))
        form.Type, form.Subtype, form.FormType = Name.XObject, Name.Form, 1
        form.BBox = Array([float(v) for v in sp.mediabox])
        form.Resources = pdf.copy_foreign(res) if res is not None else Dictionary()  # one copy per stamp document
        form_ref = pdf.make_indirect(form)
        raw = page.get("/Resources")
        key = raw.objgen if raw is not None and raw.is_indirect else None
        if key is None or key not in shared:
            new = Dictionary(raw) if raw is not None else Dictionary()
            new.XObject = Dictionary(new.XObject) if "/XObject" in new else Dictionary()
            new = pdf.make_indirect(new)
            if key is not None:
                shared[key] = new
        new = shared[key] if key is not None else new
        name = f"/dl500pg{k}"
        new.XObject[name] = form_ref
        page.Resources = new
        pop = pdf.make_indirect(pikepdf.Stream(pdf, f"\nQ\n/Artifact BMC {name} Do EMC\n".encode()))  # not content
        old = page.get("/Contents")
        items = list(old) if isinstance(old, Array) else ([old] if old is not None else [])
        page.Contents = Array([push, *items, pop])


def _contents(page) -> bytes:
    """A page's content streams, decoded and joined (a stamp page has one or a few)."""
    import pikepdf
    contents = page.obj.get("/Contents")
    if contents is None:
        return b""
    streams = list(contents) if isinstance(contents, pikepdf.Array) else [contents]
    return b"\n".join(s.read_bytes() for s in streams)


def anchor_pages(layout: dict, start: int = 1):
    anchors = layout.get("anchors", {})

    def number_of(target):
        hit = anchors.get(target)
        return start + hit[0] if hit else UNKNOWN_PAGE

    return number_of


def write_stamped_pdf(html: str, root: Path, lang: str, tags: bool = True, svgs: Path | None = None) -> bytes:
    """The single document: laid out once with placeholders, stamped with its own page numbers; tagged (as the
    parts are: their structure trees are merged at the join, pdf.structure)."""
    import io

    import pikepdf

    from .fonts import share_fonts
    from .save import save
    from .lean import lean_pdf
    data, layout = write_pdf(html, root, with_layout=True, tags=tags, svgs=svgs)
    data = lean_pdf(data) if tags else data
    stamp = write_pdf(stamp_html(lang, layout, 1, anchor_pages(layout)), root)
    pdf = pikepdf.open(io.BytesIO(data))
    stamp_pages(pdf, 0, stamp)
    share_fonts(pdf)
    return save(pdf)
