"""The PDF renderer: each edition's HTML for print, laid out in parts (default) or as one document, with page
numbers stamped afterwards (docs/build.md says why and how).

The package: document (the print HTML and its page-number placeholders), layout (WeasyPrint), parts (the parts
and their tasks), pool (one pool of workers for them), stamp (page numbers from templates), join (pikepdf),
structure (the tagged tree), fonts (one copy of each font), drawings (each formula drawn once), svgpath (ziamath's
SVG drawn directly), lean (plain spans folded away), svgs (formulas stored by hash), save."""

from __future__ import annotations

import functools
import json
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from ...cache import read_json
from ...diagnostics import WARNING, diag
from ..html import RenderContext
from ..output import atomic_write
from ..registry import Rendered, RenderTarget
from .document import PrintSettings

CHARS_PER_PAGE = {"zh": 1100, "en": 1750}  # of Markdown source, measured on this book's page size and CSS


@dataclass
class PdfJob:
    target: Path
    key: str
    html: str
    edition: object
    meta: dict
    pages: int | None = None  # the joined PDF's page count, once laid out in parts (else read from the file)


def render(prepared, options, target: RenderTarget) -> Rendered:
    """Both editions' PDFs into the staging folder; an edition whose HTML is unchanged is carried over."""
    out = Rendered()
    if options.pdf_layout != "single" and options.jobs > 1:
        from ..lifeline import start_forkserver
        start_forkserver()
    # Lazily: in parts, the first edition's layouts start while the next edition is assembled.
    pending = (job for lang in options.langs if (job := _job_if_changed(prepared, lang, options, target, out)))
    jobs = _lay_out(pending, prepared.book, options, target, out)
    for job in jobs:
        _widen_if_outgrown(job, prepared.book, options, target, out)
    out.files = [target.staging / lang / "dl500.pdf" for lang in options.langs]
    out.laid_out = len(jobs)
    return out


def _job_if_changed(prepared, lang: str, options, target: RenderTarget, out: Rendered) -> PdfJob | None:
    from .document import normalise_bookmark_text, render_edition_html
    book = prepared.book
    from .svgs import SvgStore
    ctx = RenderContext(lang, "pdf", dict(prepared.ids), dict(prepared.chapter_of), math=dict(prepared.math),
                        svg_src=SvgStore(svg_folder(target.cache_dir)).src,
                        figures=dict(prepared.figures), images={k: p.as_uri() for k, p in prepared.images.items()},
                        code=prepared.code)  # highlighted once by prepare (cached by content)
    edition = prepared.edition(lang, ctx)
    meta = dict(prepared.meta, pg_digits=page_digits_hint(book, lang, target.cache_dir))
    html = normalise_bookmark_text(render_edition_html(book, edition, meta, recto=options.recto_chapters))
    path = target.staging / lang / "dl500.pdf"
    key = output_key("pdf", html, weasyprint_version(), pdf_code_version(), meta["epoch"], options.pdf_tags)
    if edition.pending:
        target.on_event(f"{lang}: {len(edition.pending)} question(s) shown in the original (translation pending)")
    if up_to_date(path, key, target.cache_dir):
        return None
    return PdfJob(path, key, html, edition, meta)


def _lay_out(jobs, book, options, target: RenderTarget, out: Rendered) -> list:
    """Lay out the editions `jobs` yields (an iterable); returns the jobs laid out."""
    if options.pdf_layout != "single":
        return write_pdfs_in_parts(jobs, book, options, target, out.diagnostics)
    jobs = list(jobs)
    target.gate()
    if jobs:
        write_single_document_pdfs(jobs, book, options.jobs, target, options.pdf_tags)
    return jobs


def _widen_if_outgrown(job: PdfJob, book, options, target: RenderTarget, out: Rendered) -> None:
    """Remember the page count; a book that outgrew its page-number boxes is laid out again with wider ones."""
    from .document import normalise_bookmark_text, render_edition_html
    pages = job.pages or pdf_page_count(job.target)
    digits = max(job.meta["pg_digits"], len(str(pages)))
    target.cache_dir.mkdir(parents=True, exist_ok=True)
    (target.cache_dir / f"{job.edition.lang}-pages.json").write_text(json.dumps({"pages": pages, "digits": digits}))
    if len(str(pages)) <= job.meta["pg_digits"]:
        return
    target.on_event(f"pdf {job.edition.lang}: {pages} pages need {len(str(pages))}-digit page numbers")
    wider = dict(job.meta, pg_digits=len(str(pages)))
    html = normalise_bookmark_text(render_edition_html(book, job.edition, wider, recto=options.recto_chapters))
    _lay_out([PdfJob(job.target, job.key, html, job.edition, wider)], book, options, target, out)


def page_digits_hint(book, lang: str, cache_dir: Path) -> int:
    """How many digits the page numbers of this edition need: what the last build used (widened when the book
    outgrew it), else estimated from the text with a margin. Page numbers are stamped into boxes this wide
    (document.placeholder); a box wider than its number leaves a small gap, a narrower one is never kept."""
    used = read_json(cache_dir / f"{lang}-pages.json").get("digits")
    if isinstance(used, int) and used > 0:  # keep what the last build used while the pages fit: no relayout
        return used
    est = 0.0
    for _, ref in book.questions():
        t = book.text(ref.qid, lang) or book.text(ref.qid, book.primary)
        if t is not None:
            est += (len(t.title) + len(t.body)) / CHARS_PER_PAGE.get(t.lang, 1400)
    return max(2, min(4, len(str(int(est * 1.3) + len(book.chapters) + 10))))


def pdf_page_count(path: Path) -> int:
    """(pikepdf: pypdf parsed every object stream of the joined file to count its pages, ~0.6 GiB and 10 s)"""
    import pikepdf
    with pikepdf.open(path) as pdf:
        return len(pdf.pages)


def svg_folder(cache_dir: Path) -> Path:
    """Where the editions' formulas and figures are stored for the layout (pdf.svgs)."""
    return cache_dir / "pdf-parts" / "svg"


def _pdf_job(args):
    html, root, lang, tags, svgs = args
    from .stamp import write_stamped_pdf
    return write_stamped_pdf(html, Path(root), lang, tags, Path(svgs))


def write_single_document_pdfs(jobs: list, book, workers: int, target: RenderTarget, tags: bool = True) -> None:
    target.on_event(f"pdf: laying out {len(jobs)} edition(s) as one document each with WeasyPrint "
                    f"({min(workers, len(jobs))} process(es))")
    args = [(j.html, str(book.root), j.edition.lang, tags, str(svg_folder(target.cache_dir))) for j in jobs]
    if len(jobs) > 1 and workers > 1:
        from ..lifeline import die_with_parent
        with ProcessPoolExecutor(max_workers=min(workers, len(jobs)), initializer=die_with_parent) as ex:
            pdfs = list(ex.map(_pdf_job, args))
    else:
        pdfs = [_pdf_job(a) for a in args]
    for job, data in zip(jobs, pdfs):
        atomic_write(job.target, data)
        mark_written(job.target, job.key, target.cache_dir)


def write_pdfs_in_parts(jobs, book, options, target: RenderTarget, diagnostics: list) -> list:
    """The editions `jobs` yields laid out per chapter, all parts in one pool of `workers` processes (longest
    first), then each joined; reports parts reused and peak memory. Layout events go to `target.on_layout`. An
    edition is planned (and `jobs` asked for the next one) once the earlier editions' first tasks are running.
    Returns the jobs laid out."""
    from .parts import build_pdfs_in_parts
    workers = options.jobs
    settings = PrintSettings(options.recto_chapters, options.pdf_tags, options.pdf_part_limit_mib)
    laid: list = []  # (job, request), as they come

    def requests():
        for job in jobs:
            target.on_event(f"pdf {job.edition.lang}: laying out in parts with WeasyPrint ({workers} process(es))")
            # No build date in the key: a chapter part holds none, the front part's HTML holds it (parts.part_html).
            laid.append((job, (book, job.edition, job.meta, {}, job.target)))
            yield laid[-1][1]

    sizes = build_pdfs_in_parts(requests(), book.root, target.cache_dir, workers,
                                (weasyprint_version(), layout_code_version()), target.on_layout, settings,
                                gate=target.gate)
    for (job, (_, _, _, report, _)), size in zip(laid, sizes):
        mark_written(job.target, job.key, target.cache_dir)  # written by the join's worker
        job.pages = report.get("joined_pages")
        report_parts(job.edition.lang, report, size, target, diagnostics, settings.part_limit_mib)
    return [job for job, _ in laid]


def report_parts(lang: str, report: dict, size: int, target: RenderTarget, diagnostics: list,
                 limit_mib: int) -> None:
    peaks = report["peaks"]
    largest = max(peaks.items(), key=lambda kv: kv[1]) if peaks else ("-", 0)
    target.on_event(f"pdf {lang} parts: {report['parts']} part(s), {report['laid_out']} laid out, "
                    f"{report['reused']} reused, {report['layout_only']} layout-only, {report['rounds']} round(s), "
                    f"{report['stamped']} stamp template document(s) laid out; "
                    f"layout {sum(report['seconds'].values()):.1f} s of CPU in workers, stamps {report['stamp_seconds']:.1f} s, join {report['join_seconds']:.1f} s "
                    f"({report.get('join_peak', 0):.0f} MiB); "
                    f"largest worker {largest[1]:.0f} MiB ({largest[0]}); {size / 2**20:.1f} MB")
    for name, mib in sorted(peaks.items()):
        if mib > limit_mib:
            diagnostics.append(diag("DL902", f"{name}/chapter.yaml" if name != "front" else "book.yaml", 1, 1,
                                    f"laying out part '{name}' of the {lang} PDF took {mib:.0f} MiB "
                                    f"(limit {limit_mib} MiB)",
                                    "split the chapter, or raise DL500_PDF_PART_LIMIT_MIB", severity=WARNING))


def output_key(*parts) -> str:
    from ...cache import key
    return key(*parts)


def _output_marks(cache_dir: Path):
    """Which key each published PDF was made from (`outputs/<lang>-dl500.pdf.key`), in the content cache."""
    from ...cache import ContentCache
    return ContentCache(cache_dir / "outputs", suffix=".key")


def _mark_name(target: Path) -> str:
    return f"{target.parent.name}-{target.name}"


def up_to_date(target: Path, key: str, cache_dir: Path) -> bool:
    return target.is_file() and _output_marks(cache_dir).get_text(_mark_name(target)) == key


def mark_written(target: Path, key: str, cache_dir: Path) -> None:
    _output_marks(cache_dir).put_text(_mark_name(target), key)


LAYOUT_CODE = ("layout.py", "drawings.py", "svgpath.py", "lean.py", "save.py")  # what makes a part's PDF from its HTML (the HTML is in the key itself)
PDF_CODE = ("__init__.py", "document.py", "parts.py", "partcache.py", "pool.py", "stamp.py", "join.py", "structure.py",
            "fonts.py", "svgs.py",
            *LAYOUT_CODE, "../math.py", "../forkserver_init.py", "../lifeline.py")


@functools.lru_cache(maxsize=1)
def layout_code_version() -> str:
    """A hash of the code that lays out a part: part keys change with it, so a change in how a part is laid out
    (tagging, say) lays out every part again, even where no part's HTML changed. The join is not in it: a
    change there joins again (pdf_code_version, in the output key) but reuses every part."""
    return _code_hash(LAYOUT_CODE)


@functools.lru_cache(maxsize=1)
def pdf_code_version() -> str:
    """A hash of all the code that makes the PDF from an edition's HTML: the published PDF's key changes with it."""
    return _code_hash(PDF_CODE)


def _code_hash(names: tuple) -> str:
    import hashlib
    h = hashlib.sha256()
    here = Path(__file__).resolve().parent
    for name in names:
        path = here / name
        h.update(name.encode() + b"\0" + (path.read_bytes() if path.is_file() else b"") + b"\0")
    return h.hexdigest()[:16]


def weasyprint_version() -> str:
    from importlib import metadata
    return metadata.version("weasyprint")

