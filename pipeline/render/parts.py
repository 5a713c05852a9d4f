"""The PDF laid out in parts (front matter, then one part per chapter) in worker processes, joined with pypdf.

Design (docs/build.md): a part is laid out with its starting page and the page numbers it prints for targets in
other parts written as text, taken from the page counts and anchor positions of the last build (a cold build gets
them from a layout-only pass). After layout the numbers are verified; only parts whose HTML changed (content,
start page or a printed page number) are laid out again. Each part's PDF is cached by the hash of its HTML, the
WeasyPrint version, the fonts and SOURCE_DATE_EPOCH. Chapters start on a recto page, so a chapter that grows by
one page usually moves nothing after it. Cross-part links are written as href="xref:ID"; the join turns them into
GoTo actions to the target's page and position.
"""

from __future__ import annotations

import dataclasses
import hashlib
import io
import json
import os
import re
import subprocess
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from .html import labels
from .pdf import normalise_bookmark_text, recto_chapters, render_edition_html

PLACEHOLDER_PAGE = 888  # printed before a target's page is known; three digits, like most real ones
XREF_LINK = re.compile(r'<a class="(xref[^"]*)" href="#([^"]+)"([^>]*)>(.*?)</a>', re.S)
ANCHOR = re.compile(r'\sid="([^"]+)"')
MEMORY_LIMIT_MIB = int(os.environ.get("DL500_PDF_PART_LIMIT_MIB", "600"))


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


def far_links(body: str, local: set, page_of, lang: str) -> str:
    """References to other parts: href="xref:ID" (rewritten at join) and the page number as text."""
    see_page = labels(lang)["see_page"]

    def sub(m):
        cls, target, attrs, text = m.groups()
        if target in local:
            return m.group(0)
        page = "" if target.startswith("fig:") else f'<span class="xref-page">{see_page.format(page_of(target))}</span>'
        return f'<a class="{cls} far" href="xref:{target}"{attrs}>{text}{page}</a>'

    return XREF_LINK.sub(sub, body)


def part_html(book, edition, meta, part: Part, start: int, page_of) -> str:
    if part.chapter is None:
        def toc_link(anchor):
            return f'href="xref:{anchor}" class="far" data-page="{page_of(anchor)}"'
        html = render_edition_html(book, edition, meta, front=True, body=False, toc_link=toc_link)
    else:
        ch = dataclasses.replace(part.chapter, body=far_links(part.chapter.body, part.ids, page_of, edition.lang))
        html = render_edition_html(book, edition, meta, chapters=[ch], front=False, page_start=start)
    return normalise_bookmark_text(html)


def compute_starts(parts: list[Part], layout: dict) -> dict:
    """Each part's first page number: the previous part's start plus its pages, padded to start on a recto."""
    starts, page, recto = {}, 1, recto_chapters()
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
        return starts[name] + hit[0] if hit else PLACEHOLDER_PAGE

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
    html, root, write = args
    from . import pdf
    t0 = time.monotonic()
    data, layout = pdf.write_pdf(html, Path(root), with_layout=True, write=write)
    import resource
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return data, layout, peak, time.monotonic() - t0


class PartCache:
    def __init__(self, folder: Path):
        self.folder = folder

    def get(self, key):
        pdf, meta = self.folder / key[:2] / f"{key}.pdf", self.folder / key[:2] / f"{key}.json"
        try:
            return pdf.read_bytes(), json.loads(meta.read_text("utf-8"))
        except (OSError, ValueError):
            return None

    def put(self, key, data: bytes, layout: dict):
        d = self.folder / key[:2]
        d.mkdir(parents=True, exist_ok=True)
        for suffix, payload in ((".pdf", data), (".json", json.dumps(layout).encode())):
            tmp = d / f".{key}{suffix}.{os.getpid()}"
            tmp.write_bytes(payload)
            os.replace(tmp, d / f"{key}{suffix}")


def run_layouts(todo: list, root: Path, jobs: int) -> list:
    """[(html, write)] → [(pdf or None, layout, peak MiB, seconds)], in fresh forked workers when jobs > 1 (even
    for one part: the build process already holds the whole edition, so WeasyPrint in it would add to that)."""
    args = [(html, str(root), write) for html, write in todo]
    if jobs <= 1 or not args:
        return [_layout_job(a) for a in args]  # in this process: the single-process path (and its tests)
    import multiprocessing as mp
    # forkserver with WeasyPrint preloaded: each part gets a fresh process (its own peak RSS, memory given back)
    # that starts in milliseconds instead of re-importing WeasyPrint.
    ctx = mp.get_context("forkserver")
    ctx.set_forkserver_preload(["weasyprint", "pipeline.render.pdf"])
    order = sorted(range(len(args)), key=lambda i: -len(args[i][0]))  # largest first: better balance
    with ProcessPoolExecutor(max_workers=min(jobs, len(args)), mp_context=ctx, max_tasks_per_child=1) as ex:
        futures = {i: ex.submit(_layout_job, args[i]) for i in order}
        return [futures[i].result() for i in range(len(args))]


def build_pdf_in_parts(book, edition, meta: dict, root: Path, cache_dir: Path, jobs: int, key_parts: tuple,
                       report: dict) -> bytes:
    """Lay out (or reuse) every part of one edition and join them. `report` gets the figures of this build."""
    parts = split_parts(edition)
    folder = cache_dir / "pdf-parts"
    cache = PartCache(folder)
    state_file = folder / f"{edition.lang}-layout.json"
    try:
        layout = json.loads(state_file.read_text("utf-8"))
    except (OSError, ValueError):
        layout = {}
    layout = {p.name: layout[p.name] for p in parts if p.name in layout}
    fonts = fonts_fingerprint()
    report.update(parts=len(parts), laid_out=0, reused=0, layout_only=0, rounds=0, peaks={}, seconds={})

    missing = [p for p in parts if p.name not in layout]
    if missing:  # no page counts from an earlier build: a layout-only pass gives them
        starts = compute_starts(parts, layout)
        page_of, _ = page_lookup(parts, layout, starts)
        results = run_layouts([(part_html(book, edition, meta, p, starts[p.name], page_of), False)
                               for p in missing], root, jobs)
        for p, (_, lay, peak, _secs) in zip(missing, results):
            layout[p.name] = lay
            report["peaks"][p.name] = max(report["peaks"].get(p.name, 0), peak)
        report["layout_only"] = len(missing)

    done: dict = {}  # name -> (key, pdf bytes, layout)
    for _ in range(4):
        starts = compute_starts(parts, layout)
        page_of, _ = page_lookup(parts, layout, starts)
        htmls = {p.name: part_html(book, edition, meta, p, starts[p.name], page_of) for p in parts}
        keys = {n: _key(h, fonts, key_parts) for n, h in htmls.items()}
        if all(n in done and done[n][0] == keys[n] for n in keys):
            break
        report["rounds"] += 1
        todo = []
        for p in parts:
            if p.name in done and done[p.name][0] == keys[p.name]:
                continue
            hit = cache.get(keys[p.name])
            if hit is not None:
                done[p.name] = (keys[p.name], hit[0], hit[1])
                report["reused"] += 1
            else:
                todo.append(p.name)
        results = run_layouts([(htmls[n], True) for n in todo], root, jobs)
        for n, (data, lay, peak, secs) in zip(todo, results):
            cache.put(keys[n], data, lay)
            done[n] = (keys[n], data, lay)
            report["peaks"][n] = max(report["peaks"].get(n, 0), peak)
            report["seconds"][n] = report["seconds"].get(n, 0) + secs
        report["laid_out"] += len(todo)
        for n, (_, _, lay) in done.items():
            layout[n] = lay
    state_file.parent.mkdir(parents=True, exist_ok=True)
    state_file.write_text(json.dumps(layout, sort_keys=True), "utf-8")
    starts = compute_starts(parts, layout)
    return join_parts([(p.name, done[p.name][1]) for p in parts], parts, layout, starts)


def _key(html: str, fonts: str, key_parts: tuple) -> str:
    h = hashlib.sha256()
    for x in ("pdf-part", html, fonts, *key_parts):
        h.update(str(x).encode("utf-8"))
        h.update(b"\0")
    return h.hexdigest()


def join_parts(pdfs: list, parts: list, layout: dict, starts: dict) -> bytes:
    """One PDF: the parts in order (blank versos where a chapter must start on a recto), one outline, the front
    part's metadata, and every href="xref:ID" link turned into a GoTo to the target's page and position."""
    from pypdf import PdfReader, PdfWriter
    from pypdf.generic import ArrayObject, DictionaryObject, FloatObject, NameObject, NumberObject

    writer = PdfWriter()
    first_reader, recto = None, recto_chapters()
    for i, (_name, data) in enumerate(pdfs):
        reader = PdfReader(io.BytesIO(data))
        first_reader = first_reader or reader
        writer.append(reader, import_outline=True)
        n = len(reader.pages)
        if recto and n % 2 and i < len(pdfs) - 1:
            box = reader.pages[-1].mediabox
            writer.add_blank_page(float(box.width), float(box.height))
    if first_reader is not None and first_reader.metadata:
        writer.add_metadata({k: v for k, v in first_reader.metadata.items()})
        lang = first_reader.trailer["/Root"].get("/Lang")
        if lang is not None:
            writer._root_object[NameObject("/Lang")] = lang
    part_of = {i: p.name for p in parts for i in p.ids}
    for page in writer.pages:
        for annot in page.get("/Annots", []) or []:
            a = annot.get_object()
            action = a.get("/A")
            if action is None:
                continue
            action = action.get_object()
            uri = action.get("/URI")
            if action.get("/S") != "/URI" or not isinstance(uri, str) or not uri.startswith("xref:"):
                continue
            target = uri[5:]
            name = part_of.get(target)
            hit = layout.get(name, {}).get("anchors", {}).get(target) if name else None
            if hit is None:
                continue
            dest_page = writer.pages[starts[name] - 1 + hit[0]]
            height = float(dest_page.mediabox.height)
            a[NameObject("/A")] = DictionaryObject({
                NameObject("/S"): NameObject("/GoTo"),
                NameObject("/D"): ArrayObject([dest_page.indirect_reference, NameObject("/XYZ"),
                                               FloatObject(round(hit[1] * 0.75, 2)),
                                               FloatObject(round(height - hit[2] * 0.75, 2)), NumberObject(0)])})
    writer.compress_identical_objects(remove_duplicates=True, remove_unreferenced=True)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()
