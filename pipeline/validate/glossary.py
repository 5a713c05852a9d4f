"""The glossary (source/glossary.yaml): translations use its English term, originals its Chinese one."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from ..diagnostics import WARNING, diag
from .tags import check_yaml_text, read_checked_text


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


# The characters that `re.I` matches to an ASCII letter besides its two cases (the regex module's simple case
# folding and its equivalences: dotless i, long s, dotted capital I, the Kelvin sign); tested over every code point.
FOLD_TO_ASCII = str.maketrans({"\u0131": "i", "\u017f": "s", "\u0130": "i", "\u212a": "k"})


def folded(text: str) -> str:
    """The text as `re.I` compares ASCII letters: a phrase's word can match only where it is a substring of this."""
    return text.translate(FOLD_TO_ASCII).lower()


@lru_cache(maxsize=4096)
def english_needles(phrase: str) -> tuple[str, ...]:
    """The phrase's plain-ASCII words in lower case, longest first (every match of english_pattern(phrase) holds
    each of them in folded text); none when it has no such word."""
    return tuple(sorted({w.lower() for w in phrase.split() if w.isascii()}, key=lambda w: (-len(w), w)))


def may_contain(phrase: str, folded_text: str) -> bool:
    """False only when english_pattern(phrase) cannot match: the regex costs ~40 µs a text (and ~0.4 ms to
    compile, once a run), the test ~1 µs. Every word must be there, not just the longest: "feature map" is
    ruled out by a text that says "feature" but never "map"."""
    return all(needle in folded_text for needle in english_needles(phrase))


GLOSSARY_CACHE_FORMAT = "dl500 glossary terms/1"


def glossary_terms(book) -> tuple[tuple, list]:
    """The book's glossary terms and the diagnostics of source/glossary.yaml."""
    from ..cache import cache_root
    from ..load import display_path
    path = book.root / "glossary.yaml"
    if not path.is_file():
        return (), []
    rel = display_path(path, book.root)
    text, diags = read_checked_text(path, rel, "DL630")
    if text is None:
        return (), diags
    terms, diags = _terms_of_text(text, rel, str(cache_root(book.root.parent)))
    return terms, list(diags)


@lru_cache(maxsize=16)
def _terms_of_text(text: str, rel: str, cache_folder: str) -> tuple[tuple, tuple]:
    """A clean glossary's terms come from the content cache (parsing the YAML with positions is most of the
    glossary check's time); a glossary with any diagnostic is parsed every time, so each keeps its position."""
    cache = _terms_cache(Path(cache_folder))
    k = cache.key(text)
    cached = terms_from_json(cache.get_json(k))
    if cached is not None:
        return cached, ()
    terms, diags = parse_terms(text, rel)
    if not diags:
        try:
            cache.put_json(k, [[t.zh, t.en, list(t.avoid_en), list(t.avoid_zh), t.line] for t in terms])
        except OSError:  # a read-only cache: the next run parses again
            pass
    return terms, tuple(diags)


def _terms_cache(folder: Path):
    """The namespace keyed by the glossary's text, the schema and this module's code (a rule change misses)."""
    from importlib import resources

    from .. import __version__
    from ..cache import ContentCache
    schema = resources.files("pipeline.schema").joinpath("glossary.schema.json").read_bytes()
    return ContentCache(folder / "validate", versions=(GLOSSARY_CACHE_FORMAT, __version__, schema,
                                                       Path(__file__).read_bytes()))


def terms_from_json(value) -> tuple | None:
    """Terms from a cache entry, or None when it is absent or not of the shape we write (the cache lives in the
    working tree: a contributor can put anything there)."""
    if not isinstance(value, list):
        return None
    terms = []
    for item in value:
        if not (isinstance(item, list) and len(item) == 5 and isinstance(item[0], str) and item[0]
                and isinstance(item[1], str) and type(item[4]) is int and item[4] > 0
                and all(isinstance(x, list) and all(isinstance(w, str) for w in x) for x in item[2:4])):
            return None
        terms.append(Term(item[0], item[1], tuple(item[2]), tuple(item[3]), item[4]))
    return tuple(terms)


def parse_terms(text: str, rel: str) -> tuple[tuple, list]:
    """The terms of a glossary text, each with its line; DL630 for invalid YAML, DL633 for a repeated term."""
    tree, data, diags = check_yaml_text(text, rel, "glossary.yaml", "glossary", "DL630")
    if data is None:
        return (), diags
    terms, seen, out = [], {}, list(diags)
    for i, t in enumerate(data.get("terms") or []):
        line = tree["terms"].lc.item(i)[0] + 1
        if t["zh"] in seen:
            out.append(diag("DL633", rel, line, 1, f"'{t['zh']}' is listed twice (first on line {seen[t['zh']]})",
                            "keep one entry per Chinese term", WARNING))
            continue
        seen[t["zh"]] = line
        terms.append(Term(t["zh"], t["en"], tuple(t.get("avoid_en") or ()), tuple(t.get("avoid_zh") or ()), line))
    return tuple(terms), out


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
    out, searched = [], None
    chars = set(original_prose)  # most terms are ruled out by their first character, before any search
    for t in terms:
        if not t.avoid_en or t.zh[:1] not in chars or t.zh not in original_prose:
            continue
        # the prose blanked and folded once per text, not once per term
        searched = searched or [(text, pos, folded(text)) for text, pos in texts_to_search(qt, body)]
        for bad in t.avoid_en:
            for text, pos, fold in searched:
                if not may_contain(bad, fold):
                    continue  # and its pattern is not compiled (~500 a run, 0.15 s)
                for m in english_pattern(bad).finditer(text):
                    line, col = pos(m.start())
                    out.append(diag("DL631", qt.rel, line, col,
                                    f"'{m.group(0)}' for {t.zh}: the glossary's term is '{t.en}'",
                                    f"write '{t.en}' (source/glossary.yaml line {t.line})", WARNING))
    return out


def avoided_chinese(qt, body, terms) -> list:
    out, searched = [], None
    for t in terms:
        for bad in t.avoid_zh:
            searched = searched or texts_to_search(qt, body)
            for text, pos in searched:
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
