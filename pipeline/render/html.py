"""Turn pandoc's per-question HTML into what a format needs: numbered cross-references, math, code, figures."""

from __future__ import annotations

import base64
import functools
import html as htmllib
import re
from dataclasses import dataclass, field

from pygments import highlight
from pygments.formatters import HtmlFormatter
from pygments.lexers import TextLexer, get_lexer_by_name
from pygments.util import ClassNotFound

from . import math as mathr
from .markers import formula_marker, image_marker, xref_marker
from .sanitize import sanitize_fragment

MATH_SPAN = re.compile(r'<span class="math (inline|display)">\\[(\[](.*?)\\[)\]]</span>', re.S)
XREF = re.compile(r'<a href="#([^"]+)"([^>]*)>(.*?)</a>', re.S)
PRE = re.compile(r'<pre class="([^"]*)"([^>]*)><code>(.*?)</code></pre>', re.S)
IMG = re.compile(r'<img src="([^"]+)"')
FIGURE = re.compile(r'<figure id="([^"]+)"([^>]*)>(.*?)<figcaption([^>]*)>(.*?)</figcaption>', re.S)
CLAIM = re.compile(r'<span class="claim"([^>]*)>(.*?)</span>', re.S)

LABELS = {
    "zh": {"figure": "图 {}", "chapter": "第 {} 章", "output": "输出", "pending": "本题译文尚未完成，以下为中文原文。",
           "toc": "目录", "see_page": "，第 {} 页", "contributors": "贡献者"},
    "en": {"figure": "Figure {}", "chapter": "Chapter {}", "output": "Output",
           "pending": "Translation pending: this question is shown in the original Chinese.", "toc": "Contents",
           "see_page": ", p. {}", "contributors": "Contributors"},
}


def labels(lang: str) -> dict:
    return LABELS.get(lang, LABELS["en"])


@dataclass
class RenderContext:
    lang: str
    target: str  # "pdf", "epub" or "html" (the web edition: like "pdf", math through math_html)
    ids: dict  # id -> (kind, number)
    chapter_of: dict  # id -> chapter file name (epub)
    math: dict = field(default_factory=dict)  # (tex, display) -> svg result
    figures: dict = field(default_factory=dict)  # (chapter folder, url) -> svg text
    images: dict = field(default_factory=dict)  # (chapter folder, url) -> epub href
    current_chapter_file: str = ""
    math_html: object = None  # "html" target: callable (tex, display) -> markup; the site chooses MathML or SVG
    svg_src: object = None  # callable (svg text) -> the src of an <img> showing it; None: a data: URI
    code: object = field(default_factory=dict)  # (code, language) -> highlighted(); prepare's, read from the cache


def xref_text(ctx: RenderContext, target: str) -> str | None:
    if target not in ctx.ids:
        return None
    kind, number = ctx.ids[target]
    if kind == "figure":
        return labels(ctx.lang)["figure"].format(number)
    if kind == "chapter":
        return labels(ctx.lang)["chapter"].format(number)
    return number


def finish_question_html(fragment: str, ctx: RenderContext, chapter_folder: str) -> str:
    """pandoc's fragment → the format's markup, then through the sanitizer: nothing else reaches an output."""
    html = MATH_SPAN.sub(lambda m: _math(m, ctx), fragment)
    html = XREF.sub(lambda m: _xref(m, ctx, html), html)
    html = PRE.sub(lambda m: _code(m, ctx), html)
    html = FIGURE.sub(lambda m: _figure(m, ctx), html)
    html = IMG.sub(lambda m: _img(m, ctx, chapter_folder), html)
    html = CLAIM.sub(_claim, html)
    html = fill_table_headers(html)
    return sanitize_fragment(html, ctx.target)


EMPTY_TH = re.compile(r"<th([^>]*)>\s*</th>")
EMPTY_HEAD = re.compile(r"<thead>\s*<tr[^>]*>(?:\s*<td[^>]*></td>)*\s*</tr>\s*</thead>\s*")


def fill_table_headers(html: str) -> str:
    """A table header cell is never empty (screen readers announce it for every cell of its column): an empty
    one (a table's corner) becomes a data cell, and a header row with nothing in it goes."""
    return EMPTY_HEAD.sub("", EMPTY_TH.sub(r"<td\1></td>", html))


def _math(m, ctx: RenderContext) -> str:
    display = m.group(1) == "display"
    tex = htmllib.unescape(m.group(2))
    if ctx.math_html is not None:
        out = ctx.math_html(tex, display)
        return out + formula_marker() if 'class="math-fallback"' in out else out
    if ctx.target == "epub":
        try:
            return mathr.mathml_with_fallback(tex, display)
        except Exception as e:
            return f'<code class="math-fallback">{htmllib.escape(tex)}</code>' + formula_marker(type(e).__name__)
    r = ctx.math.get((tex, display))
    if not r or "error" in r:
        return f'<code class="math-fallback">{htmllib.escape(tex)}</code>' + formula_marker((r or {}).get("error", ""))
    img = mathr.svg_img(r, display, tex, ctx.svg_src(r["svg"]) if ctx.svg_src else None)
    return f'<span class="math-block">{img}</span>' if display else img


def _xref(m, ctx: RenderContext, fragment: str) -> str:
    target, attrs, text = m.group(1), m.group(2), m.group(3)
    auto = xref_text(ctx, target)
    if auto is None:  # an anchor inside this question is fine; anything else is a broken reference (DL401)
        return m.group(0) if f'id="{target}"' in fragment else m.group(0) + xref_marker(htmllib.unescape(target))
    href = f"#{target}"
    if ctx.target == "epub":
        file = ctx.chapter_of.get(target, "")
        if file and file != ctx.current_chapter_file:
            href = f"{file}#{target}"
    cls = "xref" if not text.strip() else "xref xref-text"
    shown = text if text.strip() else auto
    return f'<a class="{cls}" href="{href}"{attrs}>{shown}</a>'


def _code(m, ctx: RenderContext) -> str:
    classes = m.group(1).split()
    code = htmllib.unescape(m.group(3))
    if "setup" in classes:
        return ""
    if "output" in classes:
        label = labels(ctx.lang)["output"]
        return (f'<div class="code-output"><span class="output-label">{label}</span>'
                f'<pre class="output"><code>{htmllib.escape(code)}</code></pre></div>')
    lang = classes[0] if classes else ""
    body = ctx.code.get((code, lang)) or highlighted(code, lang)
    if ctx.target == "pdf":
        body = code_lines(PLAIN_TOKEN.sub(r"\1", body))
    extra = " runnable" if "run" in classes else ""
    return f'<pre class="highlight{extra}"><code>{body}</code></pre>'


# Pygments token classes whose whole style is the code's text colour (CODE_TEXT): in print, where book.css gives
# pre.highlight that colour, their spans are dropped and the text looks the same. They were 38% of the elements
# of the real book's print HTML (names, punctuation, operators, whitespace), each one styled, laid out, drawn as a
# text run of its own and tagged by WeasyPrint. tests/test_accessibility.py checks the style still says so.
CODE_TEXT = "#1F2328"
PLAIN_TOKEN_CLASSES = ("n", "p", "o", "w")
PLAIN_TOKEN = re.compile(r'<span class="(?:%s)">([^<]*)</span>' % "|".join(PLAIN_TOKEN_CLASSES))


@functools.lru_cache(maxsize=8192)
def highlighted(code: str, lang: str) -> str:
    """Pygments' HTML of one code block: the same block is shown in both languages, the site and the quiz."""
    try:
        lexer = get_lexer_by_name(lang) if lang else TextLexer()
    except ClassNotFound:
        lexer = TextLexer()
    return highlight(code, lexer, HtmlFormatter(nowrap=True))


def code_blocks(fragment: str) -> set:
    """(code, language) of every block of pandoc's fragment that _code highlights."""
    out = set()
    for m in PRE.finditer(fragment):
        classes = m.group(1).split()
        if "setup" not in classes and "output" not in classes:
            out.add((htmllib.unescape(m.group(3)), classes[0] if classes else ""))
    return out


def highlight_all(blocks: set, cache) -> dict:
    """(code, language) → highlighted() of each block, kept in the content cache (`cache`, a ContentCache keyed
    by Pygments' version, the language and the code): a hit reads one file instead of running the lexer and the
    formatter. What the cache holds goes through the sanitizer with the rest of the fragment."""
    import pygments
    out = {}
    for code, lang in sorted(blocks):
        k = cache.key(f"pygments {pygments.__version__}", "html nowrap", lang, code)
        html = cache.get_text(k)
        if html is None:
            html = highlighted(code, lang)
            cache.put_text(k, html)
        out[(code, lang)] = html
    return out


def code_lines(highlighted: str) -> str:
    """Each source line in its own span.line (a block in print CSS), so a wrapped line gets a hanging indent.
    Pygments closes every token span at the end of a line, so splitting at newlines keeps the markup whole; an
    empty line holds a space, or its block would have no height."""
    lines = highlighted.rstrip("\n").split("\n")
    return "".join(f'<span class="line">{line or " "}</span>' for line in lines)


def _figure(m, ctx: RenderContext) -> str:
    fid, attrs, inner, cap_attrs, caption = m.groups()
    num = xref_text(ctx, fid)
    prefix = f'<span class="figure-number">{num}</span> ' if num else ""
    return f'<figure id="{fid}"{attrs}>{inner}<figcaption>{prefix}{caption}</figcaption>'


def _img(m, ctx: RenderContext, chapter_folder: str) -> str:
    url = htmllib.unescape(m.group(1))
    key = (chapter_folder, url)
    if ctx.target == "epub":
        href = ctx.images.get(key)
        return f'<img src="{href}"' if href else image_marker(url) + m.group(0)
    svg = ctx.figures.get(key)
    if svg is not None and ctx.svg_src is not None:
        return f'<img src="{ctx.svg_src(svg)}"'
    if svg is not None:
        data = base64.b64encode(svg.encode("utf-8")).decode("ascii")
        return f'<img src="data:image/svg+xml;base64,{data}"'
    src = ctx.images.get(key)
    return f'<img src="{src}"' if src else image_marker(url) + m.group(0)


def _claim(m) -> str:
    attrs, text = m.group(1), m.group(2)
    check = re.search(r'data-check="([^"]+)"', attrs) or re.search(r'data-from="([^"]+)"', attrs)
    title = f' title="guarded by {check.group(1)}"' if check else ""  # pandoc escaped the value already
    return f'<span class="claim"{title}>{text}</span>'


CODE_BACKGROUND = "#f6f8fa"  # pre's background in book.css, the EPUB and the site's light theme


def contrast_safe_style():
    """The code highlighting colours: every token colour has a WCAG contrast of at least 4.5:1 (AA, normal
    text) on CODE_BACKGROUND; tests/test_accessibility.py computes it for every token type. Pygments' "friendly"
    fails (Ace: 965 colour-contrast violations on its #f0f0f0)."""
    from pygments.style import Style
    from pygments.token import (Comment, Error, Generic, Keyword, Name, Number, Operator, Punctuation, String,
                                Text, Token)

    class ContrastSafeStyle(Style):
        name = "dl500-contrast"
        background_color = CODE_BACKGROUND
        highlight_color = "#fff8c5"
        styles = {
            Token: "#1f2328", Text: "#1f2328", Punctuation: "#1f2328", Operator: "#1f2328",
            Comment: "italic #57606a", Comment.Preproc: "noitalic #8a3c00", Comment.Special: "#57606a",
            Keyword: "bold #b31d28", Keyword.Constant: "#0550ae", Keyword.Type: "#8a3c00", Operator.Word: "bold #b31d28",
            Name.Builtin: "#0550ae", Name.Function: "#6639ba", Name.Class: "bold #8a3c00", Name.Namespace: "#8a3c00",
            Name.Decorator: "#6639ba", Name.Exception: "#8a3c00", Name.Variable: "#953800", Name.Constant: "#0550ae",
            Name.Attribute: "#0550ae", Name.Tag: "#116329", Name.Entity: "#6639ba", Name.Label: "#8a3c00",
            String: "#0a3069", String.Doc: "italic #0a3069", String.Escape: "bold #8a3c00",
            String.Interpol: "#8a3c00", String.Regex: "#116329", String.Symbol: "#0550ae", Number: "#0550ae",
            Generic.Heading: "bold #0550ae", Generic.Subheading: "bold #6639ba", Generic.Deleted: "#82071e",
            Generic.Inserted: "#116329", Generic.Error: "#82071e", Generic.Emph: "italic", Generic.Strong: "bold",
            Generic.Prompt: "bold #57606a", Generic.Output: "#1f2328", Generic.Traceback: "#82071e",
            Error: "#82071e",
        }

    return ContrastSafeStyle


def pygments_css() -> str:
    return HtmlFormatter(style=contrast_safe_style()).get_style_defs(".highlight")
