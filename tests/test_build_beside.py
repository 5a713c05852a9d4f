"""The build validates in a forked process while it prepares: the outcome stays that of validating first."""

from __future__ import annotations

import os

import pytest

from conftest import copy_fixture, patch_file, run_cli


def _broken_link(root):
    patch_file(root, "source/ch02/conv-params.zh.md", "个参数。", "个参数，见 [](#nowhere)。")


def _invalid_book_where(tmp_path, monkeypatch, module, name: str, message: str):
    """The fixture book with a validation error (a broken link), in which `module.name` raises RuntimeError(message)."""
    root = copy_fixture("minimal", tmp_path / "book")
    monkeypatch.chdir(root)
    _broken_link(root)

    def failing(*a, **k):
        raise RuntimeError(message)
    monkeypatch.setattr(module, name, failing)
    return root


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
    root = _invalid_book_where(tmp_path, monkeypatch, build, "prepare", "prepare broke")
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


def test_no_layout_starts_and_no_line_is_shown_before_validation_passes(tmp_path, capsys, monkeypatch):
    """The editions are assembled while validation runs, but a part is laid out only once the book has passed
    (RenderTarget.gate); a book with errors prints them alone, lays nothing out and publishes nothing."""
    from pipeline import build
    root = copy_fixture("minimal", tmp_path / "book")
    monkeypatch.chdir(root)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    _broken_link(root)
    rc, _, err = run_cli(capsys, "build", ".", "--format", "pdf", "--format", "epub", "--jobs", "2")
    assert rc == 1 and "DL401" in err, err
    for line in ("pandoc:", "laying out", "translation report", "epub"):
        assert line not in err, (line, err)
    assert not list((root / ".dl500-cache").rglob("pdf-parts/parts/pdf/*.pdf"))  # no part laid out
    assert not (root / "build" / "zh" / "dl500.pdf").exists()
    # the verdict is asked for before the first layout, and the report is written only after it
    order = []
    real_require = build.Verdict.require
    monkeypatch.setattr(build.Verdict, "require", lambda self: order.append("verdict") or real_require(self))
    from pipeline.render import translation_report
    real_report = translation_report.render
    monkeypatch.setattr(translation_report, "render", lambda *a: order.append("report") or real_report(*a))
    from pipeline.render.pdf import parts
    real_layout = parts._layout_task
    monkeypatch.setattr(parts, "_layout_task", lambda *a: order.append("layout") or real_layout(*a))
    patch_file(root, "source/ch02/conv-params.zh.md", "见 [](#nowhere)", "见下文")
    rc, _, err = run_cli(capsys, "build", ".", "--format", "pdf", "--jobs", "2", "--lang", "zh")
    assert rc == 0, err
    assert order.index("verdict") < order.index("layout") and order.index("verdict") < order.index("report"), order
    assert err.index("validating") < err.index("pandoc:") < err.index("laying out"), err


def test_a_renderer_that_fails_on_an_invalid_book_reports_the_validation_errors(tmp_path, capsys, monkeypatch):
    from pipeline.render import epub
    root = _invalid_book_where(tmp_path, monkeypatch, epub, "render", "epub broke")
    rc, _, err = run_cli(capsys, "build", ".", "--format", "epub")
    assert rc == 1 and "DL401" in err and "epub broke" not in err, err
    patch_file(root, "source/ch02/conv-params.zh.md", "见 [](#nowhere)", "见下文")
    with pytest.raises(RuntimeError, match="epub broke"):  # a valid book: the renderer's failure is the build's
        run_cli(capsys, "build", ".", "--format", "epub")
