"""The PDF's formulas and figures by reference (render.pdf.svgs): stored by content hash, read back only if intact."""

from __future__ import annotations

import hashlib
import os

import pytest

from pipeline.render.pdf.svgs import SCHEME, SvgStore, fetch
from pipeline.render.sanitize import sanitize_fragment

SVG = '<svg xmlns="http://www.w3.org/2000/svg" width="4" height="2"><path d="M0 0L4 2"/></svg>'


def test_an_svg_is_stored_once_under_its_hash_and_read_back(tmp_path):
    store = SvgStore(tmp_path)
    src = store.src(SVG)
    key = hashlib.sha256(SVG.encode()).hexdigest()
    assert src == SCHEME + key and (tmp_path / f"{key}.svg").read_text() == SVG
    assert store.src(SVG) == src and len(list(tmp_path.iterdir())) == 1
    assert fetch(src, tmp_path) == SVG.encode()


def test_a_planted_file_under_an_svgs_name_is_replaced_and_never_drawn(tmp_path):
    key = hashlib.sha256(SVG.encode()).hexdigest()
    (tmp_path / f"{key}.svg").write_text("<svg>something else</svg>")
    with pytest.raises(ValueError, match="altered"):
        fetch(SCHEME + key, tmp_path)
    SvgStore(tmp_path).src(SVG)  # the next build writes what the name promises
    assert fetch(SCHEME + key, tmp_path) == SVG.encode()


@pytest.mark.parametrize("url", [SCHEME + "../../etc/passwd", SCHEME + "a" * 63, SCHEME + "A" * 64, SCHEME])
def test_only_a_sha256_names_a_stored_svg(tmp_path, url):
    with pytest.raises(ValueError):
        fetch(url, tmp_path)


def test_a_symlink_or_fifo_in_the_store_is_refused(tmp_path):
    key = hashlib.sha256(SVG.encode()).hexdigest()
    (tmp_path / "real.svg").write_text(SVG)
    os.symlink(tmp_path / "real.svg", tmp_path / f"{key}.svg")
    with pytest.raises(ValueError):
        fetch(SCHEME + key, tmp_path)
    other = hashlib.sha256(b"x").hexdigest()
    os.mkfifo(tmp_path / f"{other}.svg")
    with pytest.raises(ValueError):
        fetch(SCHEME + other, tmp_path)  # returns at once: a FIFO is never opened for reading


def test_contributor_html_keeps_a_stored_svg_only_in_the_pdf_and_only_by_hash():
    good = f'<p><img src="{SCHEME}{"0" * 64}" alt="x"></p>'
    bad = f'<p><img src="{SCHEME}../../etc/passwd" alt="x"></p>'
    assert SCHEME in sanitize_fragment(good, "pdf")
    assert SCHEME not in sanitize_fragment(bad, "pdf")
    for target in ("html", "epub"):
        assert SCHEME not in sanitize_fragment(good, target)


def test_a_file_altered_after_it_was_checked_is_never_drawn(tmp_path):
    """A stored SVG read and checked once is given again from memory: what its name promises, never what the file
    has become since."""
    SvgStore(tmp_path).src(SVG)
    key = hashlib.sha256(SVG.encode()).hexdigest()
    assert fetch(SCHEME + key, tmp_path) == SVG.encode()
    (tmp_path / f"{key}.svg").write_text("<svg>something else</svg>")
    assert fetch(SCHEME + key, tmp_path) == SVG.encode()
