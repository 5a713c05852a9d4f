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

    from pipeline.templates import template_dir
    css = (template_dir() / "book.css").read_text("utf-8")
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


@pytest.mark.parametrize("lang,pattern", [("zh", r"第 (\d+) 页(\s*)([）。，])"), ("en", r"p\. (\d+)(\s*)([),.])")])
def test_no_gap_after_a_stamped_page_number(lang, pattern):
    """A page number stamped into a box as wide as the book's longest one is followed by the closing bracket or
    stop of its reference with no gap ("第 3 页）。", "p. 3)."), in the parts layout and the single document."""
    import re
    for extra in ((), ("--pdf-layout", "single")):
        text = pdftotext(build_print_book("--format", "pdf", *extra) / "build" / lang / "dl500.pdf")
        refs = re.findall(pattern, text)
        assert refs, text[:2000]
        assert all(gap == "" for _, gap, _ in refs), (extra, refs)


TOC_NUMBERS = {"t1": "7", "t2": "42", "t3": "318"}


def toc_with_numbers(folder: Path, numbers: dict) -> Path:
    """A contents page (the book's CSS and TOC markup) with placeholders as wide as a 4-digit book's, stamped with
    the given page numbers the way the build stamps them; returns the PDF."""
    import io

    import pikepdf

    from pipeline.render.pdf import stamp as pdf
    from pipeline.templates import template_dir
    css = (template_dir() / "book.css").read_text("utf-8")
    items = "".join(f'<li class="toc-section"><a href="#{t}"><span class="number">1.{k}</span>排版与页码</a>'
                    f'<span class="pg" data-pg="{t}" data-align="right">8888</span></li>'
                    for k, t in enumerate(numbers, 1))
    html = (f'<html lang="zh"><head><style>{css}</style></head><body><nav class="toc"><h1 id="toc">目录</h1>'
            f'<ol>{items}</ol></nav></body></html>')
    data, layout = pdf.write_pdf(html, folder, with_layout=True)
    items = pdf.page_items(layout, 1, lambda t: numbers.get(t, "?"))
    keys = pdf.template_keys([items])
    templates = pdf.write_pdf(pdf.templates_html("zh", keys), folder)
    doc = pikepdf.open(io.BytesIO(data))
    pdf.stamp_pages(doc, templates, keys, [(0, items)], "zh", folder)
    out = folder / "toc.pdf"
    doc.save(out)
    return out


def leader_gaps(pdf: Path, folder: Path) -> list[tuple[float, float]]:
    """For each TOC line of page 1: (widest blank run between the entry's title and its number, typical blank run
    between two leader dots), in pixels at 200 dpi."""
    import re

    import numpy as np
    from PIL import Image
    dpi = 200
    bbox = subprocess.run(["pdftotext", "-bbox", "-f", "1", "-l", "1", str(pdf), "-"], capture_output=True,
                          text=True, check=True, timeout=60).stdout
    titles = [tuple(float(v) for v in m.groups()) for m in re.finditer(
        r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">[^<]*页码</word>', bbox)]
    subprocess.run(["pdftoppm", "-r", str(dpi), "-f", "1", "-l", "1", "-png", "-singlefile", str(pdf),
                    str(folder / "toc")], check=True, timeout=60)
    dark = np.asarray(Image.open(folder / "toc.png").convert("L")) < 128
    out = []
    for _x0, y0, x1, y1 in titles:
        s = dpi / 72
        band = dark[int(y0 * s):int(y1 * s) + 1].any(axis=0)
        cols = np.flatnonzero(band[int(x1 * s) + 1:])
        runs = np.diff(cols) - 1 if len(cols) > 1 else np.array([9999])
        runs = runs[runs > 0]
        out.append((float(runs.max()), float(np.median(runs))))
    return out


def test_toc_leaders_run_on_to_one_two_and_three_digit_numbers(tmp_path):
    """With boxes for four digits, the dots run on to 7, 42 and 318 without a gap wider than two dot spaces."""
    gaps = leader_gaps(toc_with_numbers(tmp_path, TOC_NUMBERS), tmp_path)
    assert len(gaps) == 3, gaps
    for widest, typical in gaps:
        assert widest <= 2 * typical + 2, gaps


def test_toc_leader_check_notices_a_break(tmp_path, monkeypatch):
    """Without the stamp's own dots a short number sits after a blank stretch, which the check above reports."""
    from pipeline.render.pdf import stamp as pdf
    monkeypatch.setattr(pdf, "LEADER_OVERLAP_DOTS", 0)
    monkeypatch.setattr(pdf, "LEADER_OVERLAP_PX", 0)
    monkeypatch.setattr(pdf, "PG_WIDEST", "8")  # the stamp then draws no dots before the number
    gaps = leader_gaps(toc_with_numbers(tmp_path, TOC_NUMBERS), tmp_path)
    assert any(widest > 2 * typical + 2 for widest, typical in gaps), gaps
