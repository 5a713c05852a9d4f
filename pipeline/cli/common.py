"""What every command shares: exit codes, printing diagnostics, loading the book or exiting."""

from __future__ import annotations

import sys
from pathlib import Path

from ..diagnostics import FORMATTERS

EXIT_OK, EXIT_ERRORS, EXIT_USAGE = 0, 1, 2


def emit(diags, fmt: str, quiet: bool = False) -> None:
    """Diagnostics go to stderr in text form, to stdout in machine formats (they are the result)."""
    if fmt == "text":
        if diags or not quiet:
            sys.stderr.write(FORMATTERS["text"](diags))
    else:
        sys.stdout.write(FORMATTERS[fmt](diags))


def load_or_exit(path, fmt):
    from ..load import LoadError, load_book
    try:
        return load_book(Path(path))
    except LoadError as e:
        emit(e.diagnostics, fmt)
        raise SystemExit(EXIT_USAGE if e.diagnostics and e.diagnostics[0].code == "DL208" else EXIT_ERRORS) from None
