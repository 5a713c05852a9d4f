"""Outline checks: ids unique, every entry has a file, every file an entry, translations match originals."""

from __future__ import annotations

from ..diagnostics import WARNING, diag
from .body_scanner import headings
from ..model import iter_groups, iter_question_refs


def check(book, body_of) -> list:
    out = []
    seen: dict[str, str] = {ch.cid: ch.pos.file for ch in book.chapters}
    listed = set()
    for ch in book.chapters:
        for lang in book.languages:
            if lang not in ch.title:
                out.append(diag("DL209", ch.pos.file, 1, 1, f"chapter '{ch.cid}' has no title in '{lang}'",
                                f"add {lang}: … under title:", WARNING if lang != book.primary else "error"))
        for g in iter_groups(ch.items):
            if g.gid in seen:
                out.append(diag("DL201", g.pos.file, g.pos.line, g.pos.col, f"id '{g.gid}' is used twice",
                                f"first used in {seen[g.gid]}; give this section another id"))
            seen.setdefault(g.gid, g.pos.file)
            for lang in book.languages:
                if lang not in g.title:
                    sev = "error" if lang == book.primary else WARNING
                    out.append(diag("DL209", g.pos.file, g.pos.line, g.pos.col,
                                    f"section '{g.gid}' has no title in '{lang}'", f"add {lang}: … under title:", sev))
        for ref in iter_question_refs(ch.items):
            if ref.qid in seen:
                out.append(diag("DL201", ref.pos.file, ref.pos.line, ref.pos.col,
                                f"id '{ref.qid}' appears twice in the outlines",
                                f"first used in {seen[ref.qid]}; a question appears once in the book"))
            seen.setdefault(ref.qid, ref.pos.file)
            listed.add(ref.qid)
            if book.text(ref.qid, book.primary) is None:
                expected = f"{ch.folder}/{ref.qid}.{book.primary}.md"
                out.append(diag("DL202", ref.pos.file, ref.pos.line, ref.pos.col,
                                f"outline lists '{ref.qid}' but {expected} does not exist or cannot be read",
                                f"create {expected}, or remove the entry"))
    for (qid, lang), qt in sorted(book.texts.items()):
        if lang == book.primary and qid not in listed:
            out.append(diag("DL203", qt.rel, 1, 1, f"question '{qid}' is in no chapter outline",
                            "add its id to the outline in chapter.yaml, or delete the file"))
        if lang != book.primary and book.text(qid, book.primary) is None:
            out.append(diag("DL204", qt.rel, 1, 1, f"translation '{qid}.{lang}.md' has no original '{qid}.{book.primary}.md'",
                            "translate an existing question, or add the original first"))
    for rel, _, _ in book.stray_files:
        out.append(diag("DL203", rel, 1, 1, "Markdown file not named <id>.<lang>.md, so no outline can list it",
                        "rename it to <question-id>.<lang>.md"))
    out += translation_outline_diagnostics(book, body_of)
    return out


def translation_outline_diagnostics(book, body_of) -> list:
    """A translation must keep the original's inner headings (same count and levels)."""
    out = []
    for (qid, lang), qt in sorted(book.texts.items()):
        orig = book.text(qid, book.primary)
        if lang == book.primary or orig is None:
            continue
        a = [lvl for _, lvl, _ in headings(body_of(orig))]
        b = headings(body_of(qt))
        if a != [lvl for _, lvl, _ in b]:
            line = b[0][0] if b else qt.body_line
            out.append(diag("DL207", qt.rel, line, 1,
                            f"headings differ from the original: levels {a} in {orig.rel}, {[x[1] for x in b]} here",
                            "translate every heading of the original, at the same level, in the same order"))
    return out
