"""`dl500 serve` on input it cannot build: a message and the diagnostics, never a traceback or a silent exit."""

from __future__ import annotations

from conftest import run_cli


def test_serve_without_a_book_says_why(tmp_path, capsys):
    rc, _, err = run_cli(capsys, "serve", str(tmp_path / "nonexistent"))
    assert rc == 2
    assert "no book.yaml" in err


def test_serve_shows_the_diagnostics_of_a_broken_book_yaml(tmp_path, capsys):
    from pipeline.serve import Preview
    (tmp_path / "source").mkdir()
    (tmp_path / "source" / "book.yaml").write_text("id: [\n", "utf-8")
    preview = Preview(tmp_path, None, True)
    preview.full_build()
    assert [e["code"] for e in preview.errors] == ["DL101"]
    assert preview.errors[0]["file"].endswith("book.yaml")
