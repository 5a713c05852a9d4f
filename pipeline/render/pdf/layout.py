"""WeasyPrint layout of a print document: the PDF, and where its anchors and page-number placeholders fell."""

from __future__ import annotations

from pathlib import Path


def book_url_fetcher(root: Path, svgs: Path | None = None):
    """Resolve only data: URIs, files inside the book folder and the edition's stored SVGs (`svgs`, pdf.svgs);
    the build reads nothing else."""
    from urllib.parse import unquote

    from weasyprint.urls import URLFetcher, URLFetcherResponse

    from .svgs import SCHEME, fetch

    from email.message import EmailMessage
    svg_headers = EmailMessage()  # built once: WeasyPrint turns a dict into an EmailMessage on every response
    svg_headers["Content-Type"] = "image/svg+xml"

    class BookURLFetcher(URLFetcher):
        def fetch(self, url, headers=None):
            if url.startswith(SCHEME) and svgs is not None:
                return URLFetcherResponse(url, fetch(url, svgs), svg_headers)
            if url.startswith("file://"):
                p = Path(unquote(url[7:].split("?")[0])).resolve()
                if not p.is_relative_to(root):
                    raise ValueError(f"dl500 refuses to read {p}: outside the book folder")
            return super().fetch(url, headers)

    return BookURLFetcher(allowed_protocols={"file", "data"})


HB_DROPPED_TABLES = ("BASE", "DSIG", "EBDT", "EBLC", "EBSC", "GPOS", "GSUB", "JSTF", "LTSH", "PCLT", "SVG ")


def subset_with_uharfbuzz(font: bytes | str, index: int, gids, hinting: bool, missing: bool) -> bytes | None:
    """What WeasyPrint's own HarfBuzz subsetting makes of a font (glyph ids kept, glyphs after the last one used
    dropped, the same tables dropped), in one pass through uharfbuzz; None when HarfBuzz cannot subset it. `font`:
    the font's bytes, or the path of its file. WeasyPrint's two passes through cffi built a Python tuple and a C
    array of every glyph id up to the largest one used (~60,000 for a CJK font) and had pycparser parse a new array
    type for each, ~0.2 s of every part's layout. The join's shared programs (pdf.fonts) are made here too."""
    import uharfbuzz as hb
    blob = hb.Blob.from_file_path(font) if isinstance(font, str) else hb.Blob(font)
    spec = hb.SubsetInput()
    spec.glyph_set.update(sorted(gids))
    flags = hb.SubsetFlags.RETAIN_GIDS | hb.SubsetFlags.PASSTHROUGH_UNRECOGNIZED | hb.SubsetFlags.DESUBROUTINIZE
    if not hinting:
        flags |= hb.SubsetFlags.NO_HINTING
    if missing:
        flags |= hb.SubsetFlags.NOTDEF_OUTLINE
    spec.flags = flags
    spec.sets(hb.SubsetInputSets.DROP_TABLE_TAG).update(int.from_bytes(t.encode(), "big") for t in HB_DROPPED_TABLES)
    try:
        out = hb.subset(hb.Face(blob, index), spec)
    except RuntimeError:  # HarfBuzz could not subset it
        return None
    data = bytes(out.blob.data) if out is not None else b""
    return data or None


def _install_font_subsetting() -> None:
    """Route WeasyPrint's per-document font subsetting through subset_with_uharfbuzz (once per process); where
    uharfbuzz fails on a font, WeasyPrint's own subsetting runs."""
    from weasyprint.pdf import fonts
    if getattr(fonts.Font, "_dl500_subset", False) or not hasattr(fonts.Font, "subset"):
        return
    original = fonts.Font.subset

    def subset(self, to_unicode, hinting):
        data = subset_with_uharfbuzz(self.file_content, self.index, to_unicode, hinting, bool(self.missing)) \
            if to_unicode else None
        if data is None:
            return original(self, to_unicode, hinting)
        self.file_content = data

    fonts.Font.subset = subset
    fonts.Font._dl500_subset = True


def write_pdf(html: str, root: Path, with_layout: bool = False, write: bool = True, tags: bool = False,
              svgs: Path | None = None):
    """HTML → PDF bytes; with_layout: (bytes or None, layout) where layout holds the page count, each anchor's
    page index and position (CSS px from the top left) and the page size in points. `tags`: a tagged PDF
    (structure tree, /Lang from <html lang>, /MarkInfo), as the single document writes it."""
    import weasyprint
    _install_font_subsetting()
    doc = weasyprint.HTML(string=html, base_url=str(root) + "/", url_fetcher=book_url_fetcher(root, svgs))
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
