"""Prepare: what every edition shares, made once per build before any renderer runs.

load → validate → claims → **prepare** → render. `prepare()` renders each question text once with pandoc (cached),
applies the typography pass, draws each distinct formula once (SVG for print, MathML for screens; cached), runs
the figure scripts in the sandbox (cached), collects the images, resolves cross-references and dates the build.
The result, `Prepared`, is immutable; renderers ask it for an `Edition` (one language, assembled for their target:
PDF, EPUB, …) and never assemble chapters themselves.
"""

from __future__ import annotations

import dataclasses
import datetime
import os
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType

from ..diagnostics import diag
from ..render import math as mathr
from ..render.figures import FIGURE_URL, draw_figures
from ..render.html import MATH_SPAN, RenderContext, pygments_css
from ..render.pandoc import markdown_to_typeset_html
from ..validate import parsed_body
from ..validate.body_scanner import may_hold_image
from ..validate.numbering import reference_index
from .edition import Edition, build_edition


@dataclass(frozen=True)
class Prepared:
    """Everything the renderers share. `math`, `figures` and `images` are also what the web edition reads."""

    book: object
    langs: tuple
    texts: MappingProxyType  # (qid, text language) → QuestionText shown by some edition
    fragments: MappingProxyType  # (qid, text language) → (title HTML, body HTML), typeset
    math: MappingProxyType  # (tex, display) → rendered SVG/MathML and problems
    figures: MappingProxyType  # (chapter folder, url) → SVG text drawn by figures.py
    images: MappingProxyType  # (chapter folder, url) → Path of a static image
    meta: MappingProxyType  # date, revision, epoch, pygments CSS
    ids: MappingProxyType  # id → numbered target
    chapter_of: MappingProxyType  # id → the chapter file that holds it (EPUB links)
    diagnostics: tuple = ()
    stats: dict = field(default_factory=dict, compare=False)
    code: MappingProxyType = field(default_factory=lambda: MappingProxyType({}))  # (code, language) → highlighted

    def edition(self, lang: str, ctx: RenderContext, heading_shift: int = 3, reuse=None, bodies=True,
                only=None) -> Edition:
        """One language, assembled for the target `ctx` describes (math, image URLs, link style). `reuse`: the
        question index of an earlier edition (Edition.question_index), whose unchanged questions are kept;
        `bodies=False`: the outline values only; `only`: the qids changed since `reuse` (edition.build_edition)."""
        return build_edition(self.book, lang, self.fragments, ctx, heading_shift, reuse, bodies, only)


def prepare(book, langs, cache_dir: Path, jobs: int, on_event=lambda text: None) -> Prepared:
    """Render what the editions of `langs` show, once; diagnostics for formulas and images that cannot be shown."""
    stats: dict = {}
    texts = texts_to_render(book, langs)
    on_event(f"pandoc: {len(texts)} question text(s)")
    fragments = render_fragments(book, texts, cache_dir, stats)
    formulas = collect_formulas(fragments)
    on_event(f"math: {len(formulas)} distinct formula(s)")
    rendered = mathr.render_all(formulas, mathr.MathCache(cache_dir / "math"), jobs, stats)
    diags = math_diagnostics(texts, rendered)
    static, figure_requests = collect_images(book, texts)
    on_event(f"figures: {len(set(figure_requests))}")
    figures, fig_errors = draw_figures(figure_requests, cache_dir / "figures", stats)
    for (folder, url), err in fig_errors.items():
        diags.append(diag("DL901", f"{folder}/figures.py", 1, 1, f"{url}: {err}", "fix the figure function"))
    diags += unsafe_image_diagnostics(texts, static, figures)
    meta = dict(build_meta(book), pygments_css=pygments_css())
    frozen = MappingProxyType
    return Prepared(book, tuple(langs), frozen(texts), frozen(fragments), frozen(rendered), frozen(figures),
                    frozen(static), frozen(meta), frozen(reference_index(book, parsed_body)),
                    frozen(chapter_files(book)), tuple(diags), stats, frozen(highlight_code(fragments, cache_dir)))


def highlight_code(fragments: dict, cache_dir: Path) -> dict:
    """Every code block of `fragments`, highlighted once and kept in the content cache (render/highlight)."""
    from ..cache import ContentCache
    from ..render.html import code_blocks, highlight_all
    blocks = set()
    for title, body in fragments.values():
        blocks |= code_blocks(title + body)
    return highlight_all(blocks, ContentCache(cache_dir / "highlight", suffix=".html"))


def reprepare(prepared: Prepared, changed: dict, cache_dir: Path) -> Prepared:
    """`prepared` after the question texts in `changed` ((qid, lang) → QuestionText, loaded again) were edited:
    only their fragments are rendered again (pandoc's cache holds the rest), only formulas not drawn yet are drawn,
    their figures drawn, ids resolved again; everything else is `prepared`'s. `diagnostics` are those of the
    changed texts (formulas, figures, unsafe images); `stats` is the same dict, counting on."""
    stats = prepared.stats
    book = dataclasses.replace(prepared.book, texts={**prepared.book.texts, **changed})
    shown = {k: t for k, t in changed.items() if k in prepared.texts}
    fragments = {**prepared.fragments, **render_fragments(book, shown, cache_dir, stats)}
    mine = collect_formulas({k: fragments[k] for k in shown})
    new = mine - set(prepared.math)
    rendered = dict(prepared.math)
    if new:
        rendered.update(mathr.render_all(new, mathr.MathCache(cache_dir / "math"), 1, stats))
    diags = math_diagnostics(shown, {f: r for f, r in rendered.items() if f in mine})
    static, requests = collect_images(book, shown)
    drawn, fig_errors = draw_figures(requests, cache_dir / "figures", stats) if requests else ({}, {})
    for (folder, url), err in fig_errors.items():
        diags.append(diag("DL901", f"{folder}/figures.py", 1, 1, f"{url}: {err}", "fix the figure function"))
    diags += unsafe_image_diagnostics(shown, static, drawn)
    from ..validate import memo_body
    frozen = MappingProxyType
    return dataclasses.replace(
        prepared, book=book, texts=frozen({**prepared.texts, **shown}), fragments=frozen(fragments),
        math=frozen(rendered), figures=frozen({**prepared.figures, **drawn}),
        images=frozen({**prepared.images, **static}), ids=frozen(reference_index(book, memo_body)),
        diagnostics=tuple(diags), stats=stats,
        code=frozen({**prepared.code, **highlight_code({k: fragments[k] for k in shown}, cache_dir)}))


def build_meta(book) -> dict:
    """Date and revision for the cover and metadata: SOURCE_DATE_EPOCH wins, then the last commit, then now."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    revision = ""
    try:
        revision = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=book.root, capture_output=True,
                                  text=True, timeout=5).stdout.strip()
        if not epoch:
            epoch = subprocess.run(["git", "log", "-1", "--format=%ct"], cwd=book.root, capture_output=True,
                                   text=True, timeout=5).stdout.strip() or None
    except (OSError, subprocess.SubprocessError):
        pass
    when = datetime.datetime.fromtimestamp(int(epoch), tz=datetime.timezone.utc) if epoch else \
        datetime.datetime.now(tz=datetime.timezone.utc).replace(microsecond=0)
    return {"datetime": when, "date": when.strftime("%Y-%m-%d"), "date_iso": when.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "revision": revision, "epoch": str(int(when.timestamp()))}


def texts_to_render(book, langs) -> dict:
    """(qid, text language) → QuestionText for everything any edition shows."""
    out = {}
    for _, ref in book.questions():
        for lang in langs:
            t = book.text(ref.qid, lang) or book.text(ref.qid, book.primary)
            if t is not None:
                out[(ref.qid, t.lang)] = t
    return out


def render_fragments(book, texts: dict, cache_dir: Path, stats: dict) -> dict:
    keys = sorted(texts)
    sources = []
    for k in keys:
        sources += [(texts[k].title, texts[k].lang), (texts[k].body, texts[k].lang)]
    # pandoc, then the typography pass (quotes, numbers with units) in the language of the text: both cached
    html = markdown_to_typeset_html(sources, cache_dir, stats)
    return {k: (html[2 * i], html[2 * i + 1]) for i, k in enumerate(keys)}


def collect_formulas(fragments: dict) -> set:
    import html as htmllib
    found = set()
    for title, body in fragments.values():
        for m in MATH_SPAN.finditer(title + body):
            found.add((htmllib.unescape(m.group(2)), m.group(1) == "display"))
    return found


def math_diagnostics(texts: dict, rendered: dict) -> list:
    """DL506 at the formula's source line for every formula the renderers cannot draw faithfully."""
    bad = {}
    for (tex, _display), r in rendered.items():
        probs = r["problems"]
        if "error" in r:
            probs = [r["error"], *probs]
        if probs:
            bad[mathr.normalise_tex(tex)] = probs
    out = []
    if not bad:
        return out
    for (_, _), qt in sorted(texts.items()):
        for span in parsed_body(qt).spans({"math-inline", "math-display"}):
            probs = bad.get(mathr.normalise_tex(span.text))
            if probs:
                out.append(diag("DL506", qt.rel, span.line, span.col, f"formula cannot be rendered: {'; '.join(probs)}",
                                "use standard LaTeX math commands; put words in \\text{} in English, or outside math"))
    return out




def collect_images(book, texts: dict):
    """Images the editions show: (chapter folder, url) → absolute path (static) and figure requests."""
    static, figures = {}, []
    for (_, _), qt in texts.items():
        if not may_hold_image(qt.body):
            continue  # no image span can be in it: not scanned (most texts; the scan was 0.2 s of a build)
        cdir = qt.path.parent
        for span in parsed_body(qt).spans({"image"}):
            if FIGURE_URL.match(span.url):
                figures.append((str(cdir), span.url))
            elif span.url and "://" not in span.url:
                p = (cdir / span.url).resolve()
                if p.is_file() and p.is_relative_to(book.root):
                    static[(cdir.name, span.url)] = p
    return static, figures


def unsafe_image_diagnostics(texts: dict, static: dict, figures: dict) -> list:
    """DL433 at each reference to an SVG that could run script when opened on its own (the site serves it from
    its own origin); such images are dropped from `static` and `figures`, so no edition carries them."""
    from ..render.sanitize import unsafe_svg_reasons
    bad = {}
    for key, p in list(static.items()):
        if p.suffix.lower() == ".svg":
            reasons = unsafe_svg_reasons(p.read_bytes())
            if reasons:
                bad[key] = reasons
                del static[key]
    for key, svg in list(figures.items()):
        reasons = unsafe_svg_reasons(svg.encode("utf-8"))
        if reasons:
            bad[(Path(key[0]).name, key[1])] = reasons
            del figures[key]
    out = []
    for (_, _), qt in sorted(texts.items()) if bad else ():
        for span in parsed_body(qt).spans({"image"}):
            reasons = bad.get((qt.path.parent.name, span.url))
            if reasons:
                out.append(diag("DL433", qt.rel, span.line, span.col,
                                f"image {span.url} could run script when opened: {'; '.join(reasons[:3])}",
                                "export the SVG without scripts, event handlers or links (or use a PNG)"))
    return out


def chapter_files(book) -> dict:
    """id → the EPUB file of its chapter, for cross-chapter links."""
    from ..model import iter_groups, iter_question_refs
    out = {}
    for ch in book.chapters:
        f = f"{ch.folder}.xhtml"
        out[ch.cid] = f
        for g in iter_groups(ch.items):
            out[g.gid] = f
        for q in iter_question_refs(ch.items):
            out[q.qid] = f
        for lang in book.languages:
            for q in iter_question_refs(ch.items):
                t = book.text(q.qid, lang)
                if t is None or not may_hold_image(t.body):  # the scan of every body was 0.17 s of a build
                    continue
                for span in parsed_body(t).spans({"image"}):
                    if span.attrs.get("id"):
                        out[span.attrs["id"]] = f
    return out
