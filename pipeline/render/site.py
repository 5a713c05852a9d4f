"""The web edition: one static page per chapter (or per section) and language, MathML math, Pagefind search.

Choices, measured (docs/web.md): math is MathML from latex2mathml, adjusted to MathML Core (Chromium draws no
`mathvariant` but "normal", so styled letters become Unicode math letters), with ziamath's SVG as a separate file
shown only where the browser lacks MathML (CSS `@supports`) or where latex2mathml cannot draw the formula. No
script runs to show math. Search is Pagefind with one record per question, its Chinese cut into words by jieba
(site_search.py). Claim marks come from the claims stage the build runs first (site_claims.py); question pages
and the side-by-side view are in site_pages.py. Pages link with relative URLs only, so the site works from any folder or sub-path.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import hashlib
import html as htmllib
import os
import posixpath
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace

from markupsafe import Markup

from ..templates import template_dir
from . import math as mathr
from ..prepare.edition import EditionGroup, EditionQuestion, build_edition, title_of, walk_questions
from .html import RenderContext
from .output import atomic_write
from .site_common import SITE_LABELS, _questions, _walk, site_labels  # noqa: F401  (re-exported)
from .site_claims import claims_key, mark_claims, read_claim_states
from .site_pages import page_labels, start_git_last_changed, write_bilingual_pages, write_question_pages
from .site_search import start_search_index, tidy_text, words_cache_path
from .quiz import write_quiz

TEMPLATES = template_dir() / "site"
PAGE_LIMIT = 180_000  # bytes of HTML; a chapter above it in any language gets one page per section
ROOT = "@ROOT@"  # placeholder for the relative path from a page to the site root, replaced per page

# --- math: MathML Core with an SVG fallback ------------------------------------------------------------------

MATH_VARIANT_NAMES = {
    "bold": "BOLD", "italic": "ITALIC", "bold-italic": "BOLD ITALIC", "double-struck": "DOUBLE-STRUCK",
    "script": "SCRIPT", "bold-script": "BOLD SCRIPT", "fraktur": "FRAKTUR", "bold-fraktur": "BOLD FRAKTUR",
    "sans-serif": "SANS-SERIF", "bold-sans-serif": "SANS-SERIF BOLD", "sans-serif-italic": "SANS-SERIF ITALIC",
    "sans-serif-bold-italic": "SANS-SERIF BOLD ITALIC", "monospace": "MONOSPACE",
}
# Letters Unicode placed in the Letterlike Symbols block instead of the math alphanumerics.
LETTERLIKE = {("ITALIC", "h"): "\u210e", ("SCRIPT", "B"): "\u212c", ("SCRIPT", "E"): "\u2130",
              ("SCRIPT", "F"): "\u2131", ("SCRIPT", "H"): "\u210b", ("SCRIPT", "I"): "\u2110",
              ("SCRIPT", "L"): "\u2112", ("SCRIPT", "M"): "\u2133", ("SCRIPT", "R"): "\u211b",
              ("SCRIPT", "e"): "\u212f", ("SCRIPT", "g"): "\u210a", ("SCRIPT", "o"): "\u2134",
              ("FRAKTUR", "C"): "\u212d", ("FRAKTUR", "H"): "\u210c", ("FRAKTUR", "I"): "\u2111",
              ("FRAKTUR", "R"): "\u211c", ("FRAKTUR", "Z"): "\u2128", ("DOUBLE-STRUCK", "C"): "\u2102",
              ("DOUBLE-STRUCK", "H"): "\u210d", ("DOUBLE-STRUCK", "N"): "\u2115", ("DOUBLE-STRUCK", "P"): "\u2119",
              ("DOUBLE-STRUCK", "Q"): "\u211a", ("DOUBLE-STRUCK", "R"): "\u211d", ("DOUBLE-STRUCK", "Z"): "\u2124"}
PRIME_SUP = re.compile(r"<msup>(<m[ion][^>]*>[^<]*</m[ion]>)<mi>(&#x0203[2-4];|[\u2032-\u2034])</mi></msup>")
VARIANT_TOKEN = re.compile(r'<(mi|mn|mo|mtext)([^>]*?) mathvariant="([a-z-]+)"([^>]*)>([^<]*)</\1>')


def math_letter(c: str, variant: str) -> str:
    """`c` in the Unicode mathematical alphabet `variant` (e.g. BOLD), or `c` itself where there is none."""
    if (variant, c) in LETTERLIKE:
        return LETTERLIKE[(variant, c)]
    name = unicodedata.name(c, "")
    m = re.fullmatch(r"LATIN (CAPITAL|SMALL) LETTER (\w)|GREEK (CAPITAL|SMALL) LETTER (\w+)|DIGIT (\w+)", name)
    if not m:
        return c
    if m.group(1):
        wanted = f"MATHEMATICAL {variant} {m.group(1)} {m.group(2)}"
    elif m.group(3):
        wanted = f"MATHEMATICAL {variant} {m.group(3)} {m.group(4)}"
    else:
        wanted = f"MATHEMATICAL {variant} DIGIT {m.group(5)}"
    try:
        return unicodedata.lookup(wanted)
    except KeyError:
        return c


def mathml_core(mml: str) -> str:
    """latex2mathml output → MathML Core: `mathvariant` other than "normal" becomes Unicode math letters."""
    def token(m):
        tag, before, variant, after, text = m.groups()
        name = MATH_VARIANT_NAMES.get(variant)
        if variant == "normal" or name is None:
            return m.group(0)
        styled = "".join(math_letter(c, name) for c in htmllib.unescape(text))
        extra = ' mathvariant="normal"' if tag == "mi" and len(styled) == 1 and styled == text else ""
        return f"<{tag}{before}{after}{extra}>{htmllib.escape(styled, quote=False)}</{tag}>"
    mml = VARIANT_TOKEN.sub(token, mml)
    # A prime is already a raised glyph: as a superscript Chromium raises it twice.
    return PRIME_SUP.sub(r'<mrow>\1<mo lspace="0" rspace="0">\2</mo></mrow>', mml)


@dataclass
class MathRenderer:
    """(tex, display) → markup for the page; collects the SVG files the pages point at."""

    rendered: dict  # (tex, display) -> ziamath result, from the build
    svg_files: dict = field(default_factory=dict)  # file name -> svg text
    counts: dict = field(default_factory=lambda: {"mathml": 0, "svg_only": 0, "text": 0})
    memo: dict = field(default_factory=dict)

    def __call__(self, tex: str, display: bool) -> str:
        key = (tex, display)
        if key not in self.memo:
            self.memo[key] = self._markup(tex, display)
        return self.memo[key]

    def _svg_img(self, tex: str, display: bool, cls: str) -> str:
        r = self.rendered.get((tex, display))
        if not r or "error" in r:
            return ""
        name = hashlib.sha256(f"{display}\0{mathr.normalise_tex(tex)}".encode()).hexdigest()[:20] + ".svg"
        self.svg_files[name] = r["svg"]
        style = f"width:{r['width_em']}em;height:{r['height_em']}em"
        if not display:
            style += f";vertical-align:-{r['depth_em']}em"
        return (f'<img class="{cls}" alt="{attr(" ".join(tex.split()))}" loading="lazy" style="{style}" '
                f'src="{ROOT}math/{name}">')

    def _markup(self, tex: str, display: bool) -> str:
        kind = "display" if display else "inline"
        mml = mathr.cached_mathml(self.rendered.get((tex, display)))  # prepare keeps it with the formula
        if mml is mathr.MISSING:
            mml = mathr.mathml_entry(tex, display)["mathml"]  # None where latex2mathml raises: SVG or TeX instead
        if mml is not None and (mathr.UNKNOWN.search(mml) or mathr.HAN.search(tex)):
            mml = None
        if mml is not None:
            self.counts["mathml"] += 1
            mml = mathml_core(mml).replace(' xmlns="http://www.w3.org/1998/Math/MathML"', "", 1)
            mml = mml.replace("<math ", f'<math alttext="{attr(" ".join(tex.split()))}" ', 1)
            return f'<span class="math {kind}">{mml}{self._svg_img(tex, display, "math-svg fallback")}</span>'
        img = self._svg_img(tex, display, "math-svg")
        if img:
            self.counts["svg_only"] += 1
            return f'<span class="math {kind} svg-only">{img}</span>'
        self.counts["text"] += 1
        return f'<code class="math-fallback">{htmllib.escape(tex)}</code>'


def attr(s: str) -> str:
    return htmllib.escape(s, quote=True)


# --- Content-Security-Policy ------------------------------------------------------------------------------

# Inline scripts the site itself ships (none today: site.js is a file); each is allowed by its hash, nothing else.
INLINE_SCRIPTS: tuple = ()


def script_hash(source: str) -> str:
    import base64
    return "'sha256-" + base64.b64encode(hashlib.sha256(source.encode("utf-8")).digest()).decode("ascii") + "'"


def content_security_policy(inline_scripts=INLINE_SCRIPTS) -> str:
    """The policy every page carries in a <meta http-equiv>: scripts only from the site's own files (Pagefind
    needs WebAssembly), no inline script but those shipped here by hash, no plugins, no base or form elsewhere.
    Style attributes stay allowed: math images and pandoc's table widths size themselves with them, and the
    sanitizer keeps only sizes and alignment there."""
    scripts = " ".join(["'self'", "'wasm-unsafe-eval'", *(script_hash(s) for s in inline_scripts)])
    return "; ".join([
        "default-src 'none'", f"script-src {scripts}", "style-src 'self'", "style-src-attr 'unsafe-inline'",
        "img-src 'self' data:", "font-src 'self'", "connect-src 'self'", "worker-src 'self'",
        "form-action 'self'", "base-uri 'none'", "object-src 'none'"])


# --- code colours in dark mode ---------------------------------------------------------------------------

DARK_CODE_BG = "#222427"  # --soft in site.css's dark mode: the background of code blocks
DARK_CODE_STYLE = "github-dark"  # Pygments style the dark colours start from
MIN_CONTRAST = 4.5  # WCAG AA for normal text


def _luminance(hex_colour: str) -> float:
    h = hex_colour.lstrip("#")
    h = "".join(c * 2 for c in h) if len(h) == 3 else h[:6]
    def chan(c):
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4
    r, g, b = (chan(int(h[i:i + 2], 16) / 255) for i in (0, 2, 4))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: str, b: str) -> float:
    """WCAG contrast ratio of two #rrggbb colours."""
    la, lb = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def _readable(colour: str, bg: str, target: float = MIN_CONTRAST) -> str:
    """`colour` mixed towards white until it reaches `target` contrast on `bg`."""
    h = colour.lstrip("#")
    h = "".join(c * 2 for c in h) if len(h) == 3 else h[:6]
    rgb = [int(h[i:i + 2], 16) for i in (0, 2, 4)]
    out = "#" + h.lower()
    for step in range(21):
        t = step / 20
        out = "#" + "".join(f"{round(c + (255 - c) * t):02x}" for c in rgb)
        if contrast(out, bg) >= target:
            break
    return out


def dark_highlight_css(style: str = DARK_CODE_STYLE, bg: str = DARK_CODE_BG) -> str:
    """Token colours for dark mode, for every class Pygments writes (so no light colour is left on the dark
    background): from a dark Pygments style, each lightened where needed to 4.5:1 on the code background.
    Screen only: a printed page keeps the light colours."""
    from pygments.styles import get_style_by_name
    from pygments.token import STANDARD_TYPES
    from pygments.util import ClassNotFound
    try:
        dark = get_style_by_name(style)
    except ClassNotFound:  # an old Pygments
        dark = get_style_by_name("monokai")
    rules = []
    for ttype, cls in sorted(STANDARD_TYPES.items(), key=lambda kv: kv[1]):
        if not cls:
            continue
        st = dark.style_for_token(ttype)
        colour = _readable("#" + st["color"], bg) if st["color"] else "inherit"
        rules.append(f".highlight .{cls} {{ color: {colour}; font-weight: {'bold' if st['bold'] else 'normal'}; "
                     f"font-style: {'italic' if st['italic'] else 'normal'}; background: none }}")
    return ("@media screen and (prefers-color-scheme: dark) {\n  " + "\n  ".join(rules) + "\n}\n")


# --- the site's pages -------------------------------------------------------------------------------------

@dataclass
class Page:
    """One HTML page in every language: a whole chapter, or one section of a split chapter. Its outline values
    are those of the first language's Edition (ids and numbers are the same in every language); each language's
    page shows that language's values (SiteBuilder.page_items)."""

    key: str  # "<chapter id>/" or "<chapter id>/<section id>/": the same in every language
    chapter: object  # EditionChapter
    items: tuple  # outline items shown on this page
    section: object = None  # the EditionGroup when the chapter is split
    number: str = ""
    split: bool = False  # the chapter is split per section (its own page keeps only the questions outside them)


# Answers' headings move down by 3 on the pages (Prepared.edition's default), by 2 in the quiz.
CLAMPED_HEADING = re.compile(r"</?h[4-6]")  # in pandoc's fragment: moved down by 3 it would stop at h6
SHIFTED_HEADING = re.compile(r"<(/?)h([4-6])")  # as prepare.edition.demote_headings matches them


def quiz_question(q: EditionQuestion) -> EditionQuestion | None:
    """The quiz's value of a question (headings moved down by 2) from the pages' one (by 3): the same but for
    each heading one level up, where no heading was clamped at h6; None where it was (finish it anew). Finishing
    treats every heading level alike, and a finished body holds `<h` only as a tag (text is escaped), so moving
    headings before or after finishing gives the same bytes."""
    if not q.text_lang or not q.fragment or CLAMPED_HEADING.search(q.fragment[1]):
        return None
    body = SHIFTED_HEADING.sub(lambda m: f"<{m.group(1)}h{int(m.group(2)) - 1}", q.body_html)
    return dataclasses.replace(q, body_html=body)


def quiz_questions_from(index: dict) -> dict:
    """qid → quiz_question of every question of the pages' edition that can be derived (see quiz_question)."""
    out = {}
    for qid, q in index.items():
        derived = quiz_question(q)
        if derived is not None:
            out[qid] = derived
    return out


def page_url(lang: str, key: str) -> str:
    return f"{lang}/{key}"


def relative(from_dir: str, to: str) -> str:
    """A link from the page in folder `from_dir` (site-relative, ending in /) to `to` (site-relative)."""
    base = from_dir.rstrip("/") or "."
    target, _, frag = to.partition("#")
    rel = relative_path(target.rstrip("/") or ".", base)
    rel = "" if rel == "." else rel + ("/" if target.endswith("/") or not target else "")
    return rel + (f"#{frag}" if frag else "") if rel or frag else "./"


def relative_path(target: str, base: str) -> str:
    """posixpath.relpath(target, base) for two site-relative paths, without its abspath and getcwd per call (a
    site links ~150,000 times)."""
    t = [x for x in target.split("/") if x not in ("", ".")]
    b = [x for x in base.split("/") if x not in ("", ".")]
    if ".." in t or ".." in b or target.startswith("/") or base.startswith("/"):
        return posixpath.relpath(target, base)
    n = 0
    while n < len(t) and n < len(b) and t[n] == b[n]:
        n += 1
    return "/".join([".."] * (len(b) - n) + t[n:]) or "."


SEARCH_CHARS = 6000  # of prose indexed per question and language: nearly every answer whole (docs/web.md)
NOT_SEARCHED = re.compile(r'<div class="code-output">.*?</div>|<pre\b.*?</pre>|<table\b.*?</table>'
                          r'|<p class="note pending">.*?</p>', re.S)
SENTENCE_END = re.compile(r"[。！？；.!?;](?=\s|$)|[。！？；]")


def search_text(title: str, body: str, limit: int = SEARCH_CHARS) -> str:
    """What Pagefind indexes for one question: its title and the start of its prose, without code, outputs,
    tables or formulas (they are the bulk of the index and excerpts and rarely what a reader types), cut at the
    last sentence end within `limit` characters."""
    text = strip_tags(NOT_SEARCHED.sub(" ", body))
    if len(text) > limit:
        ends = [m.end() for m in SENTENCE_END.finditer(text, 0, limit)]
        text = text[:ends[-1] if ends and ends[-1] > limit // 2 else limit]
    return f"{title}\n{text}".strip()


SCROLLABLE = re.compile(r'<(pre|table|span class="math display")(?=[\s>])')  # the opening of each


def keyboard_scrollable(html: str) -> str:
    """Code blocks, tables and display formulas scroll sideways when wider than the column: tabindex lets a
    keyboard reach and scroll them (WCAG 2.1.1)."""
    return SCROLLABLE.sub(lambda m: f'<{m.group(1)} tabindex="0"', html)


def strip_tags(html: str) -> str:
    html = re.sub(r'<math.*?</math>|<img[^>]*>|<sup class="claim-mark".*?</sup>|<span class="claim-failure".*?</span>',
                  " ", html, flags=re.S)
    return tidy_text(" ".join(htmllib.unescape(re.sub(r"<[^>]+>", " ", html)).split()))


class SiteBuilder:
    """Holds what the pages are made of, so that `dl500 serve` re-renders one question and rewrites its page."""

    def __init__(self, prepared, langs, out_dir: Path, claims_paths=(), claim_states=None):
        import jinja2
        book = prepared.book
        self.book, self.langs, self.inputs, self.out = book, list(langs), prepared, Path(out_dir)
        # Every value is text unless the pipeline built it as markup (Markup: bodies, contents lists).
        self.env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(TEMPLATES)), autoescape=True,
                                      keep_trailing_newline=True, trim_blocks=True, lstrip_blocks=True)
        self.env.globals["csp"] = content_security_policy()
        self.math = MathRenderer(prepared.math)
        # claims_paths is kept for callers: the states now come from the claim cache itself, which claims.json mirrors
        self.claim_states = read_claim_states(book) if claim_states is None else claim_states
        # (qid, lang) -> (EditionQuestion, claim states, (input key, html, search record))
        self.question_cache: dict = {}
        self.editions: dict = {}  # lang -> the Edition the pages show (html target)
        self.quiz_editions: dict = {}  # lang -> the Edition the quiz shows (answers' headings one level higher)
        self.live_reload = False
        self.changed: dict = {}  # source file → the day it last changed (git), for the question pages
        self.stats = {"questions_rendered": 0, "pages_written": 0}
        self.assets_done: dict = {}  # math, figure and image files written by this builder (see _write_assets)
        self.words_cache = words_cache_path(book)
        # The build sets it: questions, one language's pages and the search index are made in forked processes
        # (never in serve, whose threads a fork would copy mid-work).
        self.fork_workers = False
        self.early_indexer = None  # site_search.EarlyIndexer the build started before the claims stage
        # A folder this builder made itself (the build's private staging set, published as a whole by one rename)
        # needs no write-to-temporary-and-rename per file, nor a look at what is there: on this file system that
        # was ~0.7 ms of 4,400 files. The preview's folder, which a browser reads while it changes, keeps both.
        self.fresh = False
        self._made: set = set()

    # the layout: which page holds which id
    def update(self, prepared, qids=None) -> None:
        """Take a new Prepared (serve, after an edit of the questions `qids`): the editions are assembled again
        from it, reusing every other question as it was."""
        self.inputs, self.book = prepared, prepared.book
        self.math.rendered = prepared.math
        self.assemble_editions(only=qids)

    def assemble_editions(self, fragments=None, only=None) -> None:
        """The web edition of every language from prepare's Edition (`fragments`: a part of prepared.fragments,
        when a forked worker assembles half of the questions; `only`: the questions edited since the last)."""
        for lang in dict.fromkeys([*self.langs, *self.editions]):  # and any assembled on demand (`edition`)
            old = self.editions.get(lang)
            reuse = old.question_index() if old is not None else None
            if fragments is None:
                self.editions[lang] = self.inputs.edition(lang, self._ctx(lang), reuse=reuse, bodies=False, only=only)
            else:
                self.editions[lang] = build_edition(self.book, lang, fragments, self._ctx(lang), reuse=reuse,
                                                    bodies=False)

    def quiz_edition(self, lang: str):
        """The edition the quiz shows: an answer stands alone, its headings one level below the question's. Each
        question is the pages' one with its headings one level up where that is exact (quiz_question), so an
        answer is finished (math, code, sanitizing) once for both."""
        old = self.quiz_editions.get(lang)
        reuse = {**(old.question_index() if old is not None else {}),
                 **quiz_questions_from(self.edition(lang).question_index())}
        self.quiz_editions[lang] = self.inputs.edition(lang, self._ctx(lang), heading_shift=2, bodies=False,
                                                       reuse=reuse)
        return self.quiz_editions[lang]

    def edition(self, lang: str):
        """The Edition the pages of `lang` show (assembled on demand for a language the site does not publish,
        e.g. the original's column of the side-by-side view)."""
        if lang not in self.editions:
            self.editions[lang] = self.inputs.edition(lang, self._ctx(lang), bodies=False)
        return self.editions[lang]

    def plan(self) -> None:
        self.pages, self.page_of = [], {}
        for ch in self.edition(self.langs[0]).chapters if self.langs else ():
            self.pages += self._chapter_pages(ch)
        for p in self.pages:
            self.page_of.setdefault(p.chapter.id, p.key)
            if p.section is not None:
                self.page_of[p.section.id] = p.key
            for it in _walk(p.items):
                self.page_of[it.id if isinstance(it, EditionGroup) else it.qid] = p.key
        for fid, ch_id in self._figure_chapters().items():
            self.page_of.setdefault(fid, self.page_of.get(ch_id, ""))

    def _chapter_pages(self, ch) -> list:
        whole = Page(f"{ch.id}/", ch, ch.items, None, ch.number)
        size = max(sum(len(self._question(ref, lang)[1]) for ref in _questions(ch.items))
                   for lang in self.langs)
        sections = [it for it in ch.items if isinstance(it, EditionGroup)]
        if size <= PAGE_LIMIT or not sections:
            return [whole]
        loose = tuple(it for it in ch.items if isinstance(it, EditionQuestion))
        pages = [Page(f"{ch.id}/", ch, loose, None, ch.number, True)]
        for g in sections:
            pages.append(Page(f"{ch.id}/{g.id}/", ch, g.items, g, g.number, True))
        return pages

    def page_items(self, page, lang: str) -> tuple:
        """The outline values `page` shows in `lang`, from that language's Edition."""
        edition = self.edition(lang)
        if page.section is not None:
            return edition.group(page.section.id).items
        items = edition.chapter(page.chapter.id).items
        return tuple(it for it in items if isinstance(it, EditionQuestion)) if page.split else items

    def page_title(self, page, lang: str) -> str:
        edition = self.edition(lang)
        return (edition.group(page.section.id) if page.section is not None else edition.chapter(page.chapter.id)).title

    def _figure_chapters(self) -> dict:
        chapters = self.edition(self.langs[0]).chapters if self.langs else ()
        out = {}
        for fid, ch_file in (self.inputs.chapter_of or {}).items():
            if fid.startswith("fig:"):
                folder = ch_file.rsplit(".", 1)[0]
                for ch in chapters:
                    if ch.folder == folder:
                        out[fid] = ch.id
        return out

    # questions
    def _ctx(self, lang: str) -> RenderContext:
        images = {}
        for (folder, url) in self.inputs.figures:
            images[(folder, url)] = f"{ROOT}img/{folder}/{url}"
        for (folder, url) in self.inputs.images:
            images[(folder, url)] = f"{ROOT}img/{folder}/{url}"
        return RenderContext(lang, "html", {k: v[:2] for k, v in self.inputs.ids.items()}, {}, math={},
                             figures={}, images=images, math_html=self.math, code=self.inputs.code)

    def _question(self, ref, lang: str, page=None) -> tuple:
        """(input key, html, search record) of one question in one language, from its Edition value; rendered
        again only when that value or its claim states changed."""
        q = self.edition(lang).question(ref.qid)
        if q is None or not q.text_lang:
            return ("", "", None)
        states = self.claim_states.get((q.qid, q.text_lang), [])
        hit = self.question_cache.get((q.qid, lang))
        # the same question and claim objects as last time: nothing of it changed (the pages ask for each question
        # many times, and an edit in serve assembles only the edited question again)
        if hit and (hit[0] is q or hit[0] == q) and (hit[1] is states or claims_key(hit[1]) == claims_key(states)):
            if hit[0] is not q or hit[1] is not states:
                self.question_cache[(q.qid, lang)] = (q, states, hit[2])
            return hit[2]
        entry = self._render_question(q, lang, states)
        self.stats["questions_rendered"] += 1
        self.question_cache[(q.qid, lang)] = (q, states, entry)
        return entry

    def _render_question(self, q, lang: str, states) -> tuple:
        """The site's finishing of an Edition question: claim marks, permalink, language switch, search record."""
        lab = site_labels(lang)
        key = hashlib.sha256("\0".join([q.number, lang, str(q.fallback), q.title_html, q.body_html,
                                        ",".join(q.contributors), claims_key(states)]).encode()).hexdigest()
        title = q.title_html
        body = mark_claims(q.body_html, states, lang)
        body = body.replace('<pre class="highlight runnable">',
                            f'<pre class="highlight runnable" data-label="{attr(lab["runs"])}">')
        body = keyboard_scrollable(body)
        people = ", ".join(htmllib.escape(c) for c in q.contributors)
        credit = f'<span class="contributors">{lab["contributors"]}: {people}</span>' if people else ""
        note = f'<p class="note pending">{lab["pending"]}</p>' if q.fallback else ""
        lang_attr = f' lang="{attr(q.text_lang)}"' if q.text_lang != lang else ""
        switch = "".join(
            f'<a class="lang-switch" hreflang="{o}" lang="{o}" href="{ROOT}{o}/@PAGE:{q.qid}@#{q.qid}">'
            f'{site_labels(o)["lang_name"]}</a>' for o in self.langs if o != lang)
        html = (f'<section class="question" id="{attr(q.qid)}"{lang_attr}>\n'
                f'<h3 class="question-title"><a class="number" href="#{attr(q.qid)}" title="{attr(lab["permalink"])}">'
                f'{q.number}</a> {title}</h3>\n<p class="question-meta">{switch}{credit}</p>{note}\n{body}'
                f'</section>\n')
        record = {"url": f"{lang}/@PAGE:{q.qid}@#{q.qid}", "language": lang,
                  "meta": {"title": strip_tags(title), "number": q.number,
                           "chapter": self._chapter_label(q.qid, lang)},
                  # a question still waiting for its translation is found by its title only: its text is the
                  # original's, which the original's edition indexes
                  "content": strip_tags(title) if q.fallback else search_text(strip_tags(title), body)}
        return (key, html, record)

    def _chapter_label(self, qid: str, lang: str) -> str:
        """"<number> <title>" of the chapter holding `qid` (search results name it)."""
        edition = self.edition(lang)
        maps = self.__dict__.setdefault("_chapter_of", {})
        if maps.get(lang, (None,))[0] is not edition:  # a new edition: map it again
            maps[lang] = (edition, {q.qid: ch for ch in edition.chapters for q in walk_questions(ch.items)})
        ch = maps[lang][1].get(qid)
        return f"{ch.number} {ch.title}" if ch is not None else ""

    # pages
    def render_page(self, page, lang: str) -> str:
        lab = site_labels(lang)
        here = page_url(lang, page.key)
        parts = []
        if page.section is None:
            for g in (it for it in self.edition(lang).chapter(page.chapter.id).items if isinstance(it, EditionGroup)):
                if self.page_of.get(g.id) != page.key:  # split chapter: the chapter page lists its sections,
                    parts.append(self._section_stub(g, lang))  # keeping each question's id as an anchor
        self._walk_items(self.page_items(page, lang), 0 if page.section is None else 1, lang, page, parts)
        body = "\n".join(parts)
        idx = self.pages.index(page)
        prev_page = self.pages[idx - 1] if idx > 0 else None
        next_page = self.pages[idx + 1] if idx + 1 < len(self.pages) else None
        tpl = self.env.get_template("page.html.j2")
        html = tpl.render(
            lang=lang, lab=lab, book_title=title_of(self.book.title, lang, self.book.primary),
            title=self.page_title(page, lang),
            heading_label=(lab["chapter"].format(page.chapter.number) if page.section is None else page.number),
            chapter_label=lab["chapter"].format(page.chapter.number),
            chapter_title=self.edition(lang).chapter(page.chapter.id).title,
            is_section=page.section is not None, section_id=page.section.id if page.section else "", body=Markup(body),
            toc=Markup(self._toc(lang, page)),
            prev=self._neighbour(prev_page, lang), next=self._neighbour(next_page, lang),
            others=[{"lang": o, "name": site_labels(o)["lang_name"], "href": f"{ROOT}{page_url(o, page.key)}"}
                    for o in self.langs if o != lang],
            meta=self.inputs.meta, live_reload=self.live_reload, search=self.search_enabled,
            bilingual=({"href": f"{ROOT}bilingual/{page.key}", "label": page_labels(lang)["side_by_side"]}
                       if len(self.langs) > 1 else None))
        return self.finish(html, here)

    def _section_stub(self, g, lang) -> str:
        t = htmllib.escape(g.title)
        items = "".join(
            f'<li id="{q.qid}"><a href="{ROOT}{lang}/@PAGE:{q.qid}@#{q.qid}"><span class="number">{q.number}</span> '
            f'{htmllib.escape(self._question(q, lang, None)[2]["meta"]["title"] if self._question(q, lang, None)[2] else q.qid)}'
            '</a></li>' for q in _questions(g.items))
        return (f'<h2 class="section-title" id="{g.id}"><a href="#{g.id}"><span class="number">{g.number}</span> '
                f'{t}</a></h2>\n<ol class="section-stub">{items}</ol>')

    def _walk_items(self, items, depth, lang, page, parts) -> None:
        for it in items:
            if isinstance(it, EditionGroup):
                t = htmllib.escape(it.title)
                tag = "h2" if depth == 0 else "h3"
                if page.section is not None and page.section.id == it.id:
                    continue
                parts.append(f'<{tag} class="section-title" id="{it.id}"><span class="number">{it.number}</span> '
                             f'{t}</{tag}>')
                self._walk_items(it.items, depth + 1, lang, page, parts)
            else:
                html = self._question(it, lang, page)[1]
                if depth >= 2:
                    html = html.replace("<h3 class=\"question-title\"", "<h4 class=\"question-title\"", 1)
                    html = html.replace("</h3>\n<p class=\"question-meta\"", "</h4>\n<p class=\"question-meta\"", 1)
                parts.append(html)

    def _neighbour(self, page, lang):
        if page is None:
            return None
        label = (site_labels(lang)["chapter"].format(page.chapter.number) if page.section is None else page.number)
        return {"href": f"{ROOT}{page_url(lang, page.key)}", "label": label,
                "title": self.page_title(page, lang)}

    def _toc(self, lang, page) -> str:
        lab = site_labels(lang)
        out = ['<ol class="toc-chapters">']
        for ch in self.edition(lang).chapters:
            t = htmllib.escape(ch.title)
            current = ch.id == page.chapter.id
            aria = ' aria-current="page"' if current and page.section is None else ""
            out.append(f'<li{" class=current" if current else ""}><a href="{ROOT}{page_url(lang, ch.id + "/")}"{aria}>'
                       f'<span class="number">{ch.number}</span> {t}</a>')
            if current:
                out.append(self._toc_items(ch.items, lang, page))
            out.append("</li>")
        out.append("</ol>")
        del lab
        return "".join(out)

    def _toc_items(self, items, lang, page) -> str:
        out = ["<ol>"]
        for it in items:
            if isinstance(it, EditionGroup):
                t = htmllib.escape(it.title)
                out.append(f'<li><a href="{ROOT}{page_url(lang, self.page_of[it.id])}#{it.id}">'
                           f'<span class="number">{it.number}</span> {t}</a>')
                out.append(self._toc_items(it.items, lang, page) + "</li>")
            else:
                entry = self._question(it, lang, page)
                title = entry[2]["meta"]["title"] if entry[2] else it.qid
                out.append(f'<li><a href="{ROOT}{page_url(lang, self.page_of[it.qid])}#{it.qid}">'
                           f'<span class="number">{it.number}</span> {htmllib.escape(title)}</a></li>')
        out.append("</ol>")
        return "".join(out)

    def finish(self, html: str, here: str, lang: str = "") -> str:
        """Resolve @PAGE:id@ and cross-reference anchors to relative links, and @ROOT@ to the site root.
        Cross-references go to the pages of `lang` (by default the language folder `here` is in)."""
        here_dir = here
        lang = lang or here.split("/", 1)[0]

        def page_ref(m):
            return self.page_of.get(m.group(1), "")
        html = re.sub(r"@PAGE:([^@]+)@", page_ref, html)

        def xref(m):
            target = m.group(2)
            key = self.page_of.get(target)
            if key is None or page_url(lang, key) == here_dir:
                return m.group(0)
            return f'{m.group(1)}{ROOT}{page_url(lang, key)}#{target}"'
        html = re.sub(r'(<a class="xref[^"]*" href=")#([^"]+)"', xref, html)
        root = relative(here_dir, "") if here_dir else ""
        root = "" if root == "./" else root
        html = re.sub(r'(href|src|action)="@ROOT@([^"]*)"',
                      lambda m: f'{m.group(1)}="{relative(here_dir, m.group(2)) if m.group(2) else (root or "./")}"',
                      html)
        return html.replace(ROOT, root)

    # whole site
    @property
    def search_enabled(self) -> bool:
        return getattr(self, "_search", True)

    def write_all(self, search=True) -> list:
        self._search = search and pagefind_available()  # the renderer says so when it is missing
        changed = start_git_last_changed(self.book.root)  # runs while the questions are rendered
        if self.fork_workers:
            self.render_questions_in_two()
        self.assemble_editions()
        self.plan()
        written = []
        # every question is rendered now, so the search records are known: the index is made while pages are written
        index_done = start_search_index(self.search_records(), self.out, pagefind_executable(),
                                        self.words_cache, self.fork_workers, self.early_indexer) if self._search else None
        self.changed = changed()
        langs = list(self.langs)
        other = forked(self, "write_language", langs.pop(0)) if self.fork_workers and len(langs) > 1 else None
        for lang in langs:
            written += self.write_language(lang)[0]
        if other is not None:
            more, pages_written = other()
            written += more
            self.stats["pages_written"] += pages_written
        written += write_bilingual_pages(self)
        written += self._write(self.out / "index.html", self.render_home())
        written += self._write_assets()
        if index_done is not None:
            self.stats["search_indexed"] = index_done()
        return written

    def write_language(self, lang: str) -> tuple:
        """(files written, pages written) of one edition: chapter, contents, search, quiz and question pages."""
        before = self.stats["pages_written"]
        written = []
        for page in self.pages:
            written += self._write(self.out / page_url(lang, page.key) / "index.html", self.render_page(page, lang))
        written += self._write(self.out / lang / "index.html", self.render_contents(lang))
        written += self._write(self.out / lang / "search" / "index.html", self.render_search_page(lang))
        written += write_quiz(self, lang)
        written += write_question_pages(self, lang, self.changed)
        return written, self.stats["pages_written"] - before

    def render_questions_in_two(self) -> None:
        """Assemble and render every question text, half in a forked copy of this process: two cores for the
        largest part of a cold site. The editions then reuse those questions and the pages take them from the cache."""
        refs = [ref for _, ref in self.book.questions()]
        if len(refs) * len(self.langs) < FORK_MIN_TEXTS:
            return
        # a question's languages in the same process: they share formulas and code, each drawn once per process
        other = forked(self, "render_questions", {ref.qid for ref in refs[1::2]})
        self.render_questions({ref.qid for ref in refs[0::2]})
        entries, svg_files, memo, rendered = other()
        for (qid, lang), (q, _states, entry) in entries.items():
            self.editions[lang].question_index()[qid] = q  # what assemble_editions reuses
            self.question_cache[(qid, lang)] = (q, self.claim_states.get((qid, q.text_lang), []), entry)
        self.math.svg_files.update(svg_files)
        self.math.memo.update(memo)
        self.stats["questions_rendered"] += rendered

    def render_questions(self, qids: set) -> tuple:
        """Assemble and render the questions `qids` in every language; returns what a forked worker hands back:
        the cache entries, and the math files, math markup and count it added."""
        svg_before, memo_before = set(self.math.svg_files), set(self.math.memo)
        rendered_before = self.stats["questions_rendered"]
        self.assemble_editions({k: v for k, v in self.inputs.fragments.items() if k[0] in qids})
        entries = {}
        for lang in self.langs:
            for qid in qids:
                q = self.editions[lang].question(qid)
                if q is not None and q.text_lang:
                    entry = self._question(q, lang)
                    entries[(qid, lang)] = (q, None, entry)
        return (entries, {k: v for k, v in self.math.svg_files.items() if k not in svg_before},
                {k: v for k, v in self.math.memo.items() if k not in memo_before},
                self.stats["questions_rendered"] - rendered_before)

    def rewrite_chapters(self, qids: set) -> list:
        """Re-render only the pages holding `qids` (after an edit and `update`): the other questions come from the
        cache."""
        written = []
        for lang in self.langs:
            for page in self.pages:
                if any(q.qid in qids for q in _questions(page.items)):
                    written += self._write(self.out / page_url(lang, page.key) / "index.html",
                                           self.render_page(page, lang))
            written += write_question_pages(self, lang, self.changed, only=qids)
        written += write_bilingual_pages(self, only=qids)
        written += self._write_assets()
        return written

    def search_records(self) -> list:
        out = []
        for lang in self.langs:
            for page in self.pages:
                for ref in _questions(page.items):
                    rec = self._question(ref, lang, page)[2]
                    if rec:
                        url = re.sub(r"@PAGE:([^@]+)@", lambda m: self.page_of.get(m.group(1), ""), rec["url"])
                        out.append({**rec, "url": url})
        return out

    def render_contents(self, lang: str) -> str:
        lab = site_labels(lang)
        here = f"{lang}/"
        chapters = []
        for ch in self.edition(lang).chapters:
            page = next(p for p in self.pages if p.chapter.id == ch.id)
            # attributes, not a dict: in the template `ch.items` of a dict is dict.items, printed as
            # "<built-in method items …>" in place of the chapter's questions
            chapters.append(SimpleNamespace(href=f"{ROOT}{page_url(lang, ch.id + '/')}",
                                            label=lab["chapter"].format(ch.number), title=ch.title,
                                            items=Markup(self._toc_items(ch.items, lang, page))))
        html = self.env.get_template("contents.html.j2").render(
            lang=lang, lab=lab, book_title=title_of(self.book.title, lang, self.book.primary),
            chapters=chapters, meta=self.inputs.meta, live_reload=self.live_reload, search=self.search_enabled,
            others=[{"lang": o, "name": site_labels(o)["lang_name"], "href": f"{ROOT}{o}/"}
                    for o in self.langs if o != lang])
        return self.finish(html, here)

    def render_search_page(self, lang: str) -> str:
        lab = site_labels(lang)
        html = self.env.get_template("search.html.j2").render(
            lang=lang, lab=lab, book_title=title_of(self.book.title, lang, self.book.primary),
            meta=self.inputs.meta, live_reload=self.live_reload, search=self.search_enabled,
            others=[{"lang": o, "name": site_labels(o)["lang_name"], "href": f"{ROOT}{o}/search/"}
                    for o in self.langs if o != lang])
        return self.finish(html, f"{lang}/search/")

    def render_home(self) -> str:
        editions = [{"lang": lang, "name": site_labels(lang)["lang_name"], "href": f"{lang}/",
                     "title": title_of(self.book.title, lang, self.book.primary)}
                    for lang in self.langs]
        html = self.env.get_template("home.html.j2").render(
            lang=self.book.primary, editions=editions, meta=self.inputs.meta, live_reload=self.live_reload,
            book_title=title_of(self.book.title, self.book.primary, self.book.primary))
        return self.finish(html, "")

    def _write_assets(self) -> list:
        written = []
        for name in ("site.css", "site.js", "quiz.css", "quiz.js"):
            written += self._write(self.out / "assets" / name, (TEMPLATES / name).read_text("utf-8"))
        css = self.inputs.meta.get("pygments_css", "")
        if css:
            css = css.rstrip("\n") + "\n" + _dark_css()
        written += self._write(self.out / "assets" / "highlight.css", css)
        # what this builder wrote already is not looked at again (serve calls this after every edit): a math file's
        # name is its content's hash, a figure is known by its text, an image by its path (a changed image
        # rebuilds the whole site, with a new builder)
        done = self.assets_done
        store = shared_svg_folder(self.book) if self.fresh else None
        for name, svg in self.math.svg_files.items():
            if ("math", name) not in done:
                path = self.out / "math" / name
                written += (self._write(path, svg, check=False) if store is None
                            else self._write_shared(path, svg.encode("utf-8"), store))
                done[("math", name)] = True
        for (folder, url), svg in self.inputs.figures.items():
            if done.get(("figure", folder, url)) != svg:
                written += self._write(self.out / "img" / folder / url, svg)
                done[("figure", folder, url)] = svg
        for (folder, url), p in self.inputs.images.items():
            if done.get(("image", folder, url)) != str(p):
                written += self._write(self.out / "img" / folder / url, Path(p).read_bytes())
                done[("image", folder, url)] = str(p)
        return written

    def _write(self, path: Path, data, check=True) -> list:
        raw = data.encode("utf-8") if isinstance(data, str) else data
        if self.fresh:
            return self._write_fresh(path, raw)
        if path.is_file() and (not check or path.read_bytes() == raw):
            return []
        atomic_write(path, raw)
        self.stats["pages_written"] += path.suffix == ".html"
        return [path]

    def _write_shared(self, path: Path, raw: bytes, store: Path) -> list:
        """A file of the build's own staging folder whose bytes the shared SVG store may hold already (named by
        their SHA-256, see pdf.svgs): a hard link to the stored file once its bytes are verified equal, else written
        and linked into the store for the next build. Creating a file costs ~0.6 ms of system time on this file
        system, a link ~0.02 ms; the cold site writes ~3,500 formula files."""
        if path.parent not in self._made:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._made.add(path.parent)
        stored = store / f"{hashlib.sha256(raw).hexdigest()}.svg"
        new = path not in self._made
        if not link_verified(stored, raw, path):
            if not new:  # never write through a link into the store
                path.unlink(missing_ok=True)
            self._write_fresh(path, raw)
            with contextlib.suppress(OSError):  # a read-only store, another file system, a corrupt entry
                store.mkdir(parents=True, exist_ok=True)
                os.link(path, stored)
        self._made.add(path)
        return [path] if new else []

    def _write_fresh(self, path: Path, raw: bytes) -> list:
        if path.parent not in self._made:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._made.add(path.parent)
        new = path not in self._made
        self._made.add(path)
        with open(path, "wb") as f:
            f.write(raw)
        self.stats["pages_written"] += new and path.suffix == ".html"
        return [path] if new else []


def shared_svg_folder(book) -> Path:
    """The content-addressed SVG store a PDF build fills with every formula (pdf.svgs): the site's formula files
    have the same bytes."""
    from .pdf import svg_folder
    return svg_folder(book.root.parent / ".dl500-cache" / "render")


def link_verified(stored: Path, raw: bytes, dest: Path) -> bool:
    """Hard-link `stored` at `dest` when it is a plain file holding exactly `raw`; False (nothing linked) when it is
    missing, a symlink, a FIFO or device, of another size or content, or the link fails. The link is made from the
    open descriptor, so the file linked is the one just read."""
    from ..cache import open_plain_file
    opened = open_plain_file(stored)
    if opened is None:
        return False
    fd, st = opened
    try:
        if st.st_size != len(raw) or os.read(fd, len(raw) + 1) != raw:
            return False
        # any src_dir_fd makes CPython call linkat(AT_SYMLINK_FOLLOW) rather than link(2), which would link the
        # /proc entry itself; the kernel ignores it for this absolute path
        os.link(f"/proc/self/fd/{fd}", dest, src_dir_fd=fd)
        return True
    except OSError:
        return False
    finally:
        os.close(fd)


FORK_MIN_TEXTS = 200  # question texts below which rendering half of them in a fork costs more than it saves
_FORKED: dict = {}  # the builder a forked worker works on: set just before the fork, so nothing is pickled


def _call_forked(method: str, arg):
    return getattr(_FORKED["builder"], method)(arg)


def forked(builder, method: str, arg):
    """Start builder.<method>(arg) in a forked copy of this process (it sees everything rendered so far); returns
    a function that waits for the result (and raises what the method raised)."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor
    _FORKED["builder"] = builder
    from .lifeline import die_with_parent  # a killed build leaves no worker behind
    pool = ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("fork"),
                               initializer=die_with_parent)
    future = pool.submit(_call_forked, method, arg)

    def wait():
        try:
            return future.result()
        finally:
            pool.shutdown()
            _FORKED.pop("builder", None)
    return wait


@functools.lru_cache(maxsize=1)
def _dark_css() -> str:
    return dark_highlight_css()


# --- search -----------------------------------------------------------------------------------------------

def pagefind_executable():
    """The Pagefind binary shipped by the `pagefind[extended]` package (the extended one segments Chinese)."""
    for mod in ("pagefind_bin_extended", "pagefind_bin"):
        try:
            return __import__(mod).get_executable()
        except (ImportError, FileNotFoundError, AttributeError):
            continue
    return None


def pagefind_available() -> bool:
    return pagefind_executable() is not None


def write_search_index(records: list, site: Path, words_cache: Path | None = None) -> bool:
    """Pagefind index of one record per question and language under site/pagefind/ (see site_search); False when
    the index there was made from the same records."""
    from .site_search import write_search_index as write_index
    return write_index(records, site, pagefind_executable(), words_cache)


def write_site(prepared, langs, out_dir, claims_paths=None, search=True, builder=None, claim_states=None, fork=True,
               early_indexer=None):
    """Write the web edition under out_dir; returns the files written (unchanged files are not rewritten).
    `claim_states` (site_claims.claims_for_site) default to what the claim cache holds now."""
    out_dir = Path(out_dir)
    if claims_paths is None:
        claims_paths = [out_dir.parent / "claims.json", prepared.book.root.parent / "build" / "claims.json"]
    if builder is None:
        builder = SiteBuilder(prepared, langs, out_dir, claims_paths, claim_states)
        builder.fresh = not out_dir.exists()  # the build's staging folder: nobody reads it before it is published
        import multiprocessing
        builder.fork_workers = fork and "fork" in multiprocessing.get_all_start_methods()  # not on Windows
        builder.early_indexer = early_indexer if builder.fork_workers else None
    builder.write_all(search=search)
    return [out_dir / "index.html"]
