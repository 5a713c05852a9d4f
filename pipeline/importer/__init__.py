"""The legacy-layout importer: `dl500 import LEGACY_DIR --out DIR` (see docs/import.md)."""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from pathlib import Path

from .compose import Question, assemble_book, iter_items
from .headings import clean_inline
from .legacy import ENGLISH_DIR, ImportFailure, scan_legacy  # noqa: F401  ImportFailure: part of the API
from .previous import MAP_FILE, Previous, read_previous
from .report import Report
from .write import Change, check_target, plan_changes, plan_files, record_hashes, render_map, write_tree

EXIT_OK, EXIT_CONFLICT, EXIT_USAGE = 0, 1, 2


class ImportConflict(Exception):
    """--update found files that both the maintainers and the legacy text changed; nothing was written."""

    def __init__(self, conflicts: list[Change]):
        super().__init__(f"{len(conflicts)} conflicts")
        self.conflicts = conflicts


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


@dataclass
class ImportPlan:
    report: Report
    files: dict
    changes: list

    @property
    def conflicts(self) -> list:
        return [c for c in self.changes if c.action == "conflict"]


def plan_import(legacy: Path, out: Path, chapters_spec: str | None = None, variants: str | None = None,
                update: bool = False, resolve: str | None = None) -> ImportPlan:
    """Everything an import would do, decided and nothing written: the report, the files and, per path, the
    change (a three-way decision against the last import's record when `update`)."""
    report = Report()
    check_target(out, update)
    root, legacy_chapters, notes = scan_legacy(legacy, chapters_spec, variants)
    for kind, file, line, message in notes:
        report.add(kind, file, line, message)
    previous = read_previous(out) if update else Previous.empty()
    chapters = assemble_book(root, out, legacy_chapters, previous, report)
    files = plan_files(book_titles(root), chapters)
    record = record_hashes(files)
    summarise(report, chapters, files)
    files["import-report.md"] = report.to_markdown()
    files["import-report.json"] = report.to_json()
    files[MAP_FILE] = render_map(chapters, record)
    return ImportPlan(report, files, plan_changes(out, files, previous, resolve))


def import_legacy(legacy: Path, out: Path, chapters_spec: str | None = None, variants: str | None = None,
                  update: bool = False, resolve: str | None = None) -> Report:
    """Import the legacy repository into `out`. Raises ImportFailure for what the user must fix first,
    ImportConflict (writing nothing) when a re-import would overwrite a maintainer's edit of text the legacy
    side changed too."""
    plan = plan_import(legacy, out, chapters_spec, variants, update, resolve)
    if plan.conflicts:
        raise ImportConflict(plan.conflicts)
    write_tree(out, plan.files, plan.changes)
    return plan.report


def conflict_diff(out: Path, rel: str, legacy_text: str) -> list[str]:
    path = out / rel
    mine = path.read_text("utf-8", errors="replace").splitlines(keepends=True) if path.is_file() else []
    lines = list(difflib.unified_diff(mine, legacy_text.splitlines(keepends=True), f"{rel} (maintained)",
                                      f"{rel} (legacy)"))
    return ["    " + (ln if ln.endswith("\n") else ln + "\n") for ln in lines]
