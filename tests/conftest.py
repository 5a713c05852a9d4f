"""Shared helpers: copy a fixture book into a temporary folder, patch it, run the CLI in-process."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

FIXTURES = Path(__file__).parent / "fixtures"


def copy_fixture(name: str, dest: Path) -> Path:
    shutil.copytree(FIXTURES / name, dest, ignore=shutil.ignore_patterns("build", ".dl500-cache", "__pycache__"))
    return dest


def patch_file(root: Path, rel: str, old: str | None, new: str) -> None:
    """Replace `old` by `new` in a file (old None: write the whole file)."""
    p = root / rel
    p.parent.mkdir(parents=True, exist_ok=True)
    if old is None:
        p.write_text(new, "utf-8")
        return
    text = p.read_text("utf-8")
    assert old in text, f"{old!r} not in {rel}"
    p.write_text(text.replace(old, new, 1), "utf-8")


@pytest.fixture
def book(tmp_path, monkeypatch):
    """A copy of the minimal fixture book; the test runs inside it."""
    root = copy_fixture("minimal", tmp_path / "book")
    monkeypatch.chdir(root)
    return root


def run_cli(capsys, *argv) -> tuple[int, str, str]:
    from pipeline.cli import main
    rc = main(list(argv))
    out, err = capsys.readouterr()
    return rc, out, err


def diagnostics_json(capsys, *argv) -> tuple[int, list[dict]]:
    rc, out, _ = run_cli(capsys, *argv, "--format", "json")
    return rc, json.loads(out)["diagnostics"]
