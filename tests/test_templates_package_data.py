"""The templates ship as package data: every file the renderers read is named by pyproject.toml's package-data."""

from __future__ import annotations

import fnmatch
import tomllib
from pathlib import Path

from pipeline.templates import template_dir

ROOT = Path(__file__).resolve().parents[1]


def test_every_template_file_is_declared_as_package_data():
    globs = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))["tool"]["setuptools"]["package-data"]["pipeline"]
    package = ROOT / "pipeline"
    files = [p.relative_to(package).as_posix() for p in template_dir().rglob("*")
             if p.is_file() and p.suffix not in (".py", ".pyc")]
    assert len(files) >= 15  # book.html.j2, book.css, the status templates and the site's pages, styles and scripts
    missing = [f for f in files if not any(fnmatch.fnmatchcase(f, g) and f.count("/") == g.count("/") for g in globs)]
    assert missing == []


def test_template_dir_is_the_package_folder_not_the_working_directory(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert (template_dir() / "book.html.j2").is_file() and (template_dir() / "site" / "base.html.j2").is_file()
