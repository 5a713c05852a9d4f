"""`dl500 build`: lock the output folder → validate (forked) beside prepare → each renderer → the report → publish.

Every output is written into a staging set (render.output.OutputSet) that replaces the published set in one rename
at the end, and only when the build had no error: a failed or killed build leaves the previous outputs as they
were. Unchanged outputs are carried over, not rewritten. A build whose inputs fingerprint matches the last clean
build's stops before any work. The build prints nothing: it returns a `BuildResult` and reports progress through
`on_event`; the CLI (cli/build_view.py) shows both.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from .cache import read_json
from .diagnostics import ERROR, diag, has_errors
from .load import display_path
from .options import BuildOptions
from .prepare import build_meta, prepare
from .render.output import BuildLocked, OutputSet, lock_output_folder
from .render.registry import RENDERERS, RenderTarget, renderer
from .templates import template_dir
from .validate import validate_beside


@dataclass
class BuildResult:
    code: int  # 0 published, 1 errors, 2 could not build
    files: list = field(default_factory=list)  # what was published, for stdout
    diagnostics: list = field(default_factory=list)  # everything found (load, validation, rendering)
    notes: list = field(default_factory=list)  # one-line messages for stderr (why nothing was published, …)


def build_book(book, load_diags, options: BuildOptions, on_event: Callable[[str], None] = lambda text: None,
               on_layout: Callable[[dict], None] = lambda event: None) -> BuildResult:
    """Hold the output folder's lock for the whole build: a second build waits, then finds the work done.
    `on_event` hears each stage as a line; `on_layout` the PDF layout's events (parts done, pages)."""
    out_dir = options.out_dir

    def waiting(owner):
        on_event(f"waiting for the build (pid {owner}) that is writing {display_path(out_dir, book.root)}")
    try:
        lock = lock_output_folder(out_dir, options.lock_wait_s, on_wait=waiting)
    except BuildLocked as e:
        return BuildResult(2, diagnostics=[diag(
            "DL910", display_path(out_dir, book.root), 1, 1,
            f"another build (pid {e.args[0]}) has been writing this folder for over {options.lock_wait_s:.0f} s",
            "let it finish, or stop it; DL500_BUILD_LOCK_WAIT_S sets how long a build waits")])
    try:
        return _build_locked(book, load_diags, options, on_event, on_layout)
    finally:
        lock.release()


def cache_folder(book) -> Path:
    return book.root.parent / ".dl500-cache" / "render"


def _build_locked(book, load_diags, options: BuildOptions, on_event, on_layout) -> BuildResult:
    fingerprint = input_fingerprint(book, options)
    previous = read_json(cache_folder(book) / "last-build.json")
    if previous.get("key") == fingerprint and all(Path(p).is_file() for p in previous.get("outputs", [])):
        OutputSet(options.out_dir).remove_leftovers()  # what a killed build left: the lock is ours, nothing in use
        on_event("done: nothing changed since the last build (inputs fingerprint matches)")
        return BuildResult(0, files=[Path(p) for p in previous["outputs"]])
    on_event("validating")
    validation = validate_beside(book)  # a forked process: this one prepares meanwhile
    prepared, held_events = _prepare_held(book, options)
    diags = list(load_diags) + validation()
    errors = [d for d in diags if d.severity == ERROR]
    if errors and not options.keep_going:
        return BuildResult(1, diagnostics=errors,
                           notes=[f"dl500 build: {len(errors)} validation error(s); fix them or pass --keep-going"])
    if isinstance(prepared, Exception):
        raise prepared
    for text in held_events:
        on_event(text)
    outputs = OutputSet(options.out_dir)
    outputs.begin()
    try:
        result = _render_and_publish(prepared, diags, options, outputs, on_event, on_layout)
    except BaseException:
        outputs.abort()
        raise
    if errors:
        result.notes.append(f"dl500 build: published despite {len(errors)} validation error(s) (--keep-going): "
                            + ", ".join(sorted({f'{d.code} {d.file}:{d.line}' for d in errors})[:10]))
    if not has_errors(result.diagnostics):
        _remember_build(book, fingerprint, result.files)
    return result


def _prepare_held(book, options: BuildOptions) -> tuple:
    """(Prepared, its progress lines) while validation runs beside it: the lines are shown, and an exception
    prepare raised (the Prepared's place) is raised, only once validation lets the build go on; a book with
    validation errors reports those, as when it was validated before anything was prepared."""
    events: list = []
    try:
        return prepare(book, options.langs, cache_folder(book), options.jobs, events.append), events
    except Exception as e:  # noqa: BLE001 — raised by the caller when validation passes
        return e, events


def _render_and_publish(prepared, diags, options: BuildOptions, outputs: OutputSet, on_event,
                        on_layout) -> BuildResult:
    """Every output into the staging set, then publish it when rendering had no error (see the module doc)."""
    book = prepared.book
    target = RenderTarget(outputs.staging, cache_folder(book), on_event, on_layout)
    found, files, laid_out = list(prepared.diagnostics), [], 0
    for fmt in [f for f in RENDERERS if f in options.formats] + ["report"]:
        rendered = renderer(fmt)(prepared, options, target)
        found += rendered.diagnostics
        files += rendered.files
        laid_out += rendered.laid_out
    result = _publish(book, outputs, options, diags, found, files, on_event)
    stats = prepared.stats
    on_event(f"done: pandoc {stats.get('pandoc_fragments', 0)} fragment(s) in {stats.get('pandoc_calls', 0)} "
             f"call(s), {stats.get('formulas_rendered', 0)} formula(s) rendered, {laid_out} PDF(s) laid out")
    return result


def _publish(book, outputs: OutputSet, options, diags, found, files, on_event) -> BuildResult:
    """Swap the staging set in when rendering found no error (or --keep-going); otherwise keep the published one."""
    if has_errors(found) and not options.keep_going:
        outputs.abort()
        found = found + [diag("DL911", display_path(outputs.out, book.root), 1, 1,
                              "the build had errors: nothing was published, the previous outputs are unchanged",
                              "fix the errors above (or pass --keep-going to publish anyway)")]
        return BuildResult(1, diagnostics=diags + found)
    import time
    t0 = time.monotonic()
    manifest = outputs.commit()
    on_event(f"published {len(manifest['files'])} file(s) as one set: manifest and swap "
             f"{time.monotonic() - t0:.2f} s")
    return BuildResult(1 if has_errors(found) else 0, files=[outputs.final(p) for p in files],
                       diagnostics=diags + found)


def _remember_build(book, fingerprint: str, files: list) -> None:
    last = cache_folder(book) / "last-build.json"
    last.parent.mkdir(parents=True, exist_ok=True)
    last.write_text(json.dumps({"key": fingerprint, "outputs": [str(p) for p in files]}))


def input_fingerprint(book, options: BuildOptions) -> str:
    """Everything an output depends on: the book folder, templates, the pipeline's code, options, date, revision.

    A match with the last clean build means nothing can differ, so the build stops before any work.
    """
    h = hashlib.sha256()
    roots = [book.root, template_dir(), Path(__file__).resolve().parent]
    if "html" in options.formats and options.run_claims:
        roots.append(book.checks_dir)  # the site's claim marks come from running the checks
    for base in roots:
        for p in sorted(base.rglob("*")):
            if p.is_file() and "__pycache__" not in p.parts and not p.name.endswith(".pyc"):
                h.update(str(p.relative_to(base)).encode() + b"\0" + p.read_bytes() + b"\0")
    meta = build_meta(book)
    opts = [list(options.langs), list(options.formats), options.pdf_layout, options.recto_chapters, meta["epoch"],
            meta["revision"], str(options.out_dir), not options.run_claims]
    h.update(json.dumps(opts, sort_keys=True, default=str).encode())
    return h.hexdigest()

