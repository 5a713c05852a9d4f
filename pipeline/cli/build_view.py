"""`dl500 build` on the terminal: options from the flags, progress lines on stderr, published files on stdout."""

from __future__ import annotations

import sys
import time

from ..diagnostics import ERROR, WARNING, format_text, has_errors
from ..load import display_path


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
        """The PDF layout's events (render.pdf.parts.build_pdfs_in_parts): a rich bar per edition on a terminal (parts
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


def cmd_build(args) -> int:
    from ..build import build_book
    from ..options import OptionsError, build_options
    from .common import EXIT_USAGE, load_or_exit
    book, diags = load_or_exit(args.path, "text")
    try:
        options = build_options(book, langs=args.lang, formats=args.formats, jobs=args.jobs, out=args.out,
                                pdf_layout=args.pdf_layout, keep_going=args.keep_going, no_claims=args.no_claims)
    except OptionsError as e:
        print(f"dl500 build: {e}", file=sys.stderr)
        return EXIT_USAGE
    progress = Progress(args.quiet)
    result = build_book(book, diags, options, progress.stage, progress.layout)
    show_result(book, result, args.quiet)
    return result.code


def show_result(book, result, quiet: bool) -> None:
    """Errors and warnings (all of them when the build failed, none of the warnings with --quiet) and notes on
    stderr; the published files on stdout, one per line."""
    if result.diagnostics and (has_errors(result.diagnostics) or not quiet):
        shown = [d for d in result.diagnostics if d.severity in (ERROR, WARNING)]
        if shown:
            sys.stderr.write(format_text(shown))
    for note in result.notes:
        print(note, file=sys.stderr)
    for path in result.files:
        print(display_path(path, book.root))
