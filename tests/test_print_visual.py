"""Print quality (issue 20): page images of the print fixture against golden PNGs, and layout checks.

Golden images live in tests/golden/print/; after an intended change to the print CSS, regenerate them with
DL500_UPDATE_GOLDEN=1 (the test then writes them and fails, so an update is never silent) and look at them.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from print_book import build_print_book, pdftotext

GOLDEN = Path(__file__).parent / "golden" / "print"
# Each crop shows one defect of issue 20: (name, language, page, x, y, width, height) at RESOLUTION dpi.
RESOLUTION = 100
CROPS = [
    ("toc-leaders", "zh", 2, 80, 170, 600, 50),      # dot leaders run on to short page numbers
    ("quotes-zh", "zh", 3, 80, 290, 600, 80),        # “大小” and ‘批量’: opening marks open
    ("code-zh", "zh", 3, 80, 725, 600, 165),         # comments aligned (CJK monospace), hanging indent, label
    ("code-en", "en", 3, 80, 725, 600, 150),
]
MEAN_TOLERANCE = 0.5      # mean absolute difference per channel, 0–255 (the same poppler and fonts: 0)
PIXEL_TOLERANCE = 0.0005  # share of pixels that may differ by more than 64: one moved bracket is more


def page_crop(pdf: Path, page: int, x: int, y: int, w: int, h: int, out: Path):
    from PIL import Image
    subprocess.run(["pdftoppm", "-r", str(RESOLUTION), "-f", str(page), "-l", str(page), "-x", str(x), "-y",
                    str(y), "-W", str(w), "-H", str(h), "-png", "-singlefile", str(pdf), str(out)],
                   check=True, timeout=60)
    return Image.open(f"{out}.png").convert("RGB")


def difference(a, b) -> tuple[float, float]:
    import numpy as np
    x, y = np.asarray(a, dtype=np.int16), np.asarray(b, dtype=np.int16)
    if x.shape != y.shape:
        return 255.0, 1.0
    d = np.abs(x - y)
    return float(d.mean()), float((d.max(axis=2) > 64).mean())


@pytest.mark.parametrize("name,lang,page,x,y,w,h", CROPS, ids=[c[0] for c in CROPS])
def test_page_matches_golden_image(name, lang, page, x, y, w, h, tmp_path):
    pdf = build_print_book("--format", "pdf") / "build" / lang / "dl500.pdf"
    image = page_crop(pdf, page, x, y, w, h, tmp_path / name)
    golden = GOLDEN / f"{name}.png"
    if os.environ.get("DL500_UPDATE_GOLDEN") == "1":
        GOLDEN.mkdir(parents=True, exist_ok=True)
        image.save(golden, optimize=True)
        pytest.fail(f"golden image written: {golden}; look at it, commit it, and run again without the flag")
    assert golden.is_file(), f"no golden image {golden}: run with DL500_UPDATE_GOLDEN=1"
    from PIL import Image
    mean, share = difference(image, Image.open(golden).convert("RGB"))
    if mean > MEAN_TOLERANCE or share > PIXEL_TOLERANCE:
        image.save(tmp_path / f"{name}-actual.png")
        pytest.fail(f"{name}: mean difference {mean:.2f}, {share:.2%} pixels differ; actual in {tmp_path}")


def test_image_comparison_notices_a_small_shift():
    """A layout change of a few pixels (the dots of one TOC line moved) is outside the tolerance."""
    from PIL import Image, ImageChops
    golden = Image.open(GOLDEN / "toc-leaders.png").convert("RGB")
    assert difference(golden, golden) == (0.0, 0.0)
    shifted = ImageChops.offset(golden, 3, 0)
    mean, share = difference(golden, shifted)
    assert share > PIXEL_TOLERANCE or mean > MEAN_TOLERANCE


# ---- text-level checks ----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("lang", ["zh", "en"])
def test_code_comments_line_up_in_the_pdf(lang):
    """The three trailing comments of the aligned block start at the same x on the page (pdftotext -bbox)."""
    import re
    pdf = build_print_book("--format", "pdf") / "build" / lang / "dl500.pdf"
    words = subprocess.run(["pdftotext", "-bbox", "-f", "3", "-l", "3", str(pdf), "-"], capture_output=True,
                           text=True, check=True, timeout=60).stdout
    hashes = [float(m.group(1)) for m in re.finditer(r'<word xMin="([\d.]+)"[^>]*>#</word>', words)]
    assert len(hashes) >= 3, words[-2000:]
    first_three = hashes[:3]
    assert max(first_three) - min(first_three) < 0.5, first_three


def test_toc_page_numbers_are_printed():
    text = pdftotext(build_print_book("--format", "pdf") / "build" / "zh" / "dl500.pdf", layout=True)
    toc = [ln for ln in text.splitlines() if "排版" in ln and "." in ln]
    assert toc and all(ln.rstrip().endswith("3") for ln in toc), toc


def test_output_label_never_ends_a_page():
    """Push an output block down a page line by line: its label is always on the page of its block."""
    import weasyprint

    from pipeline.render.pdf import templates_dir
    css = (templates_dir() / "book.css").read_text("utf-8")
    block = ('<div class="code-output"><span class="output-label">输出</span>'
             '<pre class="output"><code>tensor([0.1, 0.2])\nsecond line</code></pre></div>')
    separated = []
    for n in range(26, 44):
        filler = "".join(f"<p>第 {i} 行。</p>" for i in range(n))
        html = f'<html lang="zh"><head><style>{css}</style></head><body>{filler}{block}</body></html>'
        pages = weasyprint.HTML(string=html).render().pages
        where = {}
        for i, page in enumerate(pages):
            for box in page._page_box.descendants():
                cls = box.element.get("class") if box.element is not None else None
                if cls in ("output-label", "output") and box.element.tag in ("span", "pre"):
                    where.setdefault(cls, i)
        if where.get("output-label") != where.get("output"):
            separated.append(n)
    assert not separated, f"label alone at the bottom of a page with {separated} lines before it"


def test_code_lines_keep_empty_lines_and_whole_token_spans():
    from pygments import highlight
    from pygments.formatters import HtmlFormatter
    from pygments.lexers import PythonLexer

    from pipeline.render.html import code_lines
    out = code_lines(highlight('s = """a\nb"""\n\ny = 1\n', PythonLexer(), HtmlFormatter(nowrap=True)))
    lines = out.split('<span class="line">')[1:]
    assert len(lines) == 4 and lines[2] == " </span>"  # the empty line keeps its height
    for line in lines:  # every line closes what it opens
        assert line.count("<span") + 1 == line.count("</span>")
