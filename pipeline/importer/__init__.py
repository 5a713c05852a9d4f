"""The legacy-layout importer: `dl500 import LEGACY_DIR --out DIR` (see docs/import.md)."""

from __future__ import annotations

import re
import sys
from pathlib import Path

from .assemble import Question, assemble_book, iter_items
from .headings import clean_inline
from .legacy import ENGLISH_DIR, ImportFailure, scan_legacy
from .previous import MAP_FILE, Previous, read_previous
from .report import Report
from .write import check_target, plan_files, render_map, write_tree

EXIT_OK, EXIT_USAGE = 0, 2


def book_titles(root: Path) -> dict:
    """The legacy README's first heading is the book's title; the English README's, its English title."""
    titles = {}
    for lang, folder in (("zh", root), ("en", root / ENGLISH_DIR)):
        for name in ("README.md", "readme.md"):
            p = folder / name
            if p.is_file():
                m = re.search(r"^#\s+(.+?)\s*#*\s*$", p.read_text("utf-8-sig", errors="replace"), re.M)
                if m and clean_inline(m.group(1)):
                    titles[lang] = clean_inline(m.group(1)).strip("*_ ")
                break
    titles.setdefault("zh", root.name)
    return titles


def summarise(report: Report, chapters, files: dict) -> None:
    questions = [it for ch in chapters for it in iter_items(ch.items) if isinstance(it, Question)]
    report.summary = {
        "chapters": ", ".join(f"{ch.legacy.number} ({ch.legacy.main.rel})" for ch in chapters),
        "questions": len(questions),
        "translated": sum(1 for q in questions if q.en is not None),
        "images_copied": sum(len(ch.images.copies) for ch in chapters),
        "files_written": len(files) + 3,
        "defects": len(set(report.defects)),
    }


def import_legacy(legacy: Path, out: Path, chapters_spec: str | None = None, variants: str | None = None,
                  update: bool = False) -> Report:
    """Import the legacy repository into `out`; raises ImportFailure for what the user must fix first."""
    report = Report()
    check_target(out, update)
    root, legacy_chapters, notes = scan_legacy(legacy, chapters_spec, variants)
    for kind, file, line, message in notes:
        report.add(kind, file, line, message)
    previous = read_previous(out) if update else Previous.empty()
    chapters = assemble_book(root, out, legacy_chapters, previous, report)
    files = plan_files(book_titles(root), chapters)
    summarise(report, chapters, files)
    files["import-report.md"] = report.to_markdown()
    files["import-report.json"] = report.to_json()
    files[MAP_FILE] = render_map(chapters, sorted(files))
    write_tree(out, files, previous)
    return report


def run_import(args) -> int:
    """The CLI entry: returns the exit code (0 done, 2 bad input); never a traceback for the user's mistakes."""
    try:
        report = import_legacy(Path(args.legacy), Path(args.out), getattr(args, "chapters", None),
                               getattr(args, "variants", None), bool(getattr(args, "update", False)))
    except ImportFailure as e:
        print(f"dl500 import: {e.message}", file=sys.stderr)
        if e.hint:
            print(f"  hint: {e.hint}", file=sys.stderr)
        return EXIT_USAGE
    if not getattr(args, "quiet", False):
        s = report.summary
        print(f"imported {s['questions']} questions ({s['translated']} with English) from chapters "
              f"{s['chapters']} into {args.out}")
        counts = report.counts()
        if counts:
            print("legacy defects: " + ", ".join(f"{k} {n}" for k, n in counts.items()))
        print(f"report: {Path(args.out) / 'import-report.md'}")
    return EXIT_OK
