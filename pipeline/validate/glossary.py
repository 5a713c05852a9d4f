"""The glossary (source/glossary.yaml): translations use its English term, originals its Chinese one."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from ..diagnostics import WARNING, diag
from .tags import load_checked_yaml


@dataclass(frozen=True)
class Term:
    zh: str
    en: str
    avoid_en: tuple[str, ...]
    avoid_zh: tuple[str, ...]
    line: int


@lru_cache(maxsize=4096)
def english_pattern(phrase: str) -> re.Pattern:
    """A phrase as whole words, any case, any run of spaces between its words."""
    words = [re.escape(w) for w in phrase.split()]
    return re.compile(r"(?<![A-Za-z0-9])" + r"\s+".join(words) + r"(?![A-Za-z0-9])", re.I)


@lru_cache(maxsize=16)
def _load_terms(path: str, mtime: float, rel: str) -> tuple[tuple, tuple]:
    data, diags = load_checked_yaml(Path(path), rel, "glossary", "DL630")
    if data is None:
        return (), tuple(diags)
    terms, seen, out = [], {}, list(diags)
    from ..load import parse_yaml
    tree, _ = parse_yaml(Path(path).read_text("utf-8-sig"), rel)
    for i, t in enumerate(data.get("terms") or []):
        line = tree["terms"].lc.item(i)[0] + 1
        if t["zh"] in seen:
            out.append(diag("DL633", rel, line, 1, f"'{t['zh']}' is listed twice (first on line {seen[t['zh']]})",
                            "keep one entry per Chinese term", WARNING))
            continue
        seen[t["zh"]] = line
        terms.append(Term(t["zh"], t["en"], tuple(t.get("avoid_en") or ()), tuple(t.get("avoid_zh") or ()), line))
    return tuple(terms), tuple(out)


def glossary_terms(book) -> tuple[tuple, list]:
    """The book's glossary terms and the diagnostics of source/glossary.yaml."""
    from ..load import display_path
    path = book.root / "glossary.yaml"
    if not path.is_file():
        return (), []
    terms, diags = _load_terms(str(path), path.stat().st_mtime, display_path(path, book.root))
    return terms, list(diags)


def plain_prose(body) -> str:
    """The body with code (already blanked by the scanner) and math blanked, offsets kept."""
    chars = list(body.prose)
    for s in body.spans({"math-inline", "math-display", "bad-math"}):
        for i in range(s.start, s.end):
            if chars[i] != "\n":
                chars[i] = " "
    return "".join(chars)


def texts_to_search(qt, body) -> list[tuple[str, callable]]:
    """(text, offset -> (line, col)) for the title and the prose of a question."""
    tpos = qt.positions.get("title")
    title_line, title_col = (tpos.line, tpos.col) if tpos else (1, 1)
    return [(qt.title, lambda off: (title_line, title_col)), (plain_prose(body), body.pos)]


def avoided_english(qt, body, original_prose: str, terms) -> list:
    out = []
    for t in terms:
        if not t.avoid_en or t.zh not in original_prose:
            continue
        for bad in t.avoid_en:
            pattern = english_pattern(bad)
            for text, pos in texts_to_search(qt, body):
                for m in pattern.finditer(text):
                    line, col = pos(m.start())
                    out.append(diag("DL631", qt.rel, line, col,
                                    f"'{m.group(0)}' for {t.zh}: the glossary's term is '{t.en}'",
                                    f"write '{t.en}' (source/glossary.yaml line {t.line})", WARNING))
    return out


def avoided_chinese(qt, body, terms) -> list:
    out = []
    for t in terms:
        for bad in t.avoid_zh:
            for text, pos in texts_to_search(qt, body):
                start = text.find(bad)
                while start >= 0:
                    line, col = pos(start)
                    out.append(diag("DL632", qt.rel, line, col, f"'{bad}' is a variant of the book's term '{t.zh}'",
                                    f"write '{t.zh}' (source/glossary.yaml line {t.line})", WARNING))
                    start = text.find(bad, start + len(bad))
    return out


def check(book, body_of) -> list:
    terms, out = glossary_terms(book)
    if not terms:
        return out
    for (qid, lang), qt in sorted(book.texts.items()):
        body = body_of(qt)
        if lang == book.primary:
            out += avoided_chinese(qt, body, terms)
            continue
        original = book.text(qid, book.primary)
        if original is not None and lang == "en":
            original_text = original.title + "\n" + plain_prose(body_of(original))
            out += avoided_english(qt, body, original_text, terms)
    return out
