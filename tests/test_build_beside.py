"""The build validates in a forked process while it prepares: the outcome stays that of validating first."""

from __future__ import annotations

import os

import pytest

from conftest import copy_fixture, patch_file, run_cli


def _broken_link(root):
    patch_file(root, "source/ch02/conv-params.zh.md", "个参数。", "个参数，见 [](#nowhere)。")


def test_validation_runs_in_another_process_beside_prepare(tmp_path, capsys, monkeypatch):
    from pipeline import build, validate
    root = copy_fixture("minimal", tmp_path / "book")
    monkeypatch.chdir(root)
    seen = {}
    real_validate, real_prepare = validate.validate, build.prepare
    monkeypatch.setattr(validate, "validate", lambda book: seen.setdefault("validate", os.getpid()) and
                        real_validate(book))
    monkeypatch.setattr(build, "prepare", lambda *a, **k: seen.setdefault("prepare", os.getpid()) and
                        real_prepare(*a, **k))
    rc, _, err = run_cli(capsys, "build", ".", "--format", "html", "--no-claims")
    assert rc == 0, err
    assert seen["prepare"] == os.getpid() and "validate" not in seen  # validate ran in the fork only


def test_a_book_with_validation_errors_reports_them_even_when_prepare_fails(tmp_path, capsys, monkeypatch):
    """Before, validation stopped the build before prepare ran: prepare's failure on such a book stays unseen."""
    from pipeline import build
    root = copy_fixture("minimal", tmp_path / "book")
    monkeypatch.chdir(root)
    _broken_link(root)

    def failing(*a, **k):
        raise RuntimeError("prepare broke")
    monkeypatch.setattr(build, "prepare", failing)
    rc, _, err = run_cli(capsys, "build", ".", "--format", "epub")
    assert rc == 1 and "DL401" in err and "validation error" in err and "prepare broke" not in err
    assert not (root / "build" / "zh" / "dl500.epub").exists()
    with pytest.raises(RuntimeError, match="prepare broke"):  # published anyway: prepare's failure is the build's
        run_cli(capsys, "build", ".", "--format", "epub", "--keep-going")


def test_prepare_progress_is_shown_only_when_the_build_goes_on(tmp_path, capsys, monkeypatch):
    root = copy_fixture("minimal", tmp_path / "book")
    monkeypatch.chdir(root)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    rc, _, err = run_cli(capsys, "build", ".", "--format", "html", "--no-claims")
    assert rc == 0 and err.index("validating") < err.index("pandoc:") < err.index("web edition"), err
    _broken_link(root)
    rc, _, err = run_cli(capsys, "build", ".", "--format", "html", "--no-claims")
    assert rc == 1 and "DL401" in err and "pandoc:" not in err, err
