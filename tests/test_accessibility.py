"""Accessibility of the editions (issue 20): contrast-safe code colours, EPUB metadata and markup, tagged PDF."""

from __future__ import annotations

import re

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
    from pipeline.templates import template_dir
    book_css = (template_dir() / "book.css").read_text("utf-8")
    for sheet in (EPUB_CSS, book_css):
        assert f"background: {CODE_BACKGROUND}" in sheet


# ---- images say what they show (DL450) --------------------------------------------------------------------------

def test_plain_tokens_printed_without_spans_keep_their_colour():
    """The print HTML drops the spans of Pygments' plain tokens (html.PLAIN_TOKEN_CLASSES) because their whole style
    is the code's text colour, which book.css gives pre.highlight: if the style or the stylesheet changes, they
    would print in another colour."""
    import re

    from pipeline.render.html import CODE_TEXT, PLAIN_TOKEN_CLASSES, pygments_css
    from pipeline.templates import template_dir
    css = pygments_css()
    for cls in PLAIN_TOKEN_CLASSES:
        rule = re.search(r"\.highlight \.%s \{([^}]*)\}" % cls, css)
        assert rule and rule.group(1).strip().rstrip(";").strip() == f"color: {CODE_TEXT}", (cls, rule)
    book = (template_dir() / "book.css").read_text("utf-8")
    assert f"pre.highlight {{ color: {CODE_TEXT}; }}" in book


def test_print_code_keeps_styled_tokens_and_drops_plain_ones():
    from pipeline.render.html import PLAIN_TOKEN, highlighted
    html = highlighted("import torch\nx = torch.ones(3)  # a comment\n", "python")
    plain = PLAIN_TOKEN.sub(r"\1", html)
    assert '<span class="n">' in html and '<span class="n">' not in plain
    assert '<span class="kn">import</span>' in plain and '<span class="c1"># a comment</span>' in plain
    assert re.sub(r"<[^>]+>", "", plain) == re.sub(r"<[^>]+>", "", html)  # the same text


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


# ---- the EPUB: package language, accessibility metadata, table headers ------------------------------------------

def _opf(lang: str) -> str:
    import zipfile

    from print_book import build_print_book
    with zipfile.ZipFile(build_print_book("--format", "epub") / "build" / lang / "dl500.epub") as z:
        return z.read("EPUB/content.opf").decode("utf-8")


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_epub_package_declares_its_language(lang):
    import re
    opf = _opf(lang)
    assert re.search(rf'<package\b[^>]*\sxml:lang="{lang}"', opf)
    assert f"<dc:language>{lang}</dc:language>" in opf


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_epub_carries_schema_org_accessibility_metadata(lang):
    import re
    opf = _opf(lang)
    props = re.findall(r'<meta property="([^"]+)">([^<]+)</meta>', opf)
    have = {}
    for name, value in props:
        have.setdefault(name, []).append(value)
    for name in ("schema:accessMode", "schema:accessModeSufficient", "schema:accessibilityFeature",
                 "schema:accessibilityHazard", "schema:accessibilitySummary", "dcterms:conformsTo"):
        assert have.get(name), name
    assert "textual" in have["schema:accessModeSufficient"]
    assert {"structuralNavigation", "tableOfContents", "MathML"} <= set(have["schema:accessibilityFeature"])


def test_package_language_is_added_once():
    from pipeline.render.epub import add_package_language
    opf = b'<?xml version="1.0"?><package xmlns="x" version="3.0"><metadata/></package>'
    once = add_package_language(opf, "zh")
    assert b'<package xmlns="x" version="3.0" xml:lang="zh">' in once
    assert add_package_language(once, "en") == once


def test_empty_table_header_cells_become_data_cells():
    from pipeline.render.html import fill_table_headers
    table = ('<table><thead><tr class="header"><th></th><th>值</th></tr></thead>'
             '<tbody><tr><td>a</td><td>1</td></tr></tbody></table>')
    out = fill_table_headers(table)
    assert "<th></th>" not in out and "<td></td><th>值</th>" in out
    empty_head = '<table><thead>\n<tr class="header">\n<th> </th>\n<th></th>\n</tr>\n</thead>\n<tbody></tbody></table>'
    assert "<thead>" not in fill_table_headers(empty_head)


def test_epub_math_is_mathml_with_its_tex_as_alttext():
    from pipeline.render.math import mathml_with_fallback
    out = mathml_with_fallback(r"\frac{a}{b} < c", False)
    assert out.startswith("<math") and 'alttext="\\frac{a}{b} &lt; c"' in out


# ---- Ace by DAISY -------------------------------------------------------------------------------------------------

def _ace_gate():
    import importlib.util
    from pathlib import Path
    spec = importlib.util.spec_from_file_location("ace_gate", Path(__file__).parents[1] / "scripts" / "ace_gate.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_ace_gate_counts_failures_by_impact_and_rule():
    def check(outcome, impact, title):
        return {"earl:result": {"earl:outcome": outcome}, "earl:test": {"earl:impact": impact, "dct:title": title}}
    report = {"assertions": [{"assertions": [check("fail", "serious", "color-contrast"),
                                             check("fail", "serious", "color-contrast"),
                                             check("pass", "critical", "epub-lang"),
                                             check("fail", "minor", "empty-table-header")]}]}
    found = _ace_gate().violations(report)
    assert found == {("serious", "color-contrast"): 2, ("minor", "empty-table-header"): 1}


@pytest.mark.skipif(not __import__("os").environ.get("DL500_ACE"),
                    reason="DL500_ACE names ace-puppeteer (npm install --ignore-scripts @daisy/ace); tox -e ace")
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_ace_finds_nothing_serious_or_critical_in_the_fixture_epub(lang):
    import os

    from print_book import build_print_book
    gate = _ace_gate()
    epub = build_print_book("--format", "epub") / "build" / lang / "dl500.epub"
    found = gate.violations(gate.run_ace(os.environ["DL500_ACE"], epub, 600))
    assert not [k for k in found if k[0] in gate.BLOCKING], found


# ---- tagged PDF (both layouts: the parts' structure trees are merged at the join) -------------------------------

def _struct_elements(node, out):
    node = node.get_object()
    if not isinstance(node, dict):
        return out
    if "/S" in node:
        out.append(node)
    kids = node.get("/K")
    kids = kids.get_object() if kids is not None else None
    for kid in (kids if isinstance(kids, list) else [kids] if kids is not None else []):
        _struct_elements(kid, out)
    return out


@pytest.mark.parametrize("layout", [(), ("--pdf-layout", "single")], ids=["parts", "single"])
@pytest.mark.parametrize("lang,tag,title", [("zh", "zh-Hans", "排版测试书"), ("en", "en", "Print Test Book")])
def test_pdf_is_tagged_with_language_title_and_alt_text(lang, tag, title, layout):
    import subprocess

    from pypdf import PdfReader

    from print_book import build_print_book
    pdf = build_print_book("--format", "pdf", *layout) / "build" / lang / "dl500.pdf"
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    assert "Tagged:          yes" in info and title in info
    root = PdfReader(pdf).trailer["/Root"]
    assert root["/Lang"] == tag and root["/MarkInfo"]["/Marked"]
    elements = _struct_elements(root["/StructTreeRoot"], [])
    kinds = {str(e["/S"]) for e in elements}
    assert {"/H1", "/P"} <= kinds
    alts = [str(e.get("/Alt", "")) for e in elements if e["/S"] == "/Figure"]
    assert any("ReLU" in a for a in alts), alts  # the image's alt from the source
    assert any("frac" in a for a in alts), alts  # a formula's TeX


def test_every_token_colour_meets_wcag_aa_on_the_sites_light_code_background():
    """The site's light theme draws code on its own --soft colour (pipeline/templates/site/site.css): check that one too."""
    import re
    from pipeline.templates import template_dir
    site_css = (template_dir() / "site" / "site.css").read_text("utf-8")
    soft = re.search(r":root\s*\{[^}]*--soft:\s*(#[0-9a-fA-F]{6})", site_css).group(1)
    style = contrast_safe_style()
    for token in STANDARD_TYPES:
        colour = "#" + (style.style_for_token(token)["color"] or "000000")
        assert contrast(colour, soft) >= 4.5, f"{token}: {colour} on {soft}"
