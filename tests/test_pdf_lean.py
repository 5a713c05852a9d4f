"""A part's structure tree made lean in the layout worker (pdf/lean.py): WeasyPrint's plain /Span and /NonStruct
elements (strong, em, code, pre, anonymous boxes) are folded into their parents, and every marked-content id of
every page is still mapped to the element that now holds it. The join reads each CIDFont's /W from its text."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

HTML = """<html lang="en"><head><style>@page { size: A6; }</style></head><body><h1 id="top">Weights</h1>
<p>A <strong>convolution</strong> shares its <em>weights</em> across positions: <code>Conv2d(3, 64, 3)</code>
holds 1,728 of them.</p>
<ul><li>one <strong>kernel</strong> per output channel</li><li>one bias each</li></ul>
<pre><code>import torch
conv = torch.nn.Conv2d(3, 64, 3)
print(sum(p.numel() for p in conv.parameters()))</code></pre>
<table><tr><th>layer</th><th>weights</th></tr><tr><td><em>conv</em></td><td>1,728</td></tr></table>
<p>See <a href="#top">the top</a>.</p></body></html>"""


def elements(pdf) -> list:
    import pikepdf

    from pipeline.render.pdf.lean import _is_elem
    return [o for o in pdf.objects if isinstance(o, pikepdf.Dictionary) and _is_elem(o)]


def page_marks(pdf) -> dict:
    """{(page index, mcid)} each page's content declares."""
    import pikepdf
    marks = set()
    for i, page in enumerate(pdf.pages):
        for operands, op in pikepdf.parse_content_stream(page):
            if str(op) == "BDC" and len(operands) == 2 and isinstance(operands[1], pikepdf.Dictionary) \
                    and "/MCID" in operands[1]:
                marks.add((i, int(operands[1].MCID)))
    return marks


@pytest.fixture(scope="module")
def laid_out() -> tuple[bytes, bytes]:
    from pipeline.render.pdf.layout import write_pdf
    from pipeline.render.pdf.lean import lean_pdf
    data = write_pdf(HTML, Path("."), tags=True)
    return data, lean_pdf(data)


def test_plain_spans_and_nonstruct_elements_are_folded(laid_out):
    import pikepdf
    before, after = (pikepdf.open(io.BytesIO(d)) for d in laid_out)
    roles = [str(e.S) for e in elements(before)]
    assert "/NonStruct" in roles and "/Span" in roles  # what WeasyPrint makes of strong, em, code, pre
    lean_roles = [str(e.S) for e in elements(after)]
    assert "/NonStruct" not in lean_roles and "/Span" not in lean_roles
    for role in ("/H1", "/P", "/L", "/LI", "/Table", "/TH", "/TD", "/Link"):  # what a reader hears stays
        assert lean_roles.count(role) == roles.count(role), role


def test_every_mark_of_every_page_still_has_its_element(laid_out):
    """Before and after: the ParentTree maps each marked-content id a page declares to an element that holds it
    (as an id on its own page, or as a marked-content reference to that page)."""
    import pikepdf

    from pipeline.render.pdf.structure import number_tree_items
    for data in laid_out:
        pdf = pikepdf.open(io.BytesIO(data))
        tree = dict(number_tree_items(pdf.Root.StructTreeRoot.ParentTree))
        marks = page_marks(pdf)
        assert marks
        for i, mcid in marks:
            page = pdf.pages[i].obj
            owner = tree[int(page.StructParents)][mcid]
            kids = list(owner.K) if isinstance(owner.K, pikepdf.Array) else [owner.K]
            on_page = owner.get("/Pg") is not None and owner.Pg.objgen == page.objgen
            held = {int(k) for k in kids if isinstance(k, int) and on_page}
            held |= {int(k.MCID) for k in kids if isinstance(k, pikepdf.Dictionary) and "/MCID" in k
                     and k.Pg.objgen == page.objgen}
            assert mcid in held, (i, mcid, owner.S)


def test_the_text_is_the_same(laid_out, tmp_path):
    import subprocess
    texts = []
    for n, data in enumerate(laid_out):
        path = tmp_path / f"{n}.pdf"
        path.write_bytes(data)
        texts.append(subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True,
                                    check=True).stdout)
    assert texts[0] == texts[1] and "Conv2d(3, 64, 3)" in texts[1]


@pytest.mark.parametrize("text, widths", [
    (b"[ 1 [ 500 600 ] 10 12 250 ]", [1.0, [500.0, 600.0], 10.0, 12.0, 250.0]),
    (b"[3[1000.5 -20]7 7 .5]", [3.0, [1000.5, -20.0], 7.0, 7.0, 0.5]),
    (b"[ ]", []),
])
def test_a_widths_array_is_read_from_its_text(text, widths):
    from pipeline.render.pdf.fonts import _parse_widths, _used_glyphs
    assert _parse_widths(text) == widths
    assert _used_glyphs(_parse_widths(b"[ 1 [ 500 600 ] 10 12 250 ]")) == {1, 2, 10, 11, 12}


def test_widths_read_from_text_match_widths_read_object_by_object(laid_out):
    import pikepdf

    from pipeline.render.pdf.fonts import _used_glyphs, _widths_of
    pdf = pikepdf.open(io.BytesIO(laid_out[1]))
    fonts = [o for o in pdf.objects if isinstance(o, pikepdf.Dictionary) and o.get("/Type") == "/Font"
             and "/W" in o]
    assert fonts
    for cid in fonts:
        by_object = [[float(x) for x in v] if isinstance(v, pikepdf.Array) else float(v) for v in cid.W]
        assert _widths_of(cid) == by_object
        assert _used_glyphs(_widths_of(cid))
