"""The parts layout stays local and says what it does: an edit lays out its own chapter only (even when it adds a
page or a commit moves the build date), formulas are drawn once and reused from the cache, progress is reported."""

from __future__ import annotations

import json

from conftest import copy_fixture, patch_file, run_cli

EDIT = ("source/ch02/conv-params.zh.md", "个参数。", "个参数（含偏置）。")


def build(root, monkeypatch, capsys, *extra, epoch="1700000000"):
    monkeypatch.chdir(root)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", epoch)
    monkeypatch.setenv("DL500_PDF_LAYOUT", "parts")
    monkeypatch.setenv("DL500_PDF_RECTO", "0")
    rc, _, err = run_cli(capsys, "build", ".", "--format", "pdf", *extra)
    assert rc == 0, err
    return err


def last_build(root, lang="zh") -> dict:
    return json.loads((root / ".dl500-cache/render/pdf-parts" / f"last-build-{lang}.json").read_text("utf-8"))


def pages(root, lang="zh") -> int:
    from pypdf import PdfReader
    return len(PdfReader(str(root / "build" / lang / "dl500.pdf")).pages)


def test_an_edit_lays_out_only_its_part(tmp_path, capsys, monkeypatch):
    root = copy_fixture("minimal", tmp_path / "book")
    build(root, monkeypatch, capsys, "--lang", "zh", "--jobs", "2")
    assert last_build(root)["laid_out"] == 3  # cold: front and two chapters
    patch_file(root, *EDIT)
    build(root, monkeypatch, capsys, "--lang", "zh", "--jobs", "2")
    assert last_build(root)["laid_out_parts"] == ["ch02"]


def test_an_edit_that_adds_a_page_lays_out_only_its_part(tmp_path, capsys, monkeypatch):
    root = copy_fixture("minimal", tmp_path / "book")
    build(root, monkeypatch, capsys, "--lang", "zh", "--jobs", "2")
    before = pages(root)
    patch_file(root, EDIT[0], EDIT[1], EDIT[1] + "\n\n" + ("增加的段落，足够长的一段话。" * 40 + "\n\n") * 4)
    build(root, monkeypatch, capsys, "--lang", "zh", "--jobs", "2")
    assert pages(root) > before
    report = last_build(root)
    assert report["laid_out_parts"] == ["ch02"] and report["reused"] == 2
    # the numbers after the new page moved: stamped from the same templates, nothing else laid out
    assert report["stamped"] == 0


def test_a_new_build_date_lays_out_only_the_front_part(tmp_path, capsys, monkeypatch):
    """A commit moves the build date (SOURCE_DATE_EPOCH from git): only the cover shows it."""
    root = copy_fixture("minimal", tmp_path / "book")
    build(root, monkeypatch, capsys, "--lang", "zh", "--jobs", "2")
    build(root, monkeypatch, capsys, "--lang", "zh", "--jobs", "2", epoch="1700086400")
    assert last_build(root)["laid_out_parts"] == ["front"]
    assert "2023-11-15" in run_text(root)  # the cover shows the new date


def run_text(root, lang="zh") -> str:
    import subprocess
    return subprocess.run(["pdftotext", str(root / "build" / lang / "dl500.pdf"), "-"], capture_output=True,
                          text=True, check=True).stdout


def test_formulas_drawn_from_the_cache_give_the_same_bytes(tmp_path, capsys, monkeypatch):
    """Each distinct formula is drawn once; a later layout replays the cached drawing, byte for byte."""
    root = copy_fixture("minimal", tmp_path / "book")
    build(root, monkeypatch, capsys, "--lang", "zh", "--jobs", "1")
    cold = last_build(root)["formulas"]
    first = (root / "build/zh/dl500.pdf").read_bytes()
    parts = root / ".dl500-cache/render/pdf-parts"
    for p in parts.rglob("*.pdf"):  # forget the laid-out parts and stamps, keep the formulas' drawings
        p.unlink()
    (root / ".dl500-cache/render/last-build.json").unlink()
    for p in (root / ".dl500-cache/render/outputs").iterdir():
        p.unlink()
    build(root, monkeypatch, capsys, "--lang", "zh", "--jobs", "1")
    warm = last_build(root)["formulas"]
    assert cold["drawn"] > 0 and cold["cached"] == 0
    assert warm["drawn"] == 0 and warm["cached"] == cold["drawn"]
    assert (root / "build/zh/dl500.pdf").read_bytes() == first


def test_layout_progress_is_plain_lines_off_a_terminal(tmp_path, capsys, monkeypatch):
    root = copy_fixture("minimal", tmp_path / "book")
    err = build(root, monkeypatch, capsys, "--jobs", "2")  # both editions, one pool
    assert "pdf zh: laying out in parts" in err and "pdf en: laying out in parts" in err
    lines = err.splitlines()
    starts = [i for i, line in enumerate(lines) if "part(s) to lay out" in line]
    done = [i for i, line in enumerate(lines) if "/3 parts," in line]
    assert len(starts) == 2 and len(done) == 6  # 3 parts an edition, one line each as it finishes
    assert any("pdf zh: 3/3 parts" in lines[i] for i in done) and any("pdf en: 3/3 parts" in lines[i] for i in done)
    assert "\x1b[" not in err  # no terminal control codes in a log


def test_quiet_build_prints_no_progress(tmp_path, capsys, monkeypatch):
    root = copy_fixture("minimal", tmp_path / "book")
    err = build(root, monkeypatch, capsys, "--lang", "zh", "-q")
    assert "parts," not in err and "to lay out" not in err


def test_a_change_in_the_layout_code_lays_out_every_part_again(tmp_path, capsys, monkeypatch):
    """Tagging was added to the layout without any part's HTML changing: the cache must not keep the old PDFs."""
    from pipeline.render import pdf as pdf_edition
    root = copy_fixture("minimal", tmp_path / "book")
    build(root, monkeypatch, capsys, "--lang", "zh", "--jobs", "2")
    (root / ".dl500-cache/render/last-build.json").unlink()  # the whole-build fingerprint would stop it earlier
    monkeypatch.setattr(pdf_edition, "layout_code_version", lambda: "another layout")
    build(root, monkeypatch, capsys, "--lang", "zh", "--jobs", "2")
    assert last_build(root)["laid_out"] == 3


def test_an_unchanged_edition_is_carried_over_not_joined_again(tmp_path, capsys, monkeypatch):
    """Past the whole-build fingerprint (another format asked for, say), a PDF whose HTML and layout code are
    unchanged is kept as published: its output key, in the content cache, still matches."""
    root = copy_fixture("minimal", tmp_path / "book")
    build(root, monkeypatch, capsys, "--lang", "zh", "--jobs", "2")
    (root / ".dl500-cache/render/last-build.json").unlink()
    err = build(root, monkeypatch, capsys, "--lang", "zh", "--jobs", "2")
    assert "0 PDF(s) laid out" in err and "laying out in parts" not in err


def test_a_formula_drawing_planted_as_a_link_or_fifo_is_a_miss(tmp_path):
    """The drawings' cache is in the working tree: a committed link to /dev/zero or a FIFO must not hang a layout."""
    import os

    from pipeline.render.pdf import drawings
    key = ("a" * 64, "10.0", "5.0")
    with drawings.formulas_drawn_once(tmp_path):
        store = drawings._store()
        path = store.path(store.key(*key))
        path.parent.mkdir(parents=True, exist_ok=True)
        os.symlink("/dev/zero", path)
        assert drawings._load(key) is None
        path.unlink()
        os.mkfifo(path)
        assert drawings._load(key) is None
        path.unlink()
        drawings._save(key, (b"0 0 m 1 1 l S", {}, {}))
        assert drawings._load(key) == (b"0 0 m 1 1 l S", {}, {})


def test_the_page_count_kept_for_the_next_build_is_the_joined_files(tmp_path, capsys, monkeypatch):
    """The count comes from the parts' pages and start pages (blank versos included), not from reading the joined
    file again; it must be the file's."""
    root = copy_fixture("minimal", tmp_path / "book")
    build(root, monkeypatch, capsys, "--lang", "zh", "--jobs", "2")
    for recto in ("0", "1"):
        monkeypatch.setenv("DL500_PDF_RECTO", recto)
        rc, _, err = run_cli(capsys, "build", ".", "--format", "pdf", "--lang", "zh", "--jobs", "2")
        assert rc == 0, err
        kept = json.loads((root / ".dl500-cache/render/zh-pages.json").read_text("utf-8"))
        assert kept["pages"] == pages(root), recto


def test_the_join_says_so_when_a_cached_part_went_missing(tmp_path):
    """The join's worker reads the parts this build did not lay out from the cache itself (pool.join_job): an entry
    gone since the plan saw it (or planted as a symlink) is an error that says what to do, not a broken PDF."""
    import pytest

    from pipeline.render.pdf.pool import join_job
    (tmp_path / "pdf").mkdir()
    (tmp_path / "pdf" / f"{'b' * 64}.pdf").symlink_to("/etc/hostname")
    for key in ("a" * 64, "b" * 64):
        args = ([("front", None, key)], str(tmp_path), [], {}, {}, None, False, "zh", str(tmp_path),
                str(tmp_path / "out.pdf"))
        with pytest.raises(RuntimeError, match="went missing during the build"):
            join_job(args)
    assert not (tmp_path / "out.pdf").exists()


def claim_page_content(text: str) -> bytes:
    """The content stream of a one-paragraph page holding one guarded figure, laid out with the print stylesheet."""
    import io

    import pikepdf
    import weasyprint

    from pipeline.templates import template_dir
    css = (template_dir() / "book.css").read_text("utf-8")
    html = f'<html><head><style>{css}</style></head><body><p>约 <span class="claim">{text}</span>。</p></body></html>'
    with pikepdf.open(io.BytesIO(weasyprint.HTML(string=html).write_pdf())) as pdf:
        return pdf.pages[0].obj.Contents.read_bytes()


def test_a_guarded_figures_dotted_underline_costs_the_same_however_long():
    """The print marker of a claim is one dashed stroke per run of text. As a dotted border WeasyPrint drew each dot
    as a circle of four curves: 1.6 MB of the real zh PDF (issue 21)."""
    short, long = claim_page_content("12"), claim_page_content("1234567890 " * 5)
    assert long.count(b" c\n") == short.count(b" c\n") == 0  # no curve at all, let alone one per dot
    assert b"0.176471 0.643137 0.305882 RG" in long  # #2da44e, stroked
    assert b"[0 " in long and b" d\n" in long  # a dash pattern of dots
