"""Numbering checks: numbers are derived from the outline, so a typed number in a title or prose is a defect."""

from __future__ import annotations

import re

from ..diagnostics import WARNING, diag
from ..model import iter_groups, iter_question_refs, number_index
from .body_scanner import may_hold_image

TITLE_NUMBER = re.compile(r"^\s*\**\s*(第?\s*\d+(?:\.\d+)+\.?|\d+\s*[、.．]\s)")


def figure_index(book, body_of) -> dict[str, str]:
    """fig id -> "chapter-n" numbers, in reading order of the original language."""
    figs = {}
    for ch in book.chapters:
        n = 0
        for ref in iter_question_refs(ch.items):
            qt = book.text(ref.qid, book.primary)
            if qt is None or not may_hold_image(qt.body):
                continue
            for span in body_of(qt).spans({"image"}):
                fid = span.attrs.get("id")
                if fid and fid not in figs:
                    n += 1
                    figs[fid] = f"{ch.number}-{n}"
    return figs


def reference_index(book, body_of) -> dict[str, tuple[str, str]]:
    """Every id a cross-reference can name -> (kind, derived number)."""
    idx = {k: (kind, num) for k, (kind, num, _) in number_index(book).items()}
    for fid, num in figure_index(book, body_of).items():
        idx.setdefault(fid, ("figure", num))
    return idx


def check(book, body_of) -> list:
    out = []
    idx = reference_index(book, body_of)
    by_number = {}
    for k, (kind, num) in idx.items():
        if kind != "figure":
            by_number.setdefault(num, k)
    for ch in book.chapters:
        for lang, title in ch.title.items():
            if TITLE_NUMBER.match(title):
                out.append(diag("DL301", ch.pos.file, 1, 1, f"chapter title '{title}' ({lang}) carries a typed number",
                                "remove it: chapter numbers come from the order in book.yaml"))
        for g in iter_groups(ch.items):
            for lang, title in g.title.items():
                if TITLE_NUMBER.match(title):
                    out.append(diag("DL301", g.pos.file, g.pos.line, g.pos.col,
                                    f"section title '{title}' ({lang}) carries a typed number",
                                    f"remove it: this section is numbered {g.number} from the outline"))
    for (qid, _lang), qt in sorted(book.texts.items()):
        if TITLE_NUMBER.match(qt.title):
            p = qt.positions.get("title")
            num = idx.get(qid, ("", "?"))[1]
            out.append(diag("DL301", qt.rel, p.line if p else 1, p.col if p else 1,
                            f"title '{qt.title}' carries a typed number",
                            f"remove it: this question is numbered {num} from the outline"))
        body = body_of(qt)
        link_end = 0  # spans come sorted by start: a typed reference before this offset is inside a link
        for span in body.spans({"link", "typed-ref"}):
            if span.kind == "link":
                link_end = max(link_end, span.end)
            if span.kind == "link" and span.url.startswith("#"):
                target = span.url[1:]
                m = re.search(r"\d+(?:\.\d+)+", span.text)
                if m and target in idx and m.group(0) != idx[target][1]:
                    out.append(diag("DL302", qt.rel, span.line, span.col,
                                    f"link text says {m.group(0)} but '{target}' is numbered {idx[target][1]}",
                                    f"write [](#{target}) and let the build print the number"))
            elif span.kind == "typed-ref" and span.start >= link_end:
                num = span.text
                target = by_number.get(num)
                hint = (f"write [](#{target}) (that id is numbered {num} now)" if target
                        else f"nothing is numbered {num}; reference the question by id: [](#question-id)")
                sev = WARNING if target else "error"
                code = "DL303" if target else "DL302"
                out.append(diag(code, qt.rel, span.line, span.col,
                                f"typed reference '{span.attrs['match'].strip()}'"
                                + ("" if target else " names no derived number"), hint, sev))
    return out
