"""The PDF laid out in parts (front matter, then one part per chapter) in worker processes, then joined (pdf.join).

Design (docs/build.md): a part's HTML holds no page number. Every printed page number (footer, TOC entries,
"见 3.6.8，第 N 页") is a hidden fixed-width placeholder (document.page_refs, book.css .pg), so a part's layout does not
depend on its start page or on other parts, and every part is laid out exactly once, cold or warm, in `--jobs`
fresh workers (pool.py). Each part's PDF and layout (page count, anchors, placeholder boxes) are cached by the hash
of its HTML, the fonts, whether it is tagged, the WeasyPrint version and the code that lays a part out. Once an
edition's parts are done, its start pages follow from the page counts, and with them every page's numbers (its
footer, the numbers at its placeholders); the join writes them from the edition's page-number templates (stamp.py:
one small document per edition, cached by its HTML) as a Form XObject on each page. Cross-part links are written as href="xref:ID"; the join turns them into GoTo
actions to the target's page and position.
"""
from __future__ import annotations

import dataclasses
import hashlib
import json
import re
import subprocess
import time
from pathlib import Path

from markupsafe import Markup

from .document import UNKNOWN_PAGE, PrintSettings, normalise_bookmark_text, render_edition_html
from .partcache import PartCache
from .pool import Task, join_job, peak_mib, run_tasks
from .stamp import page_items, template_keys, templates_html

XREF_LINK = re.compile(r'<a class="(xref[^"]*)" href="#([^"]+)"([^>]*)>(.*?)</a>', re.S)
ANCHOR = re.compile(r'\sid="([^"]+)"')


@dataclasses.dataclass
class Part:
    name: str  # "front" or the chapter's folder
    chapter: object | None  # EditionChapter; None for the front matter
    ids: set


def split_parts(edition) -> list[Part]:
    parts = [Part("front", None, {"toc"})]
    for ch in edition.chapters:
        parts.append(Part(ch.folder, ch, {ch.id, *ANCHOR.findall(ch.body)}))
    return parts


def far_links(body: str, local: set) -> str:
    """References to other parts become href="xref:ID" (rewritten at join into a GoTo); their page numbers, like
    every printed page number, are placeholders stamped after layout (document.page_refs)."""
    def sub(m):
        cls, target, attrs, text = m.groups()
        if target in local:
            return m.group(0)
        return f'<a class="{cls} far" href="xref:{target}"{attrs}>{text}</a>'

    return XREF_LINK.sub(sub, body)


BUILD_DATE_META = re.compile(r'<meta name="dcterms\.(?:created|modified)" content="[^"]*">\n?')


def part_html(book, edition, meta, part: Part, recto: bool = False) -> str:
    """A part's HTML: independent of its start page and of every other part's pages (placeholders only). A chapter
    part holds nothing of the build either (no date, no revision: the joined PDF's metadata and cover come from
    the front part), so a commit, which moves the build date, lays out only the front part again."""
    if part.chapter is None:
        def toc_link(anchor):
            return Markup('href="xref:{}" class="far"').format(anchor)
        html = render_edition_html(book, edition, meta, front=True, body=False, toc_link=toc_link, recto=recto)
    else:
        ch = dataclasses.replace(part.chapter, body=far_links(part.chapter.body, part.ids))
        undated = dict(meta, date="", date_iso="", revision="")
        html = BUILD_DATE_META.sub("", render_edition_html(book, edition, undated, chapters=[ch], front=False,
                                                        recto=recto))
    return normalise_bookmark_text(html)


def compute_starts(parts: list[Part], layout: dict, recto: bool = False) -> dict:
    """Each part's first page number: the previous part's start plus its pages, padded to start on a recto."""
    starts, page = {}, 1
    for p in parts:
        starts[p.name] = page
        n = layout.get(p.name, {}).get("pages", 1)
        page += n + (n % 2 if recto else 0)
    return starts


def page_lookup(parts, layout, starts):
    part_of = {i: p.name for p in parts for i in p.ids}

    def page_of(anchor: str):
        name = part_of.get(anchor)
        hit = layout.get(name, {}).get("anchors", {}).get(anchor) if name else None
        return starts[name] + hit[0] if hit else UNKNOWN_PAGE

    return page_of, part_of


def fonts_fingerprint() -> str:
    """What fontconfig offers (family, style, file): a changed or added font lays every part out again."""
    try:
        out = subprocess.run(["fc-list", "--format", "%{family}|%{style}|%{file}\n"], capture_output=True,
                             text=True, timeout=20).stdout
    except (OSError, subprocess.SubprocessError):
        out = ""
    return hashlib.sha256("\n".join(sorted(out.splitlines())).encode()).hexdigest()[:16]


def _layout_job(args):
    html, root, write, tags, drawings, svgs = args
    from .drawings import counts, formulas_drawn_once
    from .layout import write_pdf
    from .lean import lean_pdf
    t0, before = time.monotonic(), counts()
    with formulas_drawn_once(Path(drawings) if drawings else None):
        data, layout = write_pdf(html, Path(root), with_layout=True, write=write, tags=tags,
                                 svgs=Path(svgs) if svgs else None)
    if tags and data is not None:
        data = lean_pdf(data, record=True)  # a quarter of the elements: less to copy and hold at the join
    layout["formulas"] = {k: v - before[k] for k, v in counts().items()}  # drawn, from the cache, repeated
    return data, layout, peak_mib(), time.monotonic() - t0


@dataclasses.dataclass
class EditionPlan:
    """One edition's parts: their HTML and cache keys, the parts found in the cache and those to lay out; then
    its page-number templates and, once joined, its PDF."""
    lang: str
    parts: list
    htmls: dict
    keys: dict
    done: dict  # name -> (pdf bytes laid out by this build, or None: in the cache; layout)
    todo: list
    report: dict
    waiting: set = dataclasses.field(default_factory=set)  # parts, then the templates, not finished yet
    starts: dict = dataclasses.field(default_factory=dict)
    items: dict = dataclasses.field(default_factory=dict)  # name -> each page's stamp items (stamp.page_items)
    template_keys: list = dataclasses.field(default_factory=list)
    templates_key: str = ""
    templates: bytes = b""  # the page-number templates' PDF (stamp.templates_html)
    target: Path | None = None  # where the joined PDF goes
    output: int = 0  # its size


def plan_edition(book, edition, meta: dict, cache, fonts: str, key_parts: tuple, report: dict,
                 recto: bool = False) -> EditionPlan:
    parts = split_parts(edition)
    report.update(parts=len(parts), laid_out=0, reused=0, layout_only=0, rounds=1, stamped=0, peaks={},
                  seconds={}, laid_out_parts=[], formulas={})
    htmls = {p.name: part_html(book, edition, meta, p, recto) for p in parts}
    keys = {n: _key(h, fonts, key_parts) for n, h in htmls.items()}
    done, todo = {}, []
    for p in parts:
        layout = cache.layout_of(keys[p.name])
        if layout is not None:
            done[p.name] = (None, layout)  # the PDF stays in the cache until the join's worker reads it
        else:
            todo.append(p.name)
    report["reused"] = len(done)
    report["laid_out"] = len(todo)
    return EditionPlan(edition.lang, parts, htmls, keys, done, todo, report, waiting=set(todo))


@dataclasses.dataclass
class _Build:
    """What every task of one build shares."""
    root: Path
    folder: Path
    fonts: str
    key_parts: tuple
    jobs: int
    settings: PrintSettings
    parts: PartCache
    stamps: PartCache
    emit: object


def build_pdfs_in_parts(requests, root: Path, cache_dir: Path, jobs: int, key_parts: tuple,
                        on_event=None, settings: PrintSettings | None = None, gate=lambda: None) -> list:
    """[(book, edition, meta, report, target)] (any iterable) → the size of each edition's joined PDF, written to its
    `target` by the join's worker. Every part of every edition is laid out (or reused) once, all editions' parts in
    one pool, longest first; as soon as an edition's parts are done its page numbers are stamped and its parts
    joined, in workers of the same pool (pool.py says why). An
    edition is planned while the earlier ones' first tasks run. `report` gets the figures of that edition's build.
    `on_event(dict)` hears of the layout as it goes (layout-start per edition, part per part laid out, layout-end
    per edition); it must not block. `gate()` is called once the first edition is planned, before any layout
    (the build's validation verdict: it raises to stop the build)."""
    folder = cache_dir / "pdf-parts"
    settings = settings or PrintSettings()
    key_parts = (settings.tags, *key_parts)  # a tagged part is another part
    build = _Build(root, folder, fonts_fingerprint(), key_parts, jobs, settings, PartCache(folder / "parts"),
                   PartCache(folder / "stamps"), on_event or (lambda event: None))
    plans: list = []

    def first_tasks(request) -> list:
        book, edition, meta, report, target = request
        plan = plan_edition(book, edition, meta, build.parts, build.fonts, key_parts, report, settings.recto)
        plan.target = target
        plans.append(plan)
        gate()
        build.emit({"event": "layout-start", "lang": plan.lang, "parts": len(plan.parts), "todo": len(plan.todo),
                    "pages": sum(lay.get("pages", 0) for _, lay in plan.done.values())})
        return [_layout_task(build, plan, name) for name in plan.todo] or _after_layout(build, plan)

    run_tasks((first_tasks(r) for r in requests), jobs, lambda task, result: _task_done(build, task, result))
    for plan in plans:
        _write_report(folder, plan)
    return [plan.output for plan in plans]


def _layout_task(build: _Build, plan: EditionPlan, name: str) -> Task:
    args = (plan.htmls[name], str(build.root), True, build.settings.tags, str(build.folder / "formulas"),
            str(build.folder / "svg"))
    return Task("layout", plan, name, _layout_job, args)


def _task_done(build: _Build, task: Task, result) -> list:
    """Record a finished task; returns the tasks it made ready."""
    plan, name = task.plan, task.name
    if task.kind == "layout":
        _part_done(build, plan, name, result)
        plan.waiting.discard(name)
        return [] if plan.waiting else _after_layout(build, plan)
    if task.kind == "stamp":
        build.stamps.put(plan.templates_key, result, {})
        plan.templates = result
        plan.waiting.discard(name)
        return [_join_task(build, plan)]
    plan.output, plan.report["join_seconds"], plan.report["join_peak"] = result
    return []


def _part_done(build: _Build, plan: EditionPlan, name: str, result) -> None:
    data, lay, peak, secs = result
    build.parts.put(plan.keys[name], data, lay)
    plan.done[name] = (data, lay)
    report = plan.report
    report["peaks"][name] = max(report["peaks"].get(name, 0), peak)
    report["seconds"][name] = report["seconds"].get(name, 0) + secs
    report["laid_out_parts"].append(name)
    for k, v in lay.get("formulas", {}).items():
        report["formulas"][k] = report["formulas"].get(k, 0) + v
    build.emit({"event": "part", "lang": plan.lang, "part": name, "pages": lay.get("pages", 0), "seconds": secs})


def _after_layout(build: _Build, plan: EditionPlan) -> list:
    """Every part laid out: the start pages follow from the page counts, and with them every page's stamp items
    (stamp.page_items); the page-number templates they need are the next task unless cached, then the join."""
    build.emit({"event": "layout-end", "lang": plan.lang})
    plan.report["stamp_started"] = time.monotonic()
    layout = {n: lay for n, (_, lay) in plan.done.items()}
    plan.starts = compute_starts(plan.parts, layout, build.settings.recto)
    page_of, _ = page_lookup(plan.parts, layout, plan.starts)
    plan.items = {p.name: page_items(layout[p.name], plan.starts[p.name], page_of) for p in plan.parts}
    plan.template_keys = template_keys(plan.items.values())
    html = templates_html(plan.lang, plan.template_keys)
    plan.templates_key = _key("stamp-templates\0" + html, build.fonts, build.key_parts)
    hit = build.stamps.get(plan.templates_key)
    plan.report["stamped"] = 0 if hit is not None else 1
    if hit is not None:
        plan.templates = hit[0]
        return [_join_task(build, plan)]
    plan.waiting.add("templates")
    return [Task("stamp", plan, "templates", _stamp_job, (html, str(build.root)))]


def _stamp_job(args):
    html, root = args
    from .layout import write_pdf
    return write_pdf(html, Path(root))


def _join_task(build: _Build, plan: EditionPlan) -> Task:
    plan.report["stamp_seconds"] = time.monotonic() - plan.report.pop("stamp_started")
    layout = {n: lay for n, (_, lay) in plan.done.items()}
    plan.report["pages"] = sum(lay.get("pages", 0) for lay in layout.values())
    last = plan.parts[-1].name  # blank versos (recto chapters) come before a part, never after the last
    plan.report["joined_pages"] = plan.starts[last] - 1 + layout[last].get("pages", 0)
    parts = [Part(p.name, None, p.ids) for p in plan.parts]  # what the join needs of a part: its name and ids
    # a part laid out by this build goes as bytes; the others the worker reads from the cache itself
    pdfs = [(p.name, plan.done[p.name][0], plan.keys[p.name]) for p in plan.parts]
    args = (pdfs, str(build.folder / "parts"), parts, layout, plan.starts,
            (plan.templates, plan.template_keys, [plan.items[p.name] for p in plan.parts]), build.settings.recto,
            plan.lang, str(build.root), str(plan.target))
    return Task("join", plan, "", join_job, args)


def _write_report(folder: Path, plan: EditionPlan) -> None:
    """What the last build of this edition did (parts laid out, reused, stamped): read by tests and benchmarks."""
    keep = ("parts", "laid_out", "reused", "stamped", "laid_out_parts", "pages", "seconds", "peaks", "formulas",
            "join_peak", "join_seconds")
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"last-build-{plan.lang}.json").write_text(
        json.dumps({k: plan.report.get(k) for k in keep}, sort_keys=True), "utf-8")


def _key(html: str, fonts: str, key_parts: tuple) -> str:
    h = hashlib.sha256()
    for x in ("pdf-part", html, fonts, *key_parts):
        h.update(str(x).encode("utf-8"))
        h.update(b"\0")
    return h.hexdigest()
