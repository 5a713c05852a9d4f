"""`dl500 build`: validate, render every question once (cached), then write the PDF and EPUB of each language.

Reads top to bottom as the build: lock the output folder → validate → pandoc (one batch) → math → figures → per
language: assemble, PDF, EPUB → web edition → translation report → publish. Every output is written into a
staging set (render.output.OutputSet) that replaces the published set in one rename at the end, and only when the
build had no error: a failed or killed build leaves the previous outputs as they were. Unchanged outputs are
carried over, not rewritten.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import os
import subprocess
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from .diagnostics import ERROR, WARNING, diag, format_text, has_errors
from .load import display_path
from .render import math as mathr
from .render.assemble import build_edition
from .render.epub import image_href, write_epub
from .render.figures import FIGURE_URL, draw_figures
from .render.html import MATH_SPAN, RenderContext, pygments_css
from .render.output import BuildLocked, OutputSet, atomic_write, lock_output_folder
from .render.pandoc import FragmentCache, markdown_to_html
from .validate import parsed_body, validate
from .validate.numbering import reference_index


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
        sources += [texts[k].title, texts[k].body]
    html = markdown_to_html(sources, FragmentCache(cache_dir / "pandoc"), stats)
    # The typography pass (quotes, numbers with units) once per fragment, in the language of its text.
    from .render.typography import typeset_html
    return {k: (typeset_html(html[2 * i], texts[k].lang), typeset_html(html[2 * i + 1], texts[k].lang))
            for i, k in enumerate(keys)}


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
    from .render.sanitize import unsafe_svg_reasons
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


def _pdf_job(args):
    html, root, lang, fonts = args
    from .render.pdf import write_stamped_pdf
    return write_stamped_pdf(html, Path(root), lang, Path(fonts))


CHARS_PER_PAGE = {"zh": 1100, "en": 1750}  # of Markdown source, measured on this book's page size and CSS


def page_digits_hint(book, lang: str, cache_dir: Path) -> int:
    """How many digits the page numbers of this edition need: what the last build used (widened when the book
    outgrew it), else estimated from the text with a margin. Page numbers are stamped into boxes this wide
    (render.pdf.placeholder); a box wider than its number leaves a small gap, a narrower one is never kept."""
    used = _read_json(cache_dir / f"{lang}-pages.json").get("digits")
    if isinstance(used, int) and used > 0:  # keep what the last build used while the pages fit: no relayout
        return used
    est = 0.0
    for _, ref in book.questions():
        t = book.text(ref.qid, lang) or book.text(ref.qid, book.primary)
        if t is not None:
            est += (len(t.title) + len(t.body)) / CHARS_PER_PAGE.get(t.lang, 1400)
    return max(2, min(4, len(str(int(est * 1.3) + len(book.chapters) + 10))))


def pdf_page_count(path: Path) -> int:
    from pypdf import PdfReader
    return len(PdfReader(str(path)).pages)


def pdf_layout_mode(args=None) -> str:
    """"parts" (default): per chapter in workers, joined; "single": the whole edition as one WeasyPrint document."""
    chosen = getattr(args, "pdf_layout", None) or os.environ.get("DL500_PDF_LAYOUT", "parts")
    return "single" if chosen == "single" else "parts"


def write_single_document_pdfs(pdf_jobs, book, jobs, cache_dir, progress) -> None:
    progress.stage(f"pdf: laying out {len(pdf_jobs)} edition(s) as one document each with WeasyPrint "
                   f"({min(jobs, len(pdf_jobs))} process(es))")
    fonts = str(cache_dir / "pdf-parts" / "fonts")
    if len(pdf_jobs) > 1 and jobs > 1:
        from .render.lifeline import die_with_parent
        with ProcessPoolExecutor(max_workers=min(jobs, len(pdf_jobs)), initializer=die_with_parent) as ex:
            pdfs = list(ex.map(_pdf_job, [(h, str(book.root), e.lang, fonts) for _, _, h, e, _ in pdf_jobs]))
    else:
        pdfs = [_pdf_job((h, str(book.root), e.lang, fonts)) for _, _, h, e, _ in pdf_jobs]
    for (target, key, _, _, _), data in zip(pdf_jobs, pdfs):
        atomic_write(target, data)
        mark_written(target, key, cache_dir)


def write_pdf_in_parts(pdf_jobs, book, jobs, cache_dir, progress, build_diags) -> None:
    """The editions laid out per chapter, all parts in one pool of `jobs` workers, then each joined; reports parts
    reused and peak memory. pdf_jobs: [(target, key, html, edition, meta)]."""
    from .render.parts import MEMORY_LIMIT_MIB, build_pdfs_in_parts
    langs = " and ".join(e.lang for _, _, _, e, _ in pdf_jobs)
    progress.stage(f"pdf {langs}: laying out in parts with WeasyPrint ({jobs} process(es))")
    # No build date in the key: a chapter part holds none, the front part's HTML holds it (parts.part_html).
    requests = [(book, edition, meta, {}) for _, _, _, edition, meta in pdf_jobs]
    datas = build_pdfs_in_parts(requests, book.root, cache_dir, jobs, (_weasyprint_version(),), progress.layout)
    for (target, key, _, edition, _), (_, _, _, report), data in zip(pdf_jobs, requests, datas):
        atomic_write(target, data)
        mark_written(target, key, cache_dir)
        report_parts(edition.lang, report, data, progress, build_diags, MEMORY_LIMIT_MIB)


def report_parts(lang, report, data, progress, build_diags, limit_mib) -> None:
    peaks = report["peaks"]
    largest = max(peaks.items(), key=lambda kv: kv[1]) if peaks else ("-", 0)
    progress.stage(f"pdf {lang} parts: {report['parts']} part(s), {report['laid_out']} laid out, "
                   f"{report['reused']} reused, {report['layout_only']} layout-only, {report['rounds']} round(s), "
                   f"{report['stamped']} stamped; layout {sum(report['seconds'].values()):.1f} s of CPU in workers, "
                   f"stamps {report['stamp_seconds']:.1f} s, join {report['join_seconds']:.1f} s; "
                   f"largest worker {largest[1]:.0f} MiB ({largest[0]}); {len(data) / 2**20:.1f} MB")
    for name, mib in sorted(peaks.items()):
        if mib > limit_mib:
            build_diags.append(diag("DL902", f"{name}/chapter.yaml" if name != "front" else "book.yaml", 1, 1,
                                    f"laying out part '{name}' of the {lang} PDF took {mib:.0f} MiB "
                                    f"(limit {limit_mib} MiB)",
                                    "split the chapter, or raise DL500_PDF_PART_LIMIT_MIB", severity=WARNING))


def output_key(*parts) -> str:
    h = hashlib.sha256()
    for p in parts:
        h.update(p if isinstance(p, bytes) else str(p).encode("utf-8"))
        h.update(b"\0")
    return h.hexdigest()


def up_to_date(target: Path, key: str, cache_dir: Path) -> bool:
    stamp = cache_dir / "outputs" / (target.parent.name + "-" + target.name + ".key")
    return target.is_file() and stamp.is_file() and stamp.read_text() == key


def mark_written(target: Path, key: str, cache_dir: Path) -> None:
    stamp = cache_dir / "outputs" / (target.parent.name + "-" + target.name + ".key")
    stamp.parent.mkdir(parents=True, exist_ok=True)
    stamp.write_text(key)


class Progress:
    """Stage lines on stderr (rich when it is a terminal); silent with --quiet."""

    def __init__(self, quiet: bool):
        self.quiet = quiet
        self.t0 = time.monotonic()
        from rich.console import Console
        self.console = Console(stderr=True, highlight=False, soft_wrap=True)
        self.editions: dict = {}  # lang -> the PDF layout's progress (layout())
        self.bars = None  # rich progress bars while a layout runs on a terminal

    def stage(self, text: str) -> None:
        if not self.quiet:
            self.console.print(f"[dim]{time.monotonic() - self.t0:6.1f}s[/dim] {text}")

    def layout(self, event: dict) -> None:
        """The PDF layout's events (render.parts.build_pdfs_in_parts): a rich bar per edition on a terminal (parts
        done / total, pages so far, elapsed), one plain line per part otherwise (CI logs), nothing when quiet."""
        if self.quiet:
            return
        editions = self.editions
        lang, kind = event["lang"], event["event"]
        if kind == "layout-start":
            ed = editions[lang] = {"total": event["parts"], "done": event["parts"] - event["todo"],
                                   "pages": event["pages"], "t0": time.monotonic()}
            if self.console.is_terminal:
                ed["task"] = self._bars().add_task(lang, total=ed["total"], completed=ed["done"], pages=ed["pages"])
            else:
                self.stage(f"pdf {lang}: {event['todo']} of {ed['total']} part(s) to lay out, {ed['done']} reused "
                           f"({ed['pages']} pages)")
        elif kind == "part" and lang in editions:
            ed = editions[lang]
            ed["done"] += 1
            ed["pages"] += event["pages"]
            if "task" in ed:
                self._bars().update(ed["task"], completed=ed["done"], pages=ed["pages"])
            else:
                self.stage(f"pdf {lang}: {ed['done']}/{ed['total']} parts, {ed['pages']} pages, "
                           f"{time.monotonic() - ed['t0']:.1f} s ({event['part']}: {event['pages']} pages)")
        elif kind == "layout-end" and lang in editions:
            editions[lang]["ended"] = True
            if self.bars is not None and all(e.get("ended") for e in editions.values()):
                self.bars.stop()
                self.bars = None

    def _bars(self):
        if self.bars is None:
            from rich.progress import BarColumn, Progress as Bars, TextColumn, TimeElapsedColumn
            self.bars = Bars(TextColumn("pdf {task.description}"), BarColumn(),
                             TextColumn("{task.completed}/{task.total} parts"), TextColumn("{task.fields[pages]} pages"),
                             TimeElapsedColumn(), console=self.console)
            self.bars.start()
        return self.bars


LOCK_WAIT_S = float(os.environ.get("DL500_BUILD_LOCK_WAIT_S", "900"))


def build_book(book, diags, args) -> int:
    """Hold the output folder's lock for the whole build: a second build waits, then finds the work done."""
    progress = Progress(getattr(args, "quiet", False))
    out_dir = Path(args.out).resolve() if args.out else book.root.parent / "build"

    def waiting(owner):
        progress.stage(f"waiting for the build (pid {owner}) that is writing {display_path(out_dir, book.root)}")
    try:
        lock = lock_output_folder(out_dir, LOCK_WAIT_S, on_wait=waiting)
    except BuildLocked as e:
        sys.stderr.write(format_text([diag(
            "DL910", display_path(out_dir, book.root), 1, 1,
            f"another build (pid {e.args[0]}) has been writing this folder for over {LOCK_WAIT_S:.0f} s",
            "let it finish, or stop it; DL500_BUILD_LOCK_WAIT_S sets how long a build waits")]))
        return 2
    try:
        return build_locked(book, diags, args, out_dir, progress)
    finally:
        lock.release()


def build_locked(book, diags, args, out_dir: Path, progress) -> int:
    langs = [lang for lang in (args.lang or list(book.languages)) if lang in book.languages]
    if not langs:
        print(f"dl500 build: --lang must be one of {', '.join(book.languages)}", file=sys.stderr)
        return 2
    formats = args.formats or ["pdf", "epub"]
    jobs = args.jobs or os.cpu_count() or 1
    cache_dir = book.root.parent / ".dl500-cache" / "render"
    if book.options.get("recto_chapters"):
        os.environ["DL500_PDF_RECTO"] = "1"  # read by the layout workers, which inherit the environment

    fingerprint = input_fingerprint(book, langs, formats, args)
    last = cache_dir / "last-build.json"
    previous = _read_json(last)
    if previous.get("key") == fingerprint and all(Path(p).is_file() for p in previous.get("outputs", [])):
        OutputSet(out_dir).remove_leftovers()  # what a killed build left: the lock is ours, nothing is in use
        for p in previous["outputs"]:
            print(display_path(Path(p), book.root))
        progress.stage("done: nothing changed since the last build (inputs fingerprint matches)")
        return 0

    progress.stage("validating")
    diags = list(diags) + validate(book)
    errors = [d for d in diags if d.severity == ERROR]
    if errors and not args.keep_going:
        sys.stderr.write(format_text(errors))
        print(f"dl500 build: {len(errors)} validation error(s); fix them or pass --keep-going", file=sys.stderr)
        return 1

    outputs = OutputSet(out_dir)
    outputs.begin()
    try:
        return render_and_publish(book, diags, errors, args, langs, formats, jobs, outputs, cache_dir, fingerprint,
                                  progress)
    except BaseException:
        outputs.abort()
        raise


def render_and_publish(book, diags, errors, args, langs, formats, jobs, outputs, cache_dir, fingerprint,
                       progress) -> int:
    """Every output into the staging set, then publish it when the build had no error (see the module doc)."""
    quiet = getattr(args, "quiet", False)
    stats: dict = {}
    stage_dir = outputs.staging
    last = cache_dir / "last-build.json"
    texts = texts_to_render(book, langs)
    progress.stage(f"pandoc: {len(texts)} question text(s)")
    fragments = render_fragments(book, texts, cache_dir, stats)

    formulas = collect_formulas(fragments)
    progress.stage(f"math: {len(formulas)} distinct formula(s)")
    rendered = mathr.render_all(formulas, mathr.MathCache(cache_dir / "math"), jobs, stats)
    build_diags = math_diagnostics(texts, rendered)

    static, figure_requests = collect_images(book, texts)
    progress.stage(f"figures: {len(set(figure_requests))}")
    figures, fig_errors = draw_figures(figure_requests, cache_dir / "figures", stats)
    for (folder, url), err in fig_errors.items():
        build_diags.append(diag("DL901", f"{folder}/figures.py", 1, 1, f"{url}: {err}", "fix the figure function"))
    build_diags += unsafe_image_diagnostics(texts, static, figures)

    meta = build_meta(book)
    meta["pygments_css"] = pygments_css()
    ids = reference_index(book, parsed_body)
    chapter_of = chapter_files(book)
    written = []
    pdf_jobs = []
    for lang in langs:
        if "pdf" in formats:
            ctx = RenderContext(lang, "pdf", ids, chapter_of, math=rendered, figures=figures,
                                images={k: p.as_uri() for k, p in static.items()})
            edition = build_edition(book, lang, fragments, ctx)
            from .render.pdf import normalise_bookmark_text, render_edition_html
            lang_meta = dict(meta, pg_digits=page_digits_hint(book, lang, cache_dir))
            html = normalise_bookmark_text(render_edition_html(book, edition, lang_meta))
            target = stage_dir / lang / "dl500.pdf"
            key = output_key("pdf", html, _weasyprint_version(), meta["epoch"])
            if up_to_date(target, key, cache_dir):
                stats.setdefault("unchanged", []).append(str(target))
            else:
                pdf_jobs.append((target, key, html, edition, lang_meta))
            if edition.pending and not quiet:
                progress.stage(f"{lang}: {len(edition.pending)} question(s) shown in the original (translation "
                               "pending)")
        if "epub" in formats:
            progress.stage(f"epub {lang}")
            images = {}
            ctx = RenderContext(lang, "epub", ids, chapter_of)
            for (folder, url), svg in figures.items():
                href = image_href(folder, url)
                ctx.images[(folder, url)] = href
                images[href] = svg.encode("utf-8")
            for (folder, url), p in static.items():
                href = image_href(folder, url)
                ctx.images[(folder, url)] = href
                images[href] = p.read_bytes()
            edition = build_edition(book, lang, fragments, ctx)
            data = write_epub(book, edition, meta, images)
            target = stage_dir / lang / "dl500.epub"
            if not (target.is_file() and target.read_bytes() == data):
                atomic_write(target, data)
            written.append(target)
        if "anki" in formats:
            progress.stage(f"anki {lang}")
            from .render.anki import write_anki
            data = write_anki(book, lang, fragments, ids, figures, static, meta)
            target = stage_dir / lang / "dl500.apkg"
            if not (target.is_file() and target.read_bytes() == data):
                atomic_write(target, data)
            written.append(target)

    if pdf_jobs:
        os.environ["SOURCE_DATE_EPOCH"] = meta["epoch"]
        if pdf_layout_mode(args) == "single":
            write_single_document_pdfs(pdf_jobs, book, jobs, cache_dir, progress)
        else:
            write_pdf_in_parts(pdf_jobs, book, jobs, cache_dir, progress, build_diags)
        for target, key, _, edition, lang_meta in pdf_jobs:
            pages = pdf_page_count(target)
            digits = max(lang_meta["pg_digits"], len(str(pages)))
            cache_dir.mkdir(parents=True, exist_ok=True)
            (cache_dir / f"{edition.lang}-pages.json").write_text(json.dumps({"pages": pages, "digits": digits}))
            if len(str(pages)) > lang_meta["pg_digits"]:  # the book outgrew its page-number boxes: widen, lay out
                progress.stage(f"pdf {edition.lang}: {pages} pages need {len(str(pages))}-digit page numbers")
                from .render.pdf import normalise_bookmark_text, render_edition_html
                wider = dict(lang_meta, pg_digits=len(str(pages)))
                html = normalise_bookmark_text(render_edition_html(book, edition, wider))
                job = [(target, key, html, edition, wider)]
                if pdf_layout_mode(args) == "single":
                    write_single_document_pdfs(job, book, jobs, cache_dir, progress)
                else:
                    write_pdf_in_parts(job, book, jobs, cache_dir, progress, build_diags)
    written += [stage_dir / lang / "dl500.pdf" for lang in langs if "pdf" in formats]

    if "html" in formats:
        from .render.site import write_site
        from .render.site_claims import claims_for_site
        site_claims = claims_for_site(book, run=not getattr(args, "no_claims", False), jobs=jobs, quiet=quiet)
        progress.stage(site_claims.summary)
        build_diags += site_claims.diagnostics
        progress.stage("web edition")
        claims = [outputs.out / "claims.json", book.root.parent / "build" / "claims.json"]
        written += write_site(book, langs, fragments, SiteInputs(rendered, figures, static, meta, ids,
                                                                 chapter_of), stage_dir / "site", claims,
                              claim_states=site_claims.states) or []

    report = write_report(book, outputs, progress)
    all_diags = diags + build_diags
    publish = not has_errors(build_diags) or args.keep_going
    if publish:
        t0 = time.monotonic()
        manifest = outputs.commit()
        progress.stage(f"published {len(manifest['files'])} file(s) as one set: manifest and swap "
                       f"{time.monotonic() - t0:.2f} s")
    else:
        outputs.abort()
        build_diags.append(diag("DL911", display_path(outputs.out, book.root), 1, 1,
                                "the build had errors: nothing was published, the previous outputs are unchanged",
                                "fix the errors above (or pass --keep-going to publish anyway)"))
        all_diags = diags + build_diags
    written = [outputs.final(p) for p in written] if publish else []
    report = [outputs.final(p) for p in report] if publish else []
    if all_diags and (has_errors(all_diags) or not quiet):
        shown = [d for d in all_diags if d.severity in (ERROR, WARNING)]
        if shown:
            sys.stderr.write(format_text(shown))
    if errors:
        print(f"dl500 build: published despite {len(errors)} validation error(s) (--keep-going): "
              + ", ".join(sorted({f'{d.code} {d.file}:{d.line}' for d in errors})[:10]), file=sys.stderr)
    for w in written + report:
        print(display_path(w, book.root))
    progress.stage(f"done: pandoc {stats.get('pandoc_fragments', 0)} fragment(s) in {stats.get('pandoc_calls', 0)} "
                   f"call(s), {stats.get('formulas_rendered', 0)} formula(s) rendered, "
                   f"{len(pdf_jobs)} PDF(s) laid out")
    if not has_errors(all_diags):
        last.parent.mkdir(parents=True, exist_ok=True)
        last.write_text(json.dumps({"key": fingerprint, "outputs": [str(p) for p in written + report]}))
    return 1 if has_errors(build_diags) else 0


def input_fingerprint(book, langs, formats, args) -> str:
    """Everything an output depends on: the book folder, templates, the pipeline's code, options, date, revision.

    A match with the last clean build means nothing can differ, so the build stops before any work.
    """
    h = hashlib.sha256()
    roots = [book.root, Path(__file__).resolve().parents[1] / "templates", Path(__file__).resolve().parent]
    if "html" in formats and not getattr(args, "no_claims", False):
        roots.append(book.checks_dir)  # the site's claim marks come from running the checks
    for base in roots:
        for p in sorted(base.rglob("*")):
            if p.is_file() and "__pycache__" not in p.parts and not p.name.endswith(".pyc"):
                h.update(str(p.relative_to(base)).encode() + b"\0" + p.read_bytes() + b"\0")
    meta = build_meta(book)
    opts = [langs, formats, pdf_layout_mode(args), os.environ.get("DL500_PDF_RECTO", ""), meta["epoch"],
            meta["revision"], str(getattr(args, "out", "")), getattr(args, "no_claims", False)]
    h.update(json.dumps(opts, sort_keys=True, default=str).encode())
    return h.hexdigest()


def _read_json(path: Path) -> dict:
    try:
        return json.loads(path.read_text("utf-8"))
    except (OSError, ValueError):
        return {}


class SiteInputs:
    """What the web edition reuses from the build: rendered math, figures, images, metadata, the id index."""

    def __init__(self, math, figures, images, meta, ids, chapter_of):
        self.math, self.figures, self.images, self.meta = math, figures, images, meta
        self.ids, self.chapter_of = ids, chapter_of


def write_report(book, outputs: OutputSet, progress) -> list:
    """The translation report into the staging set; its links to sources are relative to where it is published."""
    from .status import build_report, render_badge, render_html, render_markdown
    progress.stage("translation report")
    report = build_report(book)
    files = {"translation-status.json": json.dumps(report, ensure_ascii=False, indent=2) + "\n",
             "translation-status.html": render_html(book, report, outputs.out),
             "translation-status.md": render_markdown(report),
             "translation-badge.svg": render_badge(report)}
    written = []
    for name, text in files.items():
        atomic_write(outputs.staging / name, text.encode("utf-8"))
        written.append(outputs.staging / name)
    return written


def chapter_files(book) -> dict:
    """id → the EPUB file of its chapter, for cross-chapter links."""
    from .model import iter_groups, iter_question_refs
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
                if t is None:
                    continue
                for span in parsed_body(t).spans({"image"}):
                    if span.attrs.get("id"):
                        out[span.attrs["id"]] = f
    return out


def _weasyprint_version() -> str:
    from importlib import metadata
    return metadata.version("weasyprint")
