"""Formulas drawn directly (pdf/svgpath): the same operators WeasyPrint writes for our formulas' SVG, the same pages
when rendered, and anything outside the subset left to WeasyPrint rather than drawn wrong."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from pipeline.render.pdf import drawings, svgpath

FORMULAS = [  # (TeX, display): fractions, roots, scripts, a matrix, big operators, stretchy delimiters, a bar
    (r"\frac{a+b}{c-d}", True),
    (r"\sqrt{x^2+y^2} + \sqrt[3]{z}", False),
    (r"x_i^{2} + W_{jk}^{(l)}", False),
    (r"\begin{pmatrix} a & b \\ c & d \end{pmatrix}", True),
    (r"\sum_{i=1}^{n} \int_0^1 f(x)\,dx \prod_k p_k", True),
    (r"\left( \frac{1}{2} \right) \left\| \mathbf{w} \right\|", True),
    (r"\hat{y} = \sigma(\bar{z})", False),
]


@pytest.fixture(scope="module")
def formula_svgs() -> list[bytes]:
    from pipeline.render.math import render_svg
    out = []
    for tex, display in FORMULAS:
        r = render_svg(tex, display)
        assert "svg" in r, r
        out.append(r["svg"].encode("utf-8"))
    return out


def weasyprint_drawing(data: bytes, width: float, height: float) -> tuple[bytes, dict]:
    """WeasyPrint's own drawing of the SVG (as pdf/drawings draws it apart): its operators and graphics states."""
    from xml.etree import ElementTree

    import pydyf
    from weasyprint.images import SVGImage
    from weasyprint.pdf.stream import Stream
    resources = pydyf.Dictionary({"ExtGState": pydyf.Dictionary(), "XObject": pydyf.Dictionary(),
                                  "Pattern": pydyf.Dictionary(), "Shading": pydyf.Dictionary(),
                                  "ColorSpace": pydyf.Dictionary()})
    stream = Stream(fonts={}, page_rectangle=(0, 0, 100, 100), resources=resources, images={}, tags=None,
                    color_profiles={}, output_intent=None, compress=False)
    SVGImage(ElementTree.fromstring(data), "dl500-svg:" + "0" * 64, None, None).draw(stream, width, height, {})
    ops = b"\n".join(pydyf._to_bytes(item) for item in stream.stream)
    return ops, {name: dict(state) for name, state in resources["ExtGState"].items()}


def drawn(drawing: tuple) -> tuple[bytes, dict]:
    """(operators, graphics states) of svgpath's drawing with each glyph form's content put back where it is used."""
    ops, states, glyphs = drawing
    return svgpath.inline_glyphs(ops, glyphs), states


def test_the_weasyprint_the_converter_copies_is_the_one_installed():
    import weasyprint
    assert weasyprint.__version__.startswith(svgpath.WEASYPRINT)


@pytest.mark.parametrize("size", [(1.0, 1.0), (0.6, 0.6), (1.3, 0.9)])
def test_operators_are_weasyprints_byte_for_byte(formula_svgs, size):
    """Every formula, at its own aspect ratio and at a stretched one (preserveAspectRatio's centring)."""
    import re
    for data in formula_svgs:
        w, h = (float(v) for v in re.search(rb'width="([\d.]+)" height="([\d.]+)"', data).groups())
        width, height = w * size[0] * 0.75, h * size[1] * 0.75
        mine = svgpath.formula_operators(data, width, height)
        assert mine is not None, data[:200]
        assert drawn(mine) == weasyprint_drawing(data, width, height)
        ops, _, glyphs = mine
        assert b"re\nW\nn" in ops and b" c\n" not in ops  # the <use> clip; no outline drawn in place
        assert any(b" c\n" in content for content, _ in glyphs.values())  # curves (from quadratics) in the forms


def test_fraction_bar_and_empty_glyph_drawn_as_weasyprint_does():
    svg = (b'<svg xmlns="http://www.w3.org/2000/svg" width="20" height="10" viewBox="0 -8 20 10">'
           b'<symbol id="s0" viewBox="0 -31.5 0 51.2" /><use href="#s0" x="0" y="-63" width="0" height="102.4" '
           b'fill="black" /><rect x="1" y="-3" width="18" height="0.8" fill="black" />'
           b'<rect x="1" y="-3" width="0" height="0.8" fill="black" /><g><path d="M 1 1 L 2 2 Q 3 3 4 1 Z" /></g>'
           b'<path d="M 5 5 Z M 6 6 C 1 2 3 4 5 6 L 7 7 8 8 Z" fill="#336699" /></svg>')
    assert drawn(svgpath.formula_operators(svg, 30.0, 15.0)) == weasyprint_drawing(svg, 30.0, 15.0)


OUTSIDE = {
    "text": b'<text x="0" y="0">a</text>',
    "image": b'<image href="file:///etc/passwd" width="5" height="5" />',
    "opacity style": b'<path d="M 0 0 L 1 1 Z" style="opacity:0.5" />',
    "opacity attribute": b'<path d="M 0 0 L 1 1 Z" opacity="0.5" />',
    "relative command": b'<path d="M 0 0 l 1 1 z" />',
    "arc": b'<path d="M 0 0 A 1 1 0 0 1 2 2" />',
    "huge number": b'<path d="M 0 0 L 1e400 1" />',
    "huge plain number": b'<path d="M 0 0 L 99999999999999999999 1" />',
    "malformed number": b'<path d="M 0 0 L 1..5 2" />',
    "odd number of coordinates": b'<path d="M 0 0 L 1" />',
    "numbers after Z": b'<path d="M 0 0 L 1 1 Z 3 4" />',
    "stroke": b'<path d="M 0 0 L 1 1" stroke="red" />',
    "transform": b'<g transform="rotate(45)"><path d="M 0 0 L 1 1 Z" /></g>',
    "translucent fill": b'<path d="M 0 0 L 1 1 Z" fill="rgba(0,0,0,0.5)" />',
    "gradient fill": b'<path d="M 0 0 L 1 1 Z" fill="url(#g)" />',
    "currentColor": b'<path d="M 0 0 L 1 1 Z" fill="currentColor" />',
    "forward reference": b'<use href="#late" x="0" y="0" width="1" height="1" /><symbol id="late" viewBox="0 0 1 1">'
                         b'<path d="M 0 0 L 1 1 Z" /></symbol>',
    "use of a path": b'<path id="p" d="M 0 0 L 1 1 Z" /><use href="#p" x="1" y="0" width="1" height="1" />',
    "use without size": b'<symbol id="s" viewBox="0 0 1 1" /><use href="#s" x="1" y="0" />',
    "use in a symbol": b'<symbol id="a" viewBox="0 0 1 1"><use href="#a" /></symbol>'
                       b'<use href="#a" width="1" height="1" />',
    "unknown element": b'<foreignObject width="5" height="5" />',
    "namespaced attribute": b'<path d="M 0 0 L 1 1 Z" xmlns:x="urn:x" x:y="1" />',
    "rect with corners": b'<rect x="0" y="0" width="5" height="5" rx="1" />',
}


@pytest.mark.parametrize("case", sorted(OUTSIDE))
def test_an_svg_outside_the_subset_is_left_to_weasyprint(case):
    svg = b'<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10" viewBox="0 0 10 10">' + OUTSIDE[case] \
        + b"</svg>"
    assert svgpath.formula_operators(svg, 10.0, 10.0) is None


@pytest.mark.parametrize("data", [
    b'<!DOCTYPE svg [<!ENTITY a "M 0 0 L 1 1 Z">]><svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 1 1">'
    b'<path d="&a;" /></svg>',
    b'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 1 1"><path d="&a;" /></svg>',  # undefined entity
    b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 1 1" />',
    b'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 1 1"><!-- c --></svg>',
    "<svg viewBox='0 0 1 1'/>".encode("utf-16"),
    b'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 1 1"><path d="M 0 0 L 1 1 Z">',  # truncated
    b'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 1"></svg>',
    b'<svg xmlns="http://www.w3.org/2000/svg" width="1" height="1"></svg>',  # no viewBox
    b'<html><svg viewBox="0 0 1 1"/></html>',
    b"",
])
def test_unsafe_or_malformed_bytes_are_left_to_weasyprint(data):
    assert svgpath.formula_operators(data, 10.0, 10.0) is None


def test_deep_nesting_and_many_elements_are_refused_without_error():
    deep = b"<g>" * 200 + b"</g>" * 200
    many = b"<g />" * (svgpath.MAX_ELEMENTS + 1)
    for body in (deep, many):
        svg = b'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 1 1">' + body + b"</svg>"
        assert svgpath.formula_operators(svg, 1.0, 1.0) is None


def _lay_out(formula_svgs, tmp_path, name, direct: bool, monkeypatch) -> tuple[bytes, dict]:
    import base64
    from pathlib import Path

    from pipeline.render.pdf.layout import write_pdf
    # each formula twice, at two different heights: two drawings each
    imgs = "".join(f'<p>x <img style="height:{1 + i % 3}em" src="data:image/svg+xml;base64,'
                   f'{base64.b64encode(d).decode()}"/> y</p>' for i, d in enumerate(formula_svgs * 2))
    outside = b'<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10" viewBox="0 0 10 10">' \
              b'<path d="M 1 1 l 8 0 l 0 8 z" fill="#808080" /></svg>'  # relative commands: WeasyPrint's
    imgs += f'<p><img style="height:2em" src="data:image/svg+xml;base64,{base64.b64encode(outside).decode()}"/></p>'
    if not direct:
        monkeypatch.setattr(drawings, "_draw_direct", lambda *a: None)
    before = drawings.counts()
    with drawings.formulas_drawn_once(tmp_path / name):
        data = write_pdf(f"<html><body>{imgs}</body></html>", Path(tmp_path).resolve())
    monkeypatch.undo()
    return data, {k: v - before[k] for k, v in drawings.counts().items()}


def _gray_pages(pdf: bytes, folder) -> list[bytes]:
    folder.mkdir()
    (folder / "doc.pdf").write_bytes(pdf)
    subprocess.run(["pdftoppm", "-r", "150", "-gray", str(folder / "doc.pdf"), str(folder / "p")], check=True,
                   timeout=120)
    return [p.read_bytes() for p in sorted(folder.glob("p*.pgm"))]


@pytest.mark.skipif(shutil.which("pdftoppm") is None, reason="pdftoppm (poppler-utils) is not installed")
def test_pages_drawn_directly_look_like_weasyprints(formula_svgs, tmp_path, monkeypatch):
    direct, counted = _lay_out(formula_svgs, tmp_path, "direct", True, monkeypatch)
    assert counted["direct"] == len(FORMULAS) * 2 and counted["drawn"] == counted["direct"] + 1
    weasy, counted = _lay_out(formula_svgs, tmp_path, "weasy", False, monkeypatch)
    assert counted["direct"] == 0 and counted["drawn"] == len(FORMULAS) * 2 + 1
    a, b = _gray_pages(direct, tmp_path / "a"), _gray_pages(weasy, tmp_path / "b")
    assert len(a) == len(b) >= 1
    for page_a, page_b in zip(a, b):
        assert len(page_a) == len(page_b)
        assert max(abs(x - y) for x, y in zip(page_a, page_b)) <= 8  # anti-aliasing at most
        assert min(page_a[40:]) < 100  # something dark was drawn (the formulas), not two blank pages


def test_drawings_of_another_converter_version_are_not_reused(tmp_path, monkeypatch):
    key = ("ab" * 32, "10.0", "10.0")
    with drawings.formulas_drawn_once(tmp_path):
        drawings._save(key, (b"0 0 m 1 1 l f", {}, {}))
        assert drawings._load(key) == (b"0 0 m 1 1 l f", {}, {})
        monkeypatch.setattr(svgpath, "VERSION", "svgpath-other")
        assert drawings._load(key) is None


def test_mutated_formulas_are_refused_or_drawn_as_weasyprint_draws_them(formula_svgs):
    """Bytes flipped, cut and inserted at random (seeded): never an exception; whatever is accepted is drawn
    exactly as WeasyPrint draws it."""
    import random
    rng = random.Random(7)
    alphabet = b' 0123456789.-MLQCZzlqm<>/="#,eE\nabcxyg'
    accepted = 0
    for _ in range(300):
        data = bytearray(rng.choice(formula_svgs))
        for _ in range(rng.randint(1, 3)):
            i = rng.randrange(len(data))
            op = rng.random()
            if op < 0.4:
                data[i] = rng.choice(alphabet)
            elif op < 0.7:
                del data[i:i + rng.randint(1, 5)]
            else:
                data[i:i] = bytes(rng.choice(alphabet) for _ in range(rng.randint(1, 4)))
        mine = svgpath.formula_operators(bytes(data), 17.3, 11.9)
        if mine is not None:
            accepted += 1
            assert drawn(mine) == weasyprint_drawing(bytes(data), 17.3, 11.9), bytes(data)
    assert accepted > 10  # the mutations also hit places that leave a drawable formula


def test_a_kept_drawing_with_a_forged_glyph_form_is_not_used(tmp_path):
    """The drawings' cache is in the working tree: a kept drawing may name only its own glyph forms, each a path
    and its fill under the name its content hashes to."""
    import hashlib

    def form(content: bytes, bbox=(0.0, 0.0, 6.0, 6.0)) -> tuple[str, tuple]:
        return "g" + hashlib.sha256(content).hexdigest()[:16], (content, bbox)

    name, glyph = form(b"0 0 m\n1 1 l\n2 0 l\n3 3 4 4 5 5 c\nh\nf")
    good = (f"q\n/{name} Do\nQ".encode(), {}, {name: glyph})
    key = ("cd" * 32, "10.0", "10.0")
    forged = {
        "a font in the form": dict([form(b"BT\n/F1 9 Tf\n(x) Tj\nET\nf")]),
        "an image in the form": dict([form(b"0 0 m\n/x1 Do\nf")]),
        "a stroke, not a fill": dict([form(b"0 0 m\n1 1 l\nS")]),
        "a name that is not the content's hash": {name: (glyph[0] + b"\nh\nf", glyph[1])},
        "a box that is not finite": dict([form(glyph[0], (0.0, float("nan"), 1.0, 1.0))]),
    }
    with drawings.formulas_drawn_once(tmp_path):
        drawings._save(key, good)
        assert drawings._load(key) == good
        for case, glyphs in forged.items():
            ops = b"\n".join(f"/{n} Do".encode() for n in glyphs)
            drawings._save(key, (ops, {}, glyphs))
            assert drawings._load(key) is None, case
        for ops in (b"/g" + b"0" * 16 + b" Do", b"/x1 Do", b"/F1 9 Tf"):  # a form it does not hold, another resource
            drawings._save(key, (good[0] + b"\n" + ops, {}, good[2]))
            assert drawings._load(key) is None, ops


def test_a_glyph_drawn_many_times_is_one_form(formula_svgs, tmp_path, monkeypatch):
    """Every formula twice, at two heights: each glyph's outline is stored once, in a form the pages draw with Do;
    no outline is written into the page content itself."""
    import io

    import pikepdf
    data, _ = _lay_out(formula_svgs, tmp_path, "forms", True, monkeypatch)
    with pikepdf.open(io.BytesIO(data)) as pdf:
        forms = {n: f for page in pdf.pages for n, f in (page.Resources.get("/XObject") or {}).items()
                 if n.startswith("/g")}
        content = b"".join(page.Contents.read_bytes() for page in pdf.pages)
        assert forms and all(f"{n} Do".encode() in content for n in forms)
        assert content.count(b" Do") > 2 * len(forms)  # each form drawn again and again
        assert b" c\n" not in content  # the outlines' curves are in the forms only
        assert all(f.Subtype == "/Form" and len(f.BBox) == 4 and f.read_bytes().endswith(b"\nf") for f in forms.values())
