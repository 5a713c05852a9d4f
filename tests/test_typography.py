"""The typography pass (pipeline/render/typography.py): zh quotes balanced, code and math untouched, units kept."""

from __future__ import annotations

import re

import pytest

from pipeline.render.typography import keep_units, typeset_html
from print_book import build_print_book, pdftotext


def test_zh_quotes_after_han_open_and_close():
    # pandoc's smart quotes after a Han character: both marks come out closing.
    out = typeset_html("<p>模型的”大小”决定了，他说”好”。</p>", "zh")
    assert out == "<p>模型的“大小”决定了，他说“好”。</p>"


def test_zh_ascii_and_single_quotes_balanced_apostrophe_kept():
    out = typeset_html("<p>他说'批量'很重要，\"对\"，don’t panic</p>", "zh")
    assert "‘批量’" in out and "“对”" in out and "don’t" in out


def test_zh_quote_pairs_span_inline_markup_but_not_blocks():
    out = typeset_html("<p>这是”<em>强调”</em>。</p><p>”孤立</p><p>再”来”</p>", "zh")
    assert "这是“<em>强调”</em>" in out
    assert "<p>“孤立</p>" in out and "<p>再“来”</p>" in out  # an unbalanced paragraph does not flip the next


@pytest.mark.parametrize("verbatim", [
    '<code>a "b" \'c\'</code>',
    '<pre><code>print("x")  # "注释"</code></pre>',
    '<span class="math inline">\\(x &quot;y&quot; "z"\\)</span>',
])
def test_code_and_math_untouched(verbatim):
    assert typeset_html(f"<p>说”好”{verbatim}”坏”</p>", "zh") == f"<p>说“好”{verbatim}“坏”</p>"


def test_attributes_untouched():
    frag = '<p><img src="a.png" alt="&quot;q&quot; \'r\'" title="”x”"> ”y”</p>'
    out = typeset_html(frag, "zh")
    assert '<img src="a.png" alt="&quot;q&quot; \'r\'" title="”x”">' in out and "“y”" in out


def test_english_keeps_pandocs_quotes():
    frag = "<p>The “size” of a model’s weights, and a stray ” mark.</p>"
    assert typeset_html(frag, "en") == frag


def test_number_and_unit_stay_together():
    assert keep_units("约 16 GB，35 ms，x2 s") == "约 16\u00a0GB，35\u00a0ms，x2 s"
    assert typeset_html("<p>16 GB</p><code>16 GB</code>", "en") == "<p>16\u00a0GB</p><code>16 GB</code>"


def test_entities_and_markup_survive():
    frag = '<p>a &amp; b &lt;c&gt; <br/> <!-- note --> ”d”</p>\n'
    assert typeset_html(frag, "zh") == '<p>a &amp; b &lt;c&gt; <br/> <!-- note --> “d”</p>\n'


def test_hostile_fragment_does_not_raise():
    for frag in ["<p>”", "</em></p>”x", "<code>", "<span class=math>”", "&#x110000; ”", "<<>>"]:
        assert isinstance(typeset_html(frag, "zh"), str)


# ---- on the built editions --------------------------------------------------------------------------------------

def test_zh_pdf_prints_no_closing_mark_in_an_opening_position():
    text = pdftotext(build_print_book("--format", "pdf") / "build" / "zh" / "dl500.pdf")
    assert "模型的“大小”" in text and "“磁盘上的字节数”" in text and "‘批量’" in text
    assert text.count("“") == text.count("”") >= 3
    assert not re.search(r"[\u4e00-\u9fff]”[\u4e00-\u9fff]+”", text)  # ”大小” — an opening printed as closing


def test_en_pdf_has_curly_quotes_and_unit_spaces_that_do_not_break():
    text = pdftotext(build_print_book("--format", "pdf") / "build" / "en" / "dl500.pdf")
    assert "The “size” of a model" in text and '"' not in text
    assert re.search(r"16\s?GB", text)


def test_epub_text_carries_the_same_quotes():
    import zipfile
    root = build_print_book("--format", "epub")
    with zipfile.ZipFile(root / "build" / "zh" / "dl500.epub") as z:
        body = "".join(z.read(n).decode("utf-8") for n in z.namelist() if n.endswith(".xhtml"))
    assert "模型的“大小”" in body and ("16\u00a0GB" in body or "16&#160;GB" in body)
