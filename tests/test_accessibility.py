"""Accessibility of the editions (issue 20): contrast-safe code colours, EPUB metadata and markup, tagged PDF."""

from __future__ import annotations

import pytest
from pygments.token import STANDARD_TYPES

from pipeline.render.html import CODE_BACKGROUND, contrast_safe_style, pygments_css


def relative_luminance(hex_colour: str) -> float:
    """WCAG 2.x relative luminance of an sRGB colour #rrggbb."""
    h = hex_colour.lstrip("#")
    channels = [int(h[i:i + 2], 16) / 255 for i in (0, 2, 4)]
    lin = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]


def contrast(a: str, b: str) -> float:
    la, lb = sorted((relative_luminance(a), relative_luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def test_contrast_formula_matches_known_values():
    assert contrast("#000000", "#ffffff") == pytest.approx(21.0)
    assert contrast("#777777", "#ffffff") == pytest.approx(4.48, abs=0.01)  # the classic "just fails AA" grey


@pytest.mark.parametrize("token", sorted(STANDARD_TYPES, key=str), ids=str)
def test_every_token_colour_meets_wcag_aa_on_the_code_background(token):
    style = contrast_safe_style()
    s = style.style_for_token(token)
    background = "#" + s["bgcolor"] if s["bgcolor"] else style.background_color
    colour = "#" + s["color"] if s["color"] else "#000000"
    assert contrast(colour, background) >= 4.5, f"{token}: {colour} on {background}"


def test_friendly_style_would_fail_the_same_check():
    """The check can fail: Pygments' old "friendly" style has token colours under 4.5:1 on its background."""
    from pygments.styles import get_style_by_name
    friendly = get_style_by_name("friendly")
    worst = min(contrast("#" + friendly.style_for_token(t)["color"], friendly.background_color)
                for t in STANDARD_TYPES if friendly.style_for_token(t)["color"])
    assert worst < 4.5


def test_stylesheet_uses_the_code_background_everywhere():
    css = pygments_css()
    assert f"background: {CODE_BACKGROUND}" in css and "#f0f0f0" not in css
    from pipeline.render.epub import EPUB_CSS
    from pipeline.render.pdf import templates_dir
    book_css = (templates_dir() / "book.css").read_text("utf-8")
    for sheet in (EPUB_CSS, book_css):
        assert f"background: {CODE_BACKGROUND}" in sheet


# ---- images say what they show (DL450) --------------------------------------------------------------------------

def test_image_without_alt_is_an_error_at_its_line(book, capsys):
    from conftest import diagnostics_json, patch_file
    patch_file(book, "source/ch01/relu-why.zh.md", "ReLU 的导数", "![](relu.svg)\n\nReLU 的导数")
    patch_file(book, "source/ch01/relu.svg", None, '<svg xmlns="http://www.w3.org/2000/svg" width="4" height="4"/>')
    rc, diags = diagnostics_json(capsys, "check", ".")
    hits = [d for d in diags if d["code"] == "DL450"]
    assert rc != 0 and len(hits) == 1
    assert hits[0]["file"].endswith("relu-why.zh.md") and hits[0]["line"] == 7 and hits[0]["col"] == 1
    assert hits[0]["hint"]


def test_image_with_alt_passes(book, capsys):
    from conftest import diagnostics_json, patch_file
    patch_file(book, "source/ch01/relu-why.zh.md", "ReLU 的导数", "![ReLU 的图像](relu.svg)\n\nReLU 的导数")
    patch_file(book, "source/ch01/relu.svg", None, '<svg xmlns="http://www.w3.org/2000/svg" width="4" height="4"/>')
    _, diags = diagnostics_json(capsys, "check", ".")
    assert not [d for d in diags if d["code"] == "DL450"]
