"""`dl500 clean`: remove what .dl500-cache holds (all of it, or what no build used for some days) and say how much."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from ..cache import CACHE_FOLDER, clean

EXIT_OK, EXIT_USAGE = 0, 2


def days(text: str) -> float:
    """argparse type of --older-than: a number of days, 0 or more."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of days: {text!r}") from None
    if not 0 <= value < 1e6:
        raise argparse.ArgumentTypeError(f"days must be 0 or more: {text!r}")
    return value


def cache_folder_of(path: Path) -> Path | None:
    """The cache of the project at `path` (a project folder, or the book folder inside it), or None."""
    from ..load import find_book_root
    root = find_book_root(path)
    if root is not None:
        return root.parent / CACHE_FOLDER
    return path / CACHE_FOLDER if os.path.lexists(path / CACHE_FOLDER) else None


def size_text(n: int) -> str:
    for unit, scale in (("GiB", 2**30), ("MiB", 2**20), ("KiB", 2**10)):
        if n >= scale:
            return f"{n / scale:.1f} {unit}"
    return f"{n} B"


def run_clean(args) -> int:
    folder = cache_folder_of(Path(args.path))
    if folder is None:
        print(f"dl500 clean: no book (book.yaml or source/book.yaml) and no {CACHE_FOLDER} in {args.path}",
              file=sys.stderr)
        return EXIT_USAGE
    older_than_s = None if args.older_than is None else args.older_than * 86400
    try:
        freed = clean(folder, older_than_s)
    except ValueError as e:
        print(f"dl500 clean: {e}", file=sys.stderr)
        return EXIT_USAGE
    shown = os.path.relpath(folder)
    what = "" if args.older_than is None else f" unused for {args.older_than:g} day(s)"
    print(f"freed {size_text(freed.bytes)} in {freed.files} file(s){what} from "
          f"{folder if shown.startswith('..') else shown}")
    return EXIT_OK
