"""A translation says what its original says: the same formulas, code, outputs, cross-references and figures.

Claims (DL712) and runnable code (DL805) are compared by pipeline.claims; this module does the rest.
"""

from __future__ import annotations

import difflib
import posixpath
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass

from ..diagnostics import WARNING, diag

TEXT_COMMANDS = re.compile(r"\\(?:text|textrm|textit|textbf|mbox|mathrm|operatorname)\s*\{(?:[^{}]|\{[^{}]*\})*\}")
HAN = re.compile(r"[\u3000-\u303f\u3400-\u9fff\uff00-\uffef]")
CONTROL_WORD_SPACE = re.compile(r"(\\[A-Za-z]+)\s+(?=[A-Za-z])")
TRAILING_PUNCTUATION = re.compile(r"(?:[.,;，。；]|\\[,;:!]|\\q?quad)+$")  # sentence punctuation after a formula

# Which families are errors. Findings in the real book that content helpers are still fixing are warnings
# until source/ is clean; flip one to ERROR (None) when it is.
SEVERITY = {"DL640": WARNING, "DL641": WARNING, "DL642": WARNING, "DL643": WARNING, "DL644": WARNING}


@dataclass(frozen=True)
class Item:
    """One comparable thing in a body: its key (what must match) and where it is."""

    key: str
    line: int
    col: int
    shown: str


def normalise_tex(tex: str) -> str:
    """TeX compared without whitespace (a space after a control word before a letter is kept: `\\alpha x`)."""
    tex = unicodedata.normalize("NFC", tex).replace("\u200b", "").replace("\ufeff", "")
    tex = CONTROL_WORD_SPACE.sub(lambda m: m.group(1) + "\0", tex)
    tex = re.sub(r"\s+", "", tex).replace("\0", " ")
    return TRAILING_PUNCTUATION.sub("", tex)


def translatable_formula(tex: str) -> bool:
    """A formula holding words (\\text{…} or Chinese) is translated with the prose: not compared."""
    return bool(TEXT_COMMANDS.search(tex) or HAN.search(tex))


def formulas(body) -> list[Item]:
    out = []
    for s in body.spans({"math-inline", "math-display"}):
        if not translatable_formula(s.text):
            key = normalise_tex(s.text)
            out.append(Item(key, s.line, s.col, _short(s.text.strip())))
    return out


def is_runnable(block) -> bool:
    return ("run" in block.classes or "setup" in block.classes) and "norun" not in block.classes


def code_key(block) -> str:
    from ..claims.discover import code_signature
    if block.lang in ("python", "py", "python3", "pycon", ""):
        return repr(code_signature(block.code))
    return "\n".join(line.rstrip() for line in block.code.strip().split("\n"))


def code_blocks(body) -> list[Item]:
    """Code blocks DL805 does not cover (not runnable, not output), by their code without comments and strings."""
    return [Item(code_key(b), b.line, 1, f"```{b.lang or ''} block at line {b.line}") for b in body.code_blocks
            if not is_runnable(b) and "output" not in b.classes]


def output_blocks(body) -> list[Item]:
    return [Item("\n".join(line.rstrip() for line in b.code.strip().split("\n")), b.line, 1,
                 f"output block at line {b.line}") for b in body.code_blocks if "output" in b.classes]


def cross_references(body) -> list[Item]:
    return [Item(s.url[1:], s.line, s.col, f"[](#{s.url[1:]})") for s in body.spans({"link"})
            if s.url.startswith("#") and len(s.url) > 1]


def figures(body) -> list[Item]:
    return [Item(posixpath.normpath(s.url.split("#")[0].split("?")[0]) if s.url else "", s.line, s.col, s.url)
            for s in body.spans({"image"})]


FAMILIES = (
    ("DL640", "formula", formulas, "copy the formula from the original; translate only \\text{…}"),
    ("DL641", "code block", code_blocks, "copy the code from the original; translate only comments and strings"),
    ("DL642", "output block", output_blocks, "copy the output block from the original unchanged"),
    ("DL643", "cross-reference", cross_references, "link the same questions as the original"),
    ("DL644", "figure", figures, "show the same figures as the original"),
)


def _short(text: str, width: int = 60) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[:width - 1] + "…"


def mismatches(mine: list[Item], theirs: list[Item]) -> tuple[list[Item], list[tuple[int, Item]]]:
    """Items only the translation has, and (index, item) of the original's items it lacks (multisets)."""
    want = Counter(i.key for i in theirs)
    have = Counter(i.key for i in mine)
    extra, used = [], Counter()
    for it in mine:
        used[it.key] += 1
        if used[it.key] > want[it.key]:
            extra.append(it)
    missing, seen = [], Counter()
    for n, it in enumerate(theirs):
        seen[it.key] += 1
        if seen[it.key] > have[it.key]:
            missing.append((n, it))
    return extra, missing


def pair_changed(extra: list[Item], missing: list) -> tuple[list, list, list]:
    """Pair each extra item with the most similar missing one (an edit, not an addition plus a removal)."""
    changed, left = [], list(missing)
    unpaired = []
    for it in extra:
        scored = [(difflib.SequenceMatcher(None, it.key, m.key).ratio(), k) for k, (_, m) in enumerate(left)]
        best = max(scored, default=(0.0, -1))
        if best[0] >= 0.5:
            changed.append((it, left.pop(best[1])[1]))
        else:
            unpaired.append(it)
    return changed, unpaired, left


def pair_diagnostics(qt, mine_body, original, theirs_body) -> list:
    """One diagnostic per mismatch, at the translation: an item changed (an extra paired with a missing one),
    an item only the translation has, an item of the original it lacks."""
    out = []
    for code, what, items_of, hint in FAMILIES:
        mine, theirs = items_of(mine_body), items_of(theirs_body)
        extra, missing = mismatches(mine, theirs)
        severity = SEVERITY.get(code) or "error"
        changed, extra, missing = pair_changed(extra, missing)
        for it, orig in changed:
            out.append(diag(code, qt.rel, it.line, it.col, f"{what} {it.shown} differs from the original's "
                            f"{orig.shown} ({original.rel}:{orig.line})", hint, severity))
        for it in extra:
            out.append(diag(code, qt.rel, it.line, it.col, f"{what} {it.shown} is not in the original {original.rel}",
                            hint, severity))
        for n, it in missing:
            near = mine[min(n, len(mine) - 1)] if mine else None
            line, col = (near.line, near.col) if near else (qt.body_line, 1)
            out.append(diag(code, qt.rel, line, col,
                            f"{what} {it.shown} of the original ({original.rel}:{it.line}) is missing here",
                            hint, severity))
    return out


def check(book, body_of) -> list:
    out = []
    for (qid, lang), qt in sorted(book.texts.items()):
        if lang == book.primary:
            continue
        original = book.text(qid, book.primary)
        if original is not None:
            out += pair_diagnostics(qt, body_of(qt), original, body_of(original))
    return out
