"""The glossary's terms come from the content cache when the glossary is clean; the English search skips texts
that cannot match. Neither may change a finding (issue 21: the cold build's validation time)."""

from __future__ import annotations

import json
import random
import re
import sys

import pytest
from conftest import copy_fixture, diagnostics_json, patch_file

from pipeline.load import load_book
from pipeline.validate import glossary

EN = "source/ch01/kernel-size.en.md"
GLOSSARY = "source/glossary.yaml"


@pytest.fixture
def book(tmp_path, monkeypatch):
    root = copy_fixture("tags_book", tmp_path / "book")
    monkeypatch.chdir(root)
    glossary._terms_of_text.cache_clear()  # each check below reads the cache folder, not this process's memo
    return root


def findings(capsys, code: str) -> list[dict]:
    glossary._terms_of_text.cache_clear()
    _, diags = diagnostics_json(capsys, "check", ".", "--no-claims")
    return [d for d in diags if d["code"] == code]


def cache_entries(root) -> list:
    folder = root / ".dl500-cache" / "validate"
    return sorted(folder.glob("*.json")) if folder.is_dir() else []


def test_a_clean_glossary_is_cached_and_an_edit_misses(book, capsys):
    patch_file(book, EN, "A $k \\times k$ kernel", "A $k \\times k$ convolution core")
    [d] = findings(capsys, "DL631")
    assert "line 2)" in d["hint"]
    [entry] = cache_entries(book)
    assert json.loads(entry.read_text("utf-8"))[0][:2] == ["卷积核", "kernel"]
    [again] = findings(capsys, "DL631")  # from the cache: the same finding
    assert again == d
    # two lines earlier in the file: the cached line number must not be reused
    patch_file(book, GLOSSARY, "terms:\n", "# a comment\n# another\nterms:\n")
    [moved] = findings(capsys, "DL631")
    assert "line 4)" in moved["hint"]
    assert len(cache_entries(book)) == 2


def test_a_broken_glossary_keeps_its_position_after_a_clean_one_was_cached(book, capsys):
    assert findings(capsys, "DL630") == []
    assert cache_entries(book)
    patch_file(book, GLOSSARY, "    en: learning rate\n", "")
    for _ in range(2):  # never cached: the position comes from the parse, each time
        [d] = findings(capsys, "DL630")
        assert (d["file"], d["line"]) == (GLOSSARY, 6)
    patch_file(book, GLOSSARY, "  - zh: 学习率\n", "  - zh: [学习率\n")
    [d] = findings(capsys, "DL630")
    assert (d["file"], d["line"]) == (GLOSSARY, 7) and d["col"] > 1 and "invalid YAML" in d["message"]


def test_a_duplicate_term_is_reported_on_every_run(book, capsys):
    patch_file(book, GLOSSARY, "  - zh: 学习率\n    en: learning rate\n", "  - zh: 卷积核\n    en: kernel\n")
    for _ in range(2):
        [d] = findings(capsys, "DL633")
        assert (d["line"], d["severity"]) == (6, "warning")
    assert cache_entries(book) == []


@pytest.mark.parametrize("planted", ["[[1, 2, 3]]", '{"terms": []}', "[[\"卷积核\", \"kernel\", [], [], 0]]",
                                     "not json", "[[\"卷积核\", \"kernel\", [7], [], 2]]"])
def test_a_planted_cache_entry_of_the_wrong_shape_is_a_miss(book, capsys, planted):
    patch_file(book, EN, "A $k \\times k$ kernel", "A $k \\times k$ convolution core")
    [d] = findings(capsys, "DL631")
    [entry] = cache_entries(book)
    entry.write_text(planted, "utf-8")
    assert findings(capsys, "DL631") == [d]


def test_terms_from_the_cache_equal_the_parsed_ones(book):
    loaded, _ = load_book(book)
    parsed, diags = glossary.glossary_terms(loaded)
    assert diags == [] and parsed
    glossary._terms_of_text.cache_clear()
    cached, _ = glossary.glossary_terms(loaded)
    assert cached == parsed


def test_folding_matches_what_re_ignorecase_matches_for_every_ascii_letter():
    chars = "".join(chr(i) for i in range(sys.maxunicode + 1) if not 0xD800 <= i < 0xE000)
    by_fold: dict[str, set] = {}
    for ch in chars:
        by_fold.setdefault(glossary.folded(ch), set()).add(ch)
    for letter in "abcdefghijklmnopqrstuvwxyz":
        assert set(re.findall(letter, chars, re.I)) == by_fold[letter], letter


def test_the_english_filter_never_hides_a_match():
    rng = random.Random(5)
    alphabet = list("convolutin cre STUDY rate-") + ["\u0131", "\u017f", "\u0130", "\u212a", "\n", " ", "卷"]
    phrases = ["convolution core", "study rate", "pool-ization", "naïve core", "ſtudy rate", "K"]
    for _ in range(3000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 40)))
        if rng.random() < 0.3:
            text += rng.choice(["CONVOLUTION\n CORE", "study\u00a0rate", "\u017ftudy rate", "convo\u0130ution core"])
        for phrase in phrases:
            if glossary.english_pattern(phrase).search(text):
                assert glossary.may_contain(phrase, glossary.folded(text)), (phrase, text)
