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
    verdict = Verdict(validate_beside(book), load_diags, options.keep_going, on_event)  # validated in a fork
    prepared, held_events = _prepare_held(book, options)
    for text in held_events:
        verdict.event(text)
    outputs = OutputSet(options.out_dir)
    outputs.begin()
    try:
        if isinstance(prepared, Exception):
            verdict.require()
            raise prepared
        result = _render_and_publish(prepared, verdict, options, outputs, verdict.event, on_layout)
    except ValidationFailed as e:
        outputs.abort()
        return _failed_validation(e.errors)
    except BaseException as e:
        outputs.abort()
        errors = _stopping_errors(verdict) if isinstance(e, Exception) else []
        if errors:  # a renderer that tripped on an invalid book: say what is wrong with the book
            return _failed_validation(errors)
        raise
    errors = [d for d in verdict.require() if d.severity == ERROR]
    if errors:
        result.notes.append(f"dl500 build: published despite {len(errors)} validation error(s) (--keep-going): "
                            + ", ".join(sorted({f'{d.code} {d.file}:{d.line}' for d in errors})[:10]))
    if not has_errors(result.diagnostics):
        _remember_build(book, fingerprint, result.files)
    return result


def _stopping_errors(verdict) -> list:
    try:
        return verdict.failing()
    except Exception:  # noqa: BLE001 — validation itself failed: the renderer's exception is the one to raise
        return []


def _failed_validation(errors: list) -> BuildResult:
    return BuildResult(1, diagnostics=errors,
                       notes=[f"dl500 build: {len(errors)} validation error(s); fix them or pass --keep-going"])


class ValidationFailed(Exception):
    def __init__(self, errors: list):
        super().__init__(f"{len(errors)} validation error(s)")
        self.errors = errors


class Verdict:
    """Validation's verdict, which runs in a fork beside prepare: waited for once, by the first renderer about to
    do costly or untrusted work (RenderTarget.gate: the PDF's layouts, the site's claims), else before publishing.
    So what renderers assemble first (an edition's HTML, its parts' keys) overlaps validation. Until the verdict is
    in, stage lines are held: a book with validation errors prints those alone, as when nothing was done before
    validation; its staged outputs are thrown away."""

    def __init__(self, wait, load_diags, keep_going: bool, on_event):
        import threading
        self._wait, self._load, self._keep_going, self._emit = wait, list(load_diags), keep_going, on_event
        self._lock = threading.Lock()  # the translation report's thread says its stage line too
        self._waiting = threading.Lock()
        self._diags: list | None = None
        self._held: list = []
        self._on_pass: list = []

    def event(self, text: str) -> None:
        with self._lock:
            if self._diags is None:
                self._held.append(text)
                return
        self._emit(text)

    def require(self) -> list:
        """The diagnostics (load and validation); raises ValidationFailed when there are errors and the build does
        not --keep-going."""
        errors = self.failing()
        if errors:
            raise ValidationFailed(errors)
        passed, self._on_pass = self._on_pass, []
        for fn in passed:
            fn()
        return self._diags

    def when_passed(self, fn) -> None:
        """Call `fn()` once the book has passed validation (at the first require() that finds it so)."""
        self._on_pass.append(fn)
        if self._diags is not None and not self.failing():
            self.require()

    def failing(self) -> list:
        """The errors that stop the build ([] when it goes on), once validation is done."""
        with self._waiting:  # one waiter; the lock below is not held meanwhile (the report's thread says its line)
            if self._diags is None:
                diags = self._load + self._wait()
                stops = any(d.severity == ERROR for d in diags) and not self._keep_going
                with self._lock:
                    self._diags = diags
                    held, self._held = self._held, []
                    for text in ([] if stops else held):
                        self._emit(text)
        errors = [d for d in self._diags if d.severity == ERROR]
        return [] if self._keep_going else errors


def _prepare_held(book, options: BuildOptions) -> tuple:
    """(Prepared, its progress lines) while validation runs beside it: the lines are shown, and an exception
    prepare raised (the Prepared's place) is raised, only once validation lets the build go on; a book with
    validation errors reports those, as when it was validated before anything was prepared."""
    events: list = []
    try:
        return prepare(book, options.langs, cache_folder(book), options.jobs, events.append), events
    except Exception as e:  # noqa: BLE001 — raised by the caller when validation passes
        return e, events


def _render_and_publish(prepared, verdict: Verdict, options: BuildOptions, outputs: OutputSet, on_event,
                        on_layout) -> BuildResult:
    """Every output into the staging set, then publish it when validation and rendering had no error (see the
    module doc)."""
    from concurrent.futures import ThreadPoolExecutor
    book = prepared.book
    target = RenderTarget(outputs.staging, cache_folder(book), on_event, on_layout, gate=verdict.require)
    found, files, laid_out = list(prepared.diagnostics), [], 0
    # The translation report is written in a thread once the book has passed validation: when a renderer asks for
    # the verdict before its layouts, the build process then mostly waits on the PDF's workers (0.15 s off an
    # edit); else just before publishing. Its files still come last, as before.
    with ThreadPoolExecutor(max_workers=1) as beside:
        report = []
        # (the renderer's module is imported in the thread too: ~0.08 s the PDF's first layout does not wait for)
        verdict.when_passed(lambda: report.append(beside.submit(
            lambda: renderer("report")(prepared, options, target))))
        done = [renderer(f)(prepared, options, target) for f in RENDERERS if f in options.formats]
        diags = verdict.require()
        for rendered in done + [report[0].result()]:
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

