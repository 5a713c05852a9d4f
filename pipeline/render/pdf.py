"""The PDF edition: the assembled edition through the Jinja2 template and CSS paged media into WeasyPrint."""

from __future__ import annotations

import re
from pathlib import Path

import jinja2

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


def templates_dir() -> Path:
    here = Path(__file__).resolve().parents[2] / "templates"
    return here


def local_toc_link(anchor: str) -> str:
    return f'href="#{anchor}"'


def render_edition_html(book, edition, meta: dict, *, chapters=None, front: bool = True, body: bool = True,
                        page_start: int | None = None, toc_link=local_toc_link, recto: bool | None = None) -> str:
    """The edition as one HTML document, or one part of it: the front matter (cover and TOC) and/or chapters.

    A part starts at `page_start`; `toc_link(id)` gives the TOC entry's link attributes (a part prints its
    TOC page numbers as text, the single document asks WeasyPrint for target-counter).
    """
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(templates_dir())), autoescape=False)
    css = (templates_dir() / "book.css").read_text("utf-8") + "\n" + meta.get("pygments_css", "")
    lang = edition.lang
    cl = COVER_LABELS.get(lang, COVER_LABELS["en"])
    title = book.title.get(lang) or book.title.get(book.primary)
    subtitle = (book.meta.get("subtitle") or {}).get(lang, "") if isinstance(book.meta.get("subtitle"), dict) else ""
    return env.get_template("book.html.j2").render(
        lang=lang, title=title, subtitle=subtitle, css=css,
        chapters=edition.chapters if chapters is None else chapters, front=front, body=body, page_start=page_start,
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


def write_pdf(html: str, root: Path, with_layout: bool = False, write: bool = True):
    """HTML → PDF bytes; with_layout: (bytes or None, layout) where layout holds the page count, each anchor's
    page index and position (CSS px from the top left) and the page size in points."""
    import weasyprint
    doc = weasyprint.HTML(string=html, base_url=str(root) + "/", url_fetcher=book_url_fetcher(root))
    if not with_layout:
        return doc.write_pdf(uncompressed_pdf=False)
    document = doc.render()
    anchors = {}
    for i, page in enumerate(document.pages):
        for name, box in page.anchors.items():
            anchors.setdefault(name, [i, round(box[0], 2), round(box[1], 2)])
    size = [round(document.pages[0].width * 0.75, 3), round(document.pages[0].height * 0.75, 3)] \
        if document.pages else [0, 0]
    layout = {"pages": len(document.pages), "anchors": anchors, "size": size}
    data = document.write_pdf(uncompressed_pdf=False) if write else None
    return data, layout


def normalise_bookmark_text(html: str) -> str:
    """Whitespace in heading text leaks into PDF bookmark labels (WeasyPrint #1468): collapse it."""
    return re.sub(r"(<h[1-4][^>]*>)(.*?)(</h[1-4]>)", lambda m: m.group(1) + " ".join(m.group(2).split())
                  + m.group(3), html, flags=re.S)
