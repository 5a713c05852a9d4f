"""Page numbers stamped from templates (pdf/stamp.py): an edit that moves every later number lays out nothing
but its own part, and its PDF is the PDF a build from scratch makes of the same source; where the digits cannot be
swapped safely, each number gets a template of its own text and still prints right."""

from __future__ import annotations

import subprocess

from conftest import copy_fixture, patch_file
from test_pdf_speed import EDIT, build, last_build, pages

ADD_PAGE = (EDIT[0], EDIT[1], EDIT[1] + "\n\n" + ("增加的段落，足够长的一段话。" * 40 + "\n\n") * 4)


def page_texts(pdf) -> list[str]:
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    return [" ".join(p.split()) for p in text.split("\f")][:-1]


def test_an_edit_that_moves_page_numbers_gives_the_bytes_of_a_build_from_scratch(tmp_path, capsys, monkeypatch):
    warm = copy_fixture("minimal", tmp_path / "warm")
    build(warm, monkeypatch, capsys, "--lang", "zh", "--jobs", "2")
    before = pages(warm)
    patch_file(warm, *ADD_PAGE)
    build(warm, monkeypatch, capsys, "--lang", "zh", "--jobs", "2")
    assert pages(warm) > before and last_build(warm)["laid_out_parts"] == ["ch02"]
    cold = copy_fixture("minimal", tmp_path / "cold")
    patch_file(cold, *ADD_PAGE)
    build(cold, monkeypatch, capsys, "--lang", "zh", "--jobs", "2")
    assert (warm / "build/zh/dl500.pdf").read_bytes() == (cold / "build/zh/dl500.pdf").read_bytes()


def test_numbers_get_templates_of_their_own_when_digits_cannot_be_swapped(tmp_path, capsys, monkeypatch):
    """As if the font's digits differed in width: every number is laid out as its exact text, at its place."""
    from pipeline.render.pdf import stamp
    calls = []
    monkeypatch.setattr(stamp, "_digit_codes", lambda *a: calls.append(a) and None)
    root = copy_fixture("minimal", tmp_path / "book")
    build(root, monkeypatch, capsys, "--lang", "zh", "--jobs", "1")  # one process: the join runs here
    assert calls
    texts = page_texts(root / "build/zh/dl500.pdf")
    for i, t in enumerate(texts[1:], 1):
        assert not t or t.split()[-1] == str(i + 1), (i, t)
    ch2 = next(i for i, t in enumerate(texts) if "2.1.1 卷积层有多少参数" in t)
    assert any(f"相关问题见 2.1.1，第 {ch2 + 1} 页" in t for t in texts)


def test_template_zeros_are_found_only_in_the_digits_font():
    """A template whose zeros are not exactly its number's digits is not used with swapped digits."""
    import pikepdf

    from pipeline.render.pdf.stamp import _with_slots
    tj = pikepdf.ContentStreamInstruction([pikepdf.Array([pikepdf.String(b"\x00\x13"), 0,
                                                          pikepdf.String(b"\x00\x13")])], pikepdf.Operator("TJ"))
    tf = pikepdf.ContentStreamInstruction([pikepdf.Name("/F1"), 12], pikepdf.Operator("Tf"))
    codes = [("/F1", bytes([0, 0x13 + d])) for d in range(10)]
    assert _with_slots([tf, tj], "00", codes).slots == [(1, 0, 0), (1, 2, 1)]
    assert _with_slots([tf, tj], "000", codes) is None  # three zeros expected, two shown
    other = [("/F2", c) for _, c in codes]
    assert _with_slots([tf, tj], "00", other) is None  # the zeros are in another font
