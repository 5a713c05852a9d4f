"""The print fixture book (tests/fixtures/print_book), built once per test run and shared by the print tests."""

from __future__ import annotations

import contextlib
import io
import os
import subprocess
import tempfile
from pathlib import Path

from conftest import copy_fixture

_BUILT: dict = {}


def build_print_book(*extra: str) -> Path:
    """Build the fixture (SOURCE_DATE_EPOCH fixed) into a fresh folder once per argument list; return its root."""
    if extra in _BUILT:
        return _BUILT[extra]
    root = copy_fixture("print_book", Path(tempfile.mkdtemp(prefix="dl500-print-")) / "book")
    cwd, epoch = os.getcwd(), os.environ.get("SOURCE_DATE_EPOCH")
    os.chdir(root)
    os.environ["SOURCE_DATE_EPOCH"] = "1700000000"
    try:
        from pipeline.cli import main
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()) as err:
            rc = main(["build", ".", "--quiet", *extra])
        assert rc == 0, err.getvalue()
    finally:
        os.chdir(cwd)
        if epoch is None:
            os.environ.pop("SOURCE_DATE_EPOCH", None)
        else:
            os.environ["SOURCE_DATE_EPOCH"] = epoch
    _BUILT[extra] = root
    return root


def pdftotext(pdf: Path, layout: bool = False) -> str:
    args = ["pdftotext", *(["-layout"] if layout else []), str(pdf), "-"]
    return subprocess.run(args, capture_output=True, text=True, check=True, timeout=60).stdout
