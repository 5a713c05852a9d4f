"""The PDF edition: the assembled edition through the Jinja2 template and CSS paged media into WeasyPrint."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import jinja2
from markupsafe import Markup

from ..templates import template_dir
from .html import labels

COVER_LABELS = {
    "zh": {"edition": "第 {} 版", "version": "版本", "date": "日期", "revision": "源码修订"},
    "en": {"edition": "Edition {}", "version": "Version", "date": "Date", "revision": "Source revision"},
}


def recto_chapters() -> bool:
    """Chapters start on a recto page (blank versos). Off by default; DL500_PDF_RECTO=1 turns it on (a book.yaml
    option would be the right home: the schema is not ours to change here)."""
    import os
    return os.environ.get("DL500_PDF_RECTO", "") == "1"


def pdf_tags() -> bool:
    """The single document is a tagged PDF (structure tree, /Lang, alt text) unless DL500_PDF_TAGS=0 (kept to
    measure the cost: docs/build.md)."""
    import os
    return os.environ.get("DL500_PDF_TAGS", "1") != "0"


DOCUMENT_LANGUAGES = {"zh": "zh-Hans"}  # the book's Chinese is Simplified: say so to screen readers (PDF /Lang)


def document_language(lang: str) -> str:
    """The BCP 47 tag of an edition's document (<html lang>, hence the tagged PDF's /Lang)."""
    return DOCUMENT_LANGUAGES.get(lang, lang)


def local_toc_link(anchor: str) -> Markup:
    return Markup('href="#{}"').format(anchor)


def render_edition_html(book, edition, meta: dict, *, chapters=None, front: bool = True, body: bool = True,
                        page_start: int | None = None, toc_link=local_toc_link, recto: bool | None = None) -> str:
    """The edition as one HTML document, or one part of it: the front matter (cover and TOC) and/or chapters.

    Every printed page number is a placeholder (page_refs, the TOC's span.pg), stamped after layout; `toc_link(id)`
    gives the TOC entry's link attributes (href="#ID" in the single document, href="xref:ID" in the front part).
    `page_start` is no longer used by the parts (kept for callers that want a counter-reset).
    """
    # autoescape=True, not select_autoescape(["html"]): that matches names ending in .html, and ours end in .j2
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(template_dir())), autoescape=True)
    # The pipeline's own CSS and the assembled, sanitized chapter bodies are markup; every other value is text.
    css = Markup((template_dir() / "book.css").read_text("utf-8") + "\n" + meta.get("pygments_css", ""))
    lang = edition.lang
    cl = COVER_LABELS.get(lang, COVER_LABELS["en"])
    title = book.title.get(lang) or book.title.get(book.primary)
    subtitle = (book.meta.get("subtitle") or {}).get(lang, "") if isinstance(book.meta.get("subtitle"), dict) else ""
    widest = placeholder(meta)
    chapters = [dataclasses.replace(ch, body=Markup(page_refs(ch.body, lang, widest)))
                for ch in (edition.chapters if chapters is None else chapters)]
    return env.get_template("book.html.j2").render(
        lang=lang, html_lang=document_language(lang), title=title, subtitle=subtitle, css=css, pg_widest=widest,
        chapters=chapters, front=front, body=body, page_start=page_start,
        toc_link=toc_link, recto=recto_chapters() if recto is None else recto,
        authors=", ".join(book.meta.get("authors") or []), version=book.meta.get("version", ""),
        edition_label=cl["edition"].format(book.meta.get("edition") or 1), version_label=cl["version"],
        date_label=cl["date"], date=meta["date"], date_iso=meta["date_iso"], revision_label=cl["revision"],
        revision=meta.get("revision", ""), license=book.meta.get("license", ""), toc_label=labels(lang)["toc"],
    )


def book_url_fetcher(root: Path):
    """Resolve only data: URIs and files inside the book folder; the build reads nothing else."""
    from urllib.parse import unquote

    from weasyprint.urls import URLFetcher

    class BookURLFetcher(URLFetcher):
        def fetch(self, url, headers=None):
            if url.startswith("file://"):
                p = Path(unquote(url[7:].split("?")[0])).resolve()
                if not p.is_relative_to(root):
                    raise ValueError(f"dl500 refuses to read {p}: outside the book folder")
            return super().fetch(url, headers)

    return BookURLFetcher(allowed_protocols={"file", "data"})


def write_pdf(html: str, root: Path, with_layout: bool = False, write: bool = True, tags: bool = False):
    """HTML → PDF bytes; with_layout: (bytes or None, layout) where layout holds the page count, each anchor's
    page index and position (CSS px from the top left) and the page size in points. `tags`: a tagged PDF
    (structure tree, /Lang from <html lang>, /MarkInfo), as the single document writes it."""
    import weasyprint
    doc = weasyprint.HTML(string=html, base_url=str(root) + "/", url_fetcher=book_url_fetcher(root))
    if not with_layout:
        return doc.write_pdf(uncompressed_pdf=False, pdf_tags=tags)
    document = doc.render(pdf_tags=tags)
    anchors = {}
    for i, page in enumerate(document.pages):
        for name, box in page.anchors.items():
            anchors.setdefault(name, [i, round(box[0], 2), round(box[1], 2)])
    size = [round(document.pages[0].width * 0.75, 3), round(document.pages[0].height * 0.75, 3)] \
        if document.pages else [0, 0]
    pg, nofoot = page_placeholders(document)
    layout = {"pages": len(document.pages), "anchors": anchors, "size": size, "pg": pg, "nofoot": nofoot}
    data = document.write_pdf(uncompressed_pdf=False, pdf_tags=tags) if write else None
    return data, layout


def normalise_bookmark_text(html: str) -> str:
    """Whitespace in heading text leaks into PDF bookmark labels (WeasyPrint #1468): collapse it."""
    return re.sub(r"(<h[1-4][^>]*>)(.*?)(</h[1-4]>)", lambda m: m.group(1) + " ".join(m.group(2).split())
                  + m.group(3), html, flags=re.S)


# ---- Page numbers stamped after layout ---------------------------------------------------------------------------
# Every printed page number (footer, TOC entries, "见 3.6.8，第 N 页" / "p. N") is laid out as a hidden, fixed-width
# placeholder (<span class="pg" data-pg="TARGET">8888…</span>: Noto digits are tabular, so any number up to four
# digits fits), so a layout never depends on page numbers. The numbers are drawn afterwards by a small "stamp" PDF
# (WeasyPrint: the same @page rules, the footer's counter(page), each number absolutely positioned at its
# placeholder with the placeholder's font) overlaid on every page as a Form XObject. The single document and the
# parts go through the same code, so both print the same numbers at the same places.

# Closing punctuation right after a reference goes into its stamped page number ("第 71 页）。", "p. 19)."): the
# placeholder is as wide as the book's longest number, so a shorter number would otherwise leave a gap before it.
CLOSING_PUNCTUATION = "）)］]】」』》〉”’。，、；：！？,.;:!?"
PAGE_REF = re.compile(r'<a class="(xref[^"]*)" href="(#|xref:)([^"]+)"([^>]*)>(.*?)</a>([' +
                      re.escape(CLOSING_PUNCTUATION) + r']{0,3})', re.S)
PG_WIDEST = "8888"  # the widest placeholder; a book's own is as wide as its page count's digits (placeholder())


def placeholder(meta: dict) -> str:
    """The placeholder digits: as many as the last build's page count had (3 on a first build), so that a
    reference's number fills its box; a book that crosses 999 pages lays out again with four."""
    digits = meta.get("pg_digits")
    return "8" * max(1, min(len(PG_WIDEST), 3 if digits is None else int(digits)))
UNKNOWN_PAGE = "??"


def page_refs(body: str, lang: str, widest: str = PG_WIDEST) -> str:
    """A cross-reference prints the target's page: "，第 " as text, then a placeholder for "N 页" (stamped), which
    takes in the closing punctuation that follows the reference (see CLOSING_PUNCTUATION)."""
    prefix, _, suffix = labels(lang)["see_page"].partition("{}")

    def sub(m):
        cls, _, target, _, text, closing = m.groups()
        if target.startswith("fig:") or 'class="pg"' in text:
            return m.group(0)
        fmt = suffix + closing  # the stamp prints the number and what closes the reference, with no gap between
        pg = f'<span class="pg" data-pg="{target}" data-fmt="{{}}{fmt}">{widest}{fmt}</span>'
        return m.group(0)[:-4 - len(closing)] + f'<span class="xref-page">{prefix}{pg}</span></a>'

    return PAGE_REF.sub(sub, body)


def _css_color(c) -> str:
    try:
        r, g, b = (round(255 * max(0.0, min(1.0, v))) for v in c.to("srgb").coordinates)
        return f"rgba({r},{g},{b},{round(c.alpha, 3)})"
    except Exception:  # currentColor or an unexpected value
        return "#000"


def page_placeholders(document) -> tuple[list, list]:
    """[[page, x, y, w, target, fmt, align, css]] of every placeholder (px from the page's content box), and the
    pages that print no footer number (cover, blank)."""
    from weasyprint.formatting_structure import boxes
    found, nofoot = [], []
    for i, page in enumerate(document.pages):
        pb = page._page_box
        pt = pb.page_type
        if pt.blank or pt.name == "cover":
            nofoot.append(i)
        x0, y0 = pb.content_box_x(), pb.content_box_y()
        for b in pb.descendants():
            if not isinstance(b, boxes.InlineBlockBox) or b.element is None or b.element.get("data-pg") is None:
                continue
            s = b.style
            lh = s["line_height"]
            lh = "normal" if lh == "normal" else (f"{lh.value}{lh.unit}" if getattr(lh, "unit", None) else
                                                 str(getattr(lh, "value", lh)))
            family = ", ".join("'" + f.replace("'", "") + "'" for f in s["font_family"])
            css = (f"font-family:{family};font-size:{round(s['font_size'], 3)}px;font-weight:{s['font_weight']};"
                   f"font-style:{s['font_style']};line-height:{lh};color:{_css_color(s['color'])}")
            found.append([i, round(b.position_x - x0, 3), round(b.position_y - y0, 3), round(b.margin_width(), 3),
                          b.element.get("data-pg"), b.element.get("data-fmt") or "{}",
                          b.element.get("data-align") or "left", css])
    return found, nofoot


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


def write_stamped_pdf(html: str, root: Path, lang: str, font_cache: Path | None = None) -> bytes:
    """The single document: laid out once with placeholders, stamped with its own page numbers; tagged (as the
    parts are: their structure trees are merged at the join, pdf_structure)."""
    import io

    from pypdf import PdfReader, PdfWriter
    data, layout = write_pdf(html, root, with_layout=True, tags=pdf_tags())
    stamp = write_pdf(stamp_html(lang, layout, 1, anchor_pages(layout)), root)
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(data)))
    stamp_pages(writer, 0, stamp)
    from .pdf_fonts import share_fonts
    share_fonts(writer, font_cache)
    writer.compress_identical_objects(remove_duplicates=True, remove_unreferenced=True)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()
