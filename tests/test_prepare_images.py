"""prepare.collect_images and prepare.chapter_files skip the body scan for a text that cannot hold an image span:
the images (and figure ids) they find are those a scan of every text finds (the scanner's image spans are
`![…](…)` and `<img src=…>`, any case)."""

from __future__ import annotations

import re

import pytest

from conftest import copy_fixture, patch_file

Q = "source/ch02/conv-params.zh.md"  # the figure id below is only in zh, the original
BODIES = [  # (body, static images found)
    ("个参数。\n\n![图](img/a.png)", 1),
    ("个参数。\n\n![图](img/a.png){#fig-conv-a}", 1),
    ("个参数。\n\n<IMG SRC=\"img/b.png\">", 1),
    ("个参数。<img\nsrc='img/c.png' alt=x>", 1),
    ("个参数。 `![不是图](img/a.png)` 在代码里", 0),
    ("个参数。 <imgx src=\"img/d.png\">", 0),
    ("个参数。 [链接](img/a.png)", 0),
]


@pytest.mark.parametrize("body, found", BODIES)
def test_the_images_found_are_those_a_full_scan_finds(tmp_path, monkeypatch, body, found):
    from pipeline import prepare
    from pipeline.load import load_book
    root = copy_fixture("minimal", tmp_path / "book")
    (root / "source" / "ch02" / "img").mkdir(exist_ok=True)
    for name in "abcd":
        (root / "source" / "ch02" / "img" / f"{name}.png").write_bytes(b"\x89PNG\r\n\x1a\n")
    patch_file(root, Q, "个参数。", body)
    book, _ = load_book(root / "source")
    texts = prepare.texts_to_render(book, ["zh", "en"])
    from pipeline.validate import parsed_body
    from pipeline.validate.numbering import figure_index
    quick, files, figs = prepare.collect_images(book, texts), prepare.chapter_files(book), figure_index(book, parsed_body)
    assert len(quick[0]) == found, quick
    assert ("fig-conv-a" in files) == ("fig-conv-a" in figs) == ("fig-conv-a" in body)
    from pipeline.validate import body_scanner
    monkeypatch.setattr(body_scanner, "MAY_HOLD_IMG", re.compile(""))  # every text scanned, as before
    assert quick == prepare.collect_images(book, texts)
    assert files == prepare.chapter_files(book) and figs == figure_index(book, parsed_body)
