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


def templates_dir() -> Path:
    here = Path(__file__).resolve().parents[2] / "templates"
    return here


def render_edition_html(book, edition, meta: dict) -> str:
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(templates_dir())), autoescape=False)
    css = (templates_dir() / "book.css").read_text("utf-8") + "\n" + meta.get("pygments_css", "")
    lang = edition.lang
    cl = COVER_LABELS.get(lang, COVER_LABELS["en"])
    title = book.title.get(lang) or book.title.get(book.primary)
    subtitle = (book.meta.get("subtitle") or {}).get(lang, "") if isinstance(book.meta.get("subtitle"), dict) else ""
    return env.get_template("book.html.j2").render(
        lang=lang, title=title, subtitle=subtitle, css=css, chapters=edition.chapters,
        authors=", ".join(book.meta.get("authors") or []), version=book.meta.get("version", ""),
        edition_label=cl["edition"].format(book.meta.get("edition", 1)), version_label=cl["version"],
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


def write_pdf(html: str, root: Path) -> bytes:
    import weasyprint
    doc = weasyprint.HTML(string=html, base_url=str(root) + "/", url_fetcher=book_url_fetcher(root))
    return doc.write_pdf(uncompressed_pdf=False)


def normalise_bookmark_text(html: str) -> str:
    """Whitespace in heading text leaks into PDF bookmark labels (WeasyPrint #1468): collapse it."""
    return re.sub(r"(<h[1-4][^>]*>)(.*?)(</h[1-4]>)", lambda m: m.group(1) + " ".join(m.group(2).split())
                  + m.group(3), html, flags=re.S)
