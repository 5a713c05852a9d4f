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


def test_serve_reports_through_its_callback_and_prints_nothing(tmp_path, capfd):
    """The preview hands its problems to the view the CLI gives it; it writes nothing to the terminal itself."""
    from pipeline.cli.serve_view import ServeView
    from pipeline.serve import Preview
    (tmp_path / "source").mkdir()
    (tmp_path / "source" / "book.yaml").write_text("id: [\n", "utf-8")
    events = []
    Preview(tmp_path, None, True, on_event=lambda kind, data: events.append((kind, data))).full_build()
    assert capfd.readouterr().err == ""
    assert [kind for kind, _ in events] == ["problems"]
    assert [d.code for d in events[0][1]] == ["DL101"]
    ServeView(quiet=True)(*events[0])
    err = capfd.readouterr().err
    assert "book.yaml" in err and "DL101" in err
