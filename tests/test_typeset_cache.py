"""The typography pass is cached with pandoc's fragment (issue 21): a hit returns exactly what pandoc and the
pass make, per language, and a change to the pass's code is a miss."""

from __future__ import annotations

from pipeline.render import pandoc, typography
from pipeline.render.pandoc import FragmentCache, markdown_to_html, markdown_to_typeset_html

ITEMS = [('他说"好"，模型有 5 GB。', "zh"), ('他说"好"，模型有 5 GB。', "en"), ("Plain `16 GB` and 16 GB.", "en")]


def expected(items, cache_dir):
    html = markdown_to_html([m for m, _ in items], FragmentCache(cache_dir / "pandoc"))
    return [typography.typeset_html(h, lang) for h, (_, lang) in zip(html, items)]


def test_a_hit_equals_pandoc_then_the_pass_for_each_language(tmp_path):
    first = markdown_to_typeset_html(ITEMS, tmp_path)
    assert first == expected(ITEMS, tmp_path)
    assert "“好”" in first[0] and "“好”" not in first[1]  # zh and en differ: the language is in the key
    assert len(list((tmp_path / "typeset").glob("*.html"))) == 3
    stats = {}
    assert markdown_to_typeset_html(ITEMS, tmp_path, stats) == first
    assert stats == {"pandoc_fragments": 0, "pandoc_calls": 0}


def test_a_hit_runs_neither_pandoc_nor_the_pass(tmp_path, monkeypatch):
    first = markdown_to_typeset_html(ITEMS, tmp_path)

    def refuse(*args, **kwargs):
        raise AssertionError("called on a hit")
    monkeypatch.setattr(pandoc, "_convert_batch", refuse)
    monkeypatch.setattr(typography, "typeset_html", refuse)
    assert markdown_to_typeset_html(ITEMS, tmp_path) == first


def test_a_change_to_the_pass_is_a_miss(tmp_path, monkeypatch):
    markdown_to_typeset_html(ITEMS, tmp_path)
    monkeypatch.setattr(typography, "typography_version", lambda: "another version of the rules")
    monkeypatch.setattr(typography, "typeset_html", lambda html, lang: f"<!-- new rules {lang} -->{html}")
    again = markdown_to_typeset_html(ITEMS, tmp_path)
    assert [a.startswith(f"<!-- new rules {lang} -->") for a, (_, lang) in zip(again, ITEMS)] == [True] * 3


def test_an_edited_text_is_a_miss(tmp_path):
    markdown_to_typeset_html(ITEMS, tmp_path)
    edited = [(m.replace("5 GB", "7 MB"), lang) for m, lang in ITEMS]
    out = markdown_to_typeset_html(edited, tmp_path)
    assert out == expected(edited, tmp_path) and "7\u00a0MB" in out[0]
