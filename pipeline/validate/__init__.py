"""Validate the model: each family of checks reads the book and returns diagnostics, never raises on bad input."""

from __future__ import annotations

from functools import lru_cache

from .body_scanner import Body
from . import contributors, glossary, links, math, numbering, outline, pairs, reviews, tags
from . import accessibility, markup


@lru_cache(maxsize=4096)
def _body(text: str, first_line: int) -> Body:
    return Body(text, first_line)


def parsed_body(qt) -> Body:
    """The scanned body of a question text, parsed once per run."""
    return _body(qt.body, qt.body_line)


FAMILIES = (outline.check, numbering.check, links.check, math.check, contributors.check, tags.check, reviews.check,
            glossary.check, pairs.check)
FAMILIES += (markup.check,)  # raw HTML and unsafe attributes (DL430-DL432)
FAMILIES += (accessibility.check,)  # images without alt text (DL450)


def validate(book, only_files: set | None = None) -> list:
    """All validation diagnostics; `only_files` restricts per-file findings to those files."""
    out = []
    for family in FAMILIES:
        out += family(book, parsed_body)
    if only_files is not None:
        out = [d for d in out if d.file in only_files]
    return out


_BESIDE: dict = {}  # the book a forked validation reads: set just before the fork, so nothing is pickled


def _validate_forked() -> list:
    return validate(_BESIDE["book"])


def validate_beside(book):
    """Start validate(book) in a forked copy of this process, so a build prepares on the other core meanwhile;
    returns a function that waits for the diagnostics (and raises what validate raised). Where there is no fork
    (Windows), validate runs here, now."""
    import multiprocessing
    if "fork" not in multiprocessing.get_all_start_methods():
        found = validate(book)
        return lambda: found
    from concurrent.futures import ProcessPoolExecutor

    from ..render.lifeline import die_with_parent  # a killed build leaves no worker behind
    _BESIDE["book"] = book
    pool = ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("fork"),
                               initializer=die_with_parent)
    try:
        future = pool.submit(_validate_forked)
    finally:
        _BESIDE.pop("book", None)  # the worker was forked by submit: it holds its own copy

    def wait() -> list:
        try:
            return future.result()
        finally:
            pool.shutdown()
    return wait


# --- a subset of the book, for `dl500 serve` ----------------------------------------------------------------

class _SpanMemo:
    """A parsed body whose spans are scanned once: Body.spans rescans the prose (math by hand) on every call."""

    __slots__ = ("_body", "_spans")

    def __init__(self, body: Body):
        self._body, self._spans = body, None

    def __getattr__(self, name):
        return getattr(self._body, name)

    def spans(self, kinds=None) -> list:
        if self._spans is None:
            self._spans = self._body.spans()
        return [s for s in self._spans if kinds is None or s.kind in kinds]


@lru_cache(maxsize=4096)
def _memo(text: str, first_line: int) -> _SpanMemo:
    return _SpanMemo(_body(text, first_line))


def memo_body(qt):
    """Like parsed_body, with the spans kept between calls (the same findings, ~4× faster over a whole book)."""
    return _memo(qt.body, qt.body_line)


class _Subset:
    """The book as the per-file checks see it: their loops over book.texts see only `texts`; lookups by id
    (book.text, the outline, numbers, figures) still see the whole book."""

    def __init__(self, book, texts: dict):
        self._book, self.texts = book, texts

    def __getattr__(self, name):
        return getattr(self._book, name)

    def text(self, qid: str, lang: str):
        return self._book.texts.get((qid, lang))


def validate_files(book, files: set | None, body_of=memo_body, cancelled=None) -> list | None:
    """The diagnostics of the question files `files` (display paths) and of the other languages of the same
    questions (a translation's headings follow its original), checked against the whole book's ids and numbers;
    `files=None` checks the whole book (like validate, with memoised spans). What one edited file can affect
    elsewhere (an id others link to) shows only in a whole-book run. `cancelled()` is asked between families;
    when it says True the run stops and returns None."""
    if files is None:
        view, keep = book, None
    else:
        qids = {qid for (qid, _), qt in book.texts.items() if qt.rel in files}
        texts = {k: qt for k, qt in book.texts.items() if k[0] in qids}
        view, keep = _Subset(book, texts), set(files) | {qt.rel for qt in texts.values()}
    out = []
    for family in FAMILIES:
        if cancelled is not None and cancelled():
            return None
        out += family(view, body_of)
    return out if keep is None else [d for d in out if d.file in keep]
