"""The print document: the assembled edition through the Jinja2 template, with a placeholder for every printed page number."""

from __future__ import annotations

import dataclasses
import functools
import re

import jinja2
from markupsafe import Markup

from ...templates import template_dir
from ..html import labels

COVER_LABELS = {
    "zh": {"edition": "第 {} 版", "version": "版本", "date": "日期", "revision": "源码修订"},
    "en": {"edition": "Edition {}", "version": "Version", "date": "Date", "revision": "Source revision"},
}


DOCUMENT_LANGUAGES = {"zh": "zh-Hans"}  # the book's Chinese is Simplified: say so to screen readers (PDF /Lang)


def document_language(lang: str) -> str:
    """The BCP 47 tag of an edition's document (<html lang>, hence the tagged PDF's /Lang)."""
    return DOCUMENT_LANGUAGES.get(lang, lang)


def local_toc_link(anchor: str) -> Markup:
    return Markup('href="#{}"').format(anchor)


@functools.lru_cache(maxsize=4)
def _environment(folder: str):
    """One environment per process, so book.html.j2 is compiled once, not once per part (21 times an edition:
    ~0.2 s of every build); the loader still reloads a template whose file changed."""
    # autoescape=True, not select_autoescape(["html"]): that matches names ending in .html, and ours end in .j2
    return jinja2.Environment(loader=jinja2.FileSystemLoader(folder), autoescape=True)


def render_edition_html(book, edition, meta: dict, *, chapters=None, front: bool = True, body: bool = True,
                        page_start: int | None = None, toc_link=local_toc_link, recto: bool = False) -> str:
    """The edition as one HTML document, or one part of it: the front matter (cover and TOC) and/or chapters.

    Every printed page number is a placeholder (page_refs, the TOC's span.pg), stamped after layout; `toc_link(id)`
    gives the TOC entry's link attributes (href="#ID" in the single document, href="xref:ID" in the front part).
    `page_start` is no longer used by the parts (kept for callers that want a counter-reset).
    """
    env = _environment(str(template_dir()))
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
        toc_link=toc_link, recto=recto,
        authors=", ".join(book.meta.get("authors") or []), version=book.meta.get("version", ""),
        edition_label=cl["edition"].format(book.meta.get("edition") or 1), version_label=cl["version"],
        date_label=cl["date"], date=meta["date"], date_iso=meta["date_iso"], revision_label=cl["revision"],
        revision=meta.get("revision", ""), license=book.meta.get("license", ""), toc_label=labels(lang)["toc"],
    )


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


@dataclasses.dataclass(frozen=True)
class PrintSettings:
    """What the layout and the join need from the build's options (BuildOptions): passed down, never read from the
    environment below the CLI."""
    recto: bool = False  # chapters start on a recto page (blank versos)
    tags: bool = True  # a tagged PDF (structure tree, /Lang, alt text)
    part_limit_mib: int = 600  # a part whose worker grew past this is a DL902 warning
