"""Font programs cut down with HarfBuzz (uharfbuzz): in each part's layout (pdf.layout) and for the shared programs
at the join (pdf.fonts). Glyph ids are kept, so a part's content streams and widths stay valid against either."""

from __future__ import annotations

import io
import shutil
import subprocess

import pytest

pytestmark = pytest.mark.skipif(shutil.which("fc-match") is None, reason="fontconfig is needed to find a font")


def font_file(family: str) -> tuple[str, int]:
    out = subprocess.run(["fc-match", "-f", "%{file}|%{index}", family], capture_output=True, text=True).stdout
    path, _, index = out.rpartition("|")
    return path, int(index)


@pytest.mark.parametrize("family", ["Noto Sans", "Noto Serif CJK SC"])
def test_a_subset_keeps_the_glyph_ids_it_was_asked_for_and_only_those(family):
    from fontTools.ttLib import TTFont

    from pipeline.render.pdf.layout import subset_with_uharfbuzz
    path, index = font_file(family)
    full = TTFont(path, fontNumber=index, lazy=True)
    cmap = full.getBestCmap()
    wanted = sorted({0, *(full.getGlyphID(cmap[ord(c)]) for c in "A7页" if ord(c) in cmap)})
    content = open(path, "rb").read()
    data = subset_with_uharfbuzz(content, index, wanted, hinting=False, missing=False)
    sub = TTFont(io.BytesIO(data))
    assert sub["maxp"].numGlyphs == max(wanted) + 1  # ids kept; nothing after the last one used
    assert "GSUB" not in sub and "GPOS" not in sub
    order = sub.getGlyphOrder()
    glyphs = sub.getGlyphSet()
    from fontTools.pens.boundsPen import BoundsPen

    def inked(gid):
        pen = BoundsPen(glyphs)
        glyphs[order[gid]].draw(pen)
        return pen.bounds is not None

    assert all(inked(g) for g in wanted if g)
    unused = next(g for g in range(1, max(wanted)) if g not in wanted)
    assert not inked(unused)
    assert len(data) < len(content)


def test_a_font_harfbuzz_cannot_read_gives_none():
    from pipeline.render.pdf.layout import subset_with_uharfbuzz
    assert subset_with_uharfbuzz(b"not a font at all" * 10, 0, [0, 1, 2], hinting=False, missing=False) is None


def test_the_shared_program_of_a_font_harfbuzz_cannot_read_is_none(tmp_path):
    """The join then leaves each part its own program (fonts.share_fonts)."""
    from pipeline.render.pdf.fonts import _subset_font
    bad = tmp_path / "bad.ttf"
    bad.write_bytes(b"not a font at all" * 10)
    assert _subset_font(str(bad), 0, {0, 1, 2}) is None
