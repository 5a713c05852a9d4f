"""The EPUB 3 edition with ebooklib: one XHTML per chapter, nav + NCX, MathML, a generated cover, fixed bytes."""

from __future__ import annotations

import datetime
import hashlib
import html as htmllib
import io
import re
import zipfile
from pathlib import Path

from .html import labels

EPUB_CSS = """
body { font-family: "Noto Serif", "Noto Serif CJK SC", serif; line-height: 1.6; }
h1, h2, h3, h4 { font-family: "Noto Sans", "Noto Sans CJK SC", sans-serif; }
.number { margin-right: 0.5em; color: #1a4f8a; }
.contributors { font-size: 0.8em; color: #666; }
.note.pending { border-left: 3px solid #c77d00; background: #fff6e5; padding: 0.3em 0.6em; }
pre { background: #f6f8fa; padding: 0.5em; white-space: pre-wrap; font-size: 0.85em; }
pre.output { background: #fff; border: 1px dashed #999; }
.output-label { font-size: 0.75em; color: #666; }
figure { text-align: center; margin: 1em 0; }
figure img { max-width: 100%; }
figcaption { font-size: 0.85em; }
table { border-collapse: collapse; }
th, td { border: 1px solid #999; padding: 0.2em 0.5em; }
span.claim { border-bottom: 1px dotted #2da44e; }
"""


def cover_svg(title: str, subtitle: str, version: str) -> bytes:
    t, s, v = (htmllib.escape(x) for x in (title, subtitle, version))
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="1200" height="1600" viewBox="0 0 1200 1600">'
            f'<rect width="1200" height="1600" fill="#12355b"/>'
            f'<rect x="80" y="80" width="1040" height="1440" fill="none" stroke="#e8eef5" stroke-width="4"/>'
            f'<text x="600" y="640" font-size="110" fill="#ffffff" text-anchor="middle" '
            f'font-family="Noto Sans CJK SC, sans-serif">{t}</text>'
            f'<text x="600" y="760" font-size="48" fill="#cfe0f2" text-anchor="middle" '
            f'font-family="Noto Sans CJK SC, sans-serif">{s}</text>'
            f'<text x="600" y="1440" font-size="36" fill="#cfe0f2" text-anchor="middle" '
            f'font-family="Noto Sans, sans-serif">{v}</text></svg>').encode("utf-8")


def to_xhtml(fragment: str) -> str:
    """pandoc's HTML5 fragments as XHTML: void elements closed, no bare ampersands."""
    fragment = re.sub(r"<(img|br|hr|col|input|wbr)\b([^>]*?)\s*/?>", r"<\1\2/>", fragment)
    fragment = re.sub(r"&(?![A-Za-z]+;|#\d+;|#x[0-9A-Fa-f]+;)", "&amp;", fragment)
    fragment = fragment.replace("&nbsp;", "&#160;")
    return fragment


def write_epub(book, edition, meta: dict, images: dict) -> bytes:
    """images: epub href -> bytes (figures and static images, each stored once)."""
    from ebooklib import epub
    lang = edition.lang
    title = book.title.get(lang) or book.title.get(book.primary)
    subtitle = (book.meta.get("subtitle") or {}).get(lang, "") if isinstance(book.meta.get("subtitle"), dict) else ""
    e = epub.EpubBook()
    ident = "urn:dl500:" + hashlib.sha256(f"{book.meta.get('id')}:{lang}:{book.meta.get('version')}".encode()
                                          ).hexdigest()[:24]
    e.set_identifier(ident)
    e.set_title(title)
    e.set_language(lang)
    for a in book.meta.get("authors") or ["dl500"]:
        e.add_author(a)
    e.add_metadata("DC", "date", meta["date_iso"][:10])
    e.add_metadata("DC", "rights", str(book.meta.get("license", "")))
    e.add_metadata("DC", "description", subtitle or title)
    add_accessibility_metadata(e, lang)
    e.set_cover("cover.svg", cover_svg(title, subtitle, f"{book.meta.get('version', '')}  ·  {meta['date']}"),
                create_page=True)
    e.get_item_with_id("cover").is_linear = True  # a non-linear cover must be linked from somewhere (OPF-096)
    from .html import pygments_css
    css = epub.EpubItem(uid="style", file_name="style.css", media_type="text/css",
                        content=(EPUB_CSS + pygments_css()).encode())
    e.add_item(css)
    for href, data in sorted(images.items()):
        mt = "image/svg+xml" if href.endswith(".svg") else "image/png" if href.endswith(".png") else \
            "image/jpeg" if href.endswith((".jpg", ".jpeg")) else "image/gif"
        e.add_item(epub.EpubItem(uid="img-" + re.sub(r"[^A-Za-z0-9]", "-", href), file_name=href,
                                 media_type=mt, content=data))
    docs, toc = [], []
    for ch in edition.chapters:
        body = (f'<section class="chapter" id="{ch.id}"><h1><span class="number">{ch.label}</span>'
                f"{ch.title_html}</h1>{to_xhtml(ch.body)}</section>")
        doc = epub.EpubHtml(title=ch.title, file_name=f"{ch.folder}.xhtml", lang=lang, uid=f"ch-{ch.folder}")
        doc.content = body
        doc.add_item(css)
        if "<math" in body:
            doc.properties.append("mathml")
        if "<svg" in body:
            doc.properties.append("svg")
        e.add_item(doc)
        docs.append(doc)
        sections = [epub.Link(f"{ch.folder}.xhtml#{s['id']}", f"{s['number']} {_plain(s['title'])}",
                              f"{ch.folder}-{s['id']}") for s in ch.sections]
        toc.append((epub.Section(f"{ch.label} {ch.title}", href=f"{ch.folder}.xhtml"), sections)
                   if sections else epub.Link(f"{ch.folder}.xhtml", f"{ch.label} {ch.title}", ch.folder))
    e.toc = toc
    e.add_item(epub.EpubNcx())
    nav = epub.EpubNav(title=labels(lang)["toc"])
    e.add_item(nav)
    e.spine = [("cover", "yes"), "nav", *docs]
    buf = io.BytesIO()
    epub.write_epub(buf, e, {"mtime": meta["datetime"], "epub3_pages": False, "raise_exceptions": True})
    return fix_zip(buf.getvalue(), meta["datetime"], lang)


ACCESS_SUMMARY = {
    "zh": "本书的文字、标题结构、目录与阅读顺序完整；公式为带 TeX 替代文本的 MathML，图片均有替代文本，"
          "代码高亮的颜色对比度不低于 WCAG AA（4.5:1）。",
    "en": "Text, heading structure, table of contents and reading order are complete; formulas are MathML with "
          "their TeX as alternative text, every image has alternative text, and the code highlighting keeps a "
          "contrast of at least WCAG AA (4.5:1).",
}
ACCESS_FEATURES = ("structuralNavigation", "tableOfContents", "readingOrder", "alternativeText", "MathML",
                   "displayTransformability")


def add_accessibility_metadata(e, lang: str) -> None:
    """schema.org accessibility metadata (EPUB Accessibility 1.1), as Ace by DAISY checks it. Every image has
    alt text (DL450 refuses one without), so text alone is sufficient; figures are also visual."""
    def prop(name, value):
        e.add_metadata(None, "meta", value, {"property": name})
    prop("schema:accessMode", "textual")
    prop("schema:accessMode", "visual")
    prop("schema:accessModeSufficient", "textual")
    prop("schema:accessModeSufficient", "textual,visual")
    for feature in ACCESS_FEATURES:
        prop("schema:accessibilityFeature", feature)
    prop("schema:accessibilityHazard", "none")
    prop("schema:accessibilitySummary", ACCESS_SUMMARY.get(lang, ACCESS_SUMMARY["en"]))
    prop("dcterms:conformsTo", "EPUB Accessibility 1.1 - WCAG 2.1 Level AA")
    prop("a11y:certifiedBy", "dl500 build checks (epubcheck, Ace by DAISY)")


PACKAGE_TAG = re.compile(rb"<package\b[^>]*>")


def add_package_language(opf: bytes, lang: str) -> bytes:
    """ebooklib writes dc:language but no xml:lang on <package>; Ace (epub-lang) wants the package's own."""
    tag = PACKAGE_TAG.search(opf)
    if tag is None or b"xml:lang=" in tag.group(0):
        return opf
    new = tag.group(0)[:-1] + f' xml:lang="{lang}">'.encode()
    return opf[:tag.start()] + new + opf[tag.end():]


def _plain(s: str) -> str:
    return htmllib.unescape(re.sub(r"<[^>]+>", "", s))


def fix_zip(data: bytes, when: datetime.datetime, lang: str | None = None) -> bytes:
    """Rewrite the archive with fixed timestamps and order (mimetype first, stored): same input, same bytes;
    with `lang`, the package document gets its xml:lang."""
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    stamp = (max(1980, when.year), when.month, when.day, when.hour, when.minute, when.second)
    names = src.namelist()
    order = ["mimetype"] + sorted(n for n in names if n != "mimetype")
    with zipfile.ZipFile(out, "w") as z:
        for n in order:
            info = zipfile.ZipInfo(n, date_time=stamp)
            info.compress_type = zipfile.ZIP_STORED if n == "mimetype" else zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            content = src.read(n)
            if lang and n.endswith(".opf"):
                content = add_package_language(content, lang)
            z.writestr(info, content)
    return out.getvalue()


def image_href(chapter_folder: str, url: str) -> str:
    name = Path(url).name
    return f"images/{chapter_folder}/{name}"


def render(prepared, options, target):
    """The EPUB of each language into the staging folder (the registry's interface; render.registry)."""
    from .html import RenderContext
    from .registry import Rendered, write_if_changed
    out = Rendered()
    for lang in options.langs:
        target.on_event(f"epub {lang}")
        ctx = RenderContext(lang, "epub", dict(prepared.ids), dict(prepared.chapter_of), code=prepared.code)
        images = {}
        for (folder, url), svg in prepared.figures.items():
            ctx.images[(folder, url)] = image_href(folder, url)
            images[image_href(folder, url)] = svg.encode("utf-8")
        for (folder, url), p in prepared.images.items():
            ctx.images[(folder, url)] = image_href(folder, url)
            images[image_href(folder, url)] = p.read_bytes()
        data = write_epub(prepared.book, prepared.edition(lang, ctx), dict(prepared.meta), images)
        path = target.staging / lang / "dl500.epub"
        write_if_changed(path, data)
        out.files.append(path)
    return out
