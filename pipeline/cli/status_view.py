"""`dl500 status` on the terminal: the report's tables (rich), what changed since a ref, the files written.

The report itself (counts, states, the HTML/Markdown/JSON files and the badge) is built by pipeline.status, which
prints nothing.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

from ..status import COLOURS, SINCE_LABELS, STATES, default_out_dir, since_changes, write_status_report


def print_table(book, report: dict, console=None) -> None:
    from rich import box
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text
    console = console or Console(file=sys.stdout)
    short = {"reviewed": "rev.", "draft": "draft", "machine": "mach.", "stale": "stale", "missing": "miss."}
    for lang in report["languages"]:
        t = Table(title=f"Translation status: {book.primary} → {lang}", title_justify="left", box=box.SIMPLE_HEAD,
                  pad_edge=False, padding=(0, 1), collapse_padding=True, show_edge=False)
        t.add_column("ch", justify="right", overflow="fold", min_width=2)
        t.add_column("chapter", overflow="fold", max_width=max(10, min(40, console.width - 68)))
        t.add_column("qs", justify="right", overflow="fold", min_width=3)
        for s in STATES:
            t.add_column(short[s], justify="right", style=COLOURS[s] if s != "missing" else "dim", overflow="fold",
                         min_width=5)
        t.add_column("progress", overflow="fold", min_width=19)
        rows = [(c["number"], c["title"].get(lang) or c["title"].get(book.primary) or c["id"], c["languages"][lang])
                for c in report["chapters"]]
        for i, (num, title, c) in enumerate([*rows, ("", "whole book", report["totals"][lang])]):
            if i == len(rows):
                t.add_section()
            t.add_row(num, title, str(c["questions"]), *(str(c[s]) for s in STATES), stacked_bar(c, Text))
        console.print(t)
        console.print("  " + "  ".join(f"[{COLOURS[s]}]█[/] {s}" for s in STATES))


def print_reviews(book, report: dict, console=None) -> None:
    """Per chapter: the originals' review states, each language's stale reviews, the oldest review."""
    from rich import box
    from rich.console import Console
    from rich.table import Table
    console = console or Console(file=sys.stdout)
    t = Table(title="Reviews (originals: reviewed / review stale / unreviewed)", title_justify="left",
              box=box.SIMPLE_HEAD, pad_edge=False, padding=(0, 1), collapse_padding=True, show_edge=False)
    t.add_column("ch", justify="right", overflow="fold", min_width=2)
    t.add_column("chapter", overflow="fold", max_width=max(10, min(40, console.width - 60)))
    for col in ("rev.", "stale", "unrev."):
        t.add_column(col, justify="right", overflow="fold")
    for lang in report["languages"]:
        t.add_column(f"{lang} rev.", justify="right", overflow="fold")
        t.add_column(f"{lang} stale", justify="right", overflow="fold")
    t.add_column("oldest review", overflow="fold")
    rows = [(c["number"], c["title"].get(book.primary) or c["id"], c["reviews"], c["oldest_review"])
            for c in report["chapters"]]
    for i, (num, title, r, oldest) in enumerate([*rows, ("", "whole book", report["reviews"],
                                                         report["oldest_review"])]):
        if i == len(rows):
            t.add_section()
        o = r["originals"]
        cells = [str(o["reviewed"]), str(o["stale"]), str(o["unreviewed"])]
        for lang in report["languages"]:
            cells += [str(r["translations"][lang]["reviewed"]), str(r["translations"][lang]["stale"])]
        t.add_row(num, title, *cells, oldest or "—")
    console.print(t)


def print_breakdown(report: dict, key: str, console=None) -> None:
    """Questions, translated and reviewed per difficulty ("by_difficulty") or per topic ("by_topic")."""
    from rich import box
    from rich.console import Console
    from rich.table import Table
    console = console or Console(file=sys.stdout)
    t = Table(title=f"By {key.removeprefix('by_')}", title_justify="left", box=box.SIMPLE_HEAD, pad_edge=False,
              padding=(0, 1), collapse_padding=True, show_edge=False)
    t.add_column(key.removeprefix("by_"), overflow="fold")
    t.add_column("qs", justify="right", overflow="fold")
    t.add_column("orig. rev.", justify="right", overflow="fold")
    for lang in report["languages"]:
        t.add_column(f"{lang} transl.", justify="right", overflow="fold")
        t.add_column(f"{lang} rev.", justify="right", overflow="fold")
        t.add_column(f"{lang} %", justify="right", overflow="fold")
    for row in report[key]:
        label = row["id"] + (f" {row['title']['en']}" if row["title"].get("en") and key == "by_difficulty" else "")
        cells = [str(row["questions"]), str(row["originals_reviewed"])]
        for lang in report["languages"]:
            c = row["languages"][lang]
            cells += [str(c["translated"]), str(c["reviewed"]), f"{c['percent_translated']:g}"]
        t.add_row(label, *cells)
    console.print(t)


def stacked_bar(c: dict, Text, width: int = 12):
    """A text progress bar with one coloured run per state, and the translated share after it."""
    bar = Text()
    n = c["questions"]
    used = 0
    for i, s in enumerate(STATES):
        cells = width - used if i == len(STATES) - 1 else round(width * c[s] / n) if n else 0
        cells = max(0, min(cells, width - used))
        used += cells
        bar.append(("█" if s != "missing" else "░") * cells, style=COLOURS[s])
    bar.append(f" {c['percent_translated']:5.1f}%")
    return bar


def print_since(since: dict) -> None:
    print(f"Since {since['ref']}:")
    for key, label in SINCE_LABELS.items():
        items = since[key]
        print(f"  {label}: {len(items)}")
        for it in items:
            print(f"    {it['number']:>8}  {it['id']} ({it['lang']})  {it['file']}")


def run_status(args) -> int:
    from ..diagnostics import has_errors
    from ..changes import book_at_ref, renumbering_diagnostics
    from .common import EXIT_ERRORS, EXIT_OK, EXIT_USAGE, emit, load_or_exit
    book, _ = load_or_exit(args.path, "text")
    since, diags = None, []
    if args.since:
        try:
            with book_at_ref(book, args.since) as old:
                since = since_changes(old, book, args.since)
                diags = renumbering_diagnostics(old, book)
        except RuntimeError as e:
            print(f"dl500: {e}", file=sys.stderr)
            return EXIT_USAGE
    out_dir = Path(args.out) if args.out else default_out_dir(book)
    paths = write_status_report(book, out_dir, history=not args.no_history, since=since)
    if not args.quiet:
        report = json.loads(paths["json"].read_text("utf-8"))
        print_table(book, report)
        print_reviews(book, report)
        print_breakdown(report, "by_difficulty")
        if getattr(args, "by_topic", False):
            print_breakdown(report, "by_topic")
        if since:
            print_since(since)
        for p in paths.values():
            shown = os.path.relpath(p)
            print(f"wrote {p if shown.startswith('..') else shown}")
    if diags:
        emit(diags, "text")
    return EXIT_ERRORS if has_errors(diags) else EXIT_OK
