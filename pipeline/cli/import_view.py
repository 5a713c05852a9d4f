"""`dl500 import` on the terminal: the summary, the dry-run plan and the conflicts (pipeline.importer prints
nothing)."""

from __future__ import annotations

import sys
from collections import Counter
from pathlib import Path

from ..importer import EXIT_CONFLICT, EXIT_OK, EXIT_USAGE, ImportConflict, conflict_diff, import_legacy, plan_import
from ..importer.legacy import ImportFailure


def run_import(args) -> int:
    """The CLI entry: returns the exit code (0 done, 1 conflicts, 2 bad input); never a traceback for the
    user's mistakes."""
    dry_run = bool(getattr(args, "dry_run", False))
    legacy, out = Path(args.legacy), Path(args.out)
    options = (getattr(args, "chapters", None), getattr(args, "variants", None),
               bool(getattr(args, "update", False)), getattr(args, "resolve", None))
    try:
        if dry_run:
            plan = plan_import(legacy, out, *options)
            report, changes, files = plan.report, plan.changes, plan.files
        else:
            report, changes, files = import_legacy(legacy, out, *options), [], {}
    except ImportFailure as e:
        print(f"dl500 import: {e.message}", file=sys.stderr)
        if e.hint:
            print(f"  hint: {e.hint}", file=sys.stderr)
        return EXIT_USAGE
    except ImportConflict as e:
        print_conflicts(e.conflicts, Path(args.out))
        return EXIT_CONFLICT
    if dry_run:
        print_plan(changes, Path(args.out), files)
    if not getattr(args, "quiet", False):
        s = report.summary
        verb = "would import" if dry_run else "imported"
        print(f"{verb} {s['questions']} questions ({s['translated']} with English) from chapters "
              f"{s['chapters']} into {args.out}")
        counts = report.counts()
        if counts:
            print("legacy defects: " + ", ".join(f"{k} {n}" for k, n in counts.items()))
        if not dry_run:
            print(f"report: {Path(args.out) / 'import-report.md'}")
    return EXIT_CONFLICT if dry_run and any(c.action == "conflict" for c in changes) else EXIT_OK


def print_plan(changes: list, out: Path, files: dict) -> None:
    """--dry-run: one line per path that would change, then the counts; nothing is written. A conflict shows
    the difference between the maintained file and the legacy text, to merge by hand."""
    for c in changes:
        if c.action != "keep" or c.why:
            print(f"{c.action:8} {out / c.rel}" + (f"  ({c.why})" if c.why else ""))
        if c.action == "conflict" and isinstance(files.get(c.rel), str):
            sys.stdout.writelines(conflict_diff(out, c.rel, files[c.rel]))
    counts = Counter(c.action for c in changes)
    print("dry run, nothing written: " + ", ".join(f"{a} {counts[a]}" for a in
                                                  ("create", "update", "delete", "keep", "conflict") if counts[a]))


def print_conflicts(conflicts: list, out: Path) -> None:
    print(f"dl500 import: {len(conflicts)} file(s) changed both here and in the legacy text; nothing was written "
          "(--dry-run shows each difference):", file=sys.stderr)
    for c in conflicts:
        print(f"  {out / c.rel}: {c.why}", file=sys.stderr)
    print("  hint: merge the legacy change into each file by hand, then re-run with --update --resolve mine; "
          "or take the legacy text with --resolve legacy (your edits to these files are lost)", file=sys.stderr)
