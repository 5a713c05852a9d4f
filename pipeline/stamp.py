"""Record in a translation the hash of the original it was made from (`dl500 status --stamp FILE`)."""

from __future__ import annotations

import sys
from pathlib import Path

from .load import QUESTION_FILE
from .model import source_hash


def stamp_text(text: str, translation, h: str) -> str:
    """The file text with translation.source_hash set to `h`, editing only front-matter lines (a block-style
    translation: its source_hash line; flow style or none: the block is rewritten in block style)."""
    from .review import FRONT_MATTER, set_block, set_child, translation_block
    m = FRONT_MATTER.match(text)
    if m is None:
        return text
    nl, lines = m["nl"], m["yaml"].splitlines(keepends=True)
    edited = set_child(lines, "translation", "source_hash", h, nl)
    if edited is None:
        status = translation.status if translation is not None and translation.status else "draft"
        edited = set_block(lines, "translation", translation_block(translation, status, h, nl))
    return text[:m.start("yaml")] + "".join(edited) + text[m.end("yaml"):]


def stamp_file(book, path: Path) -> str | None:
    """Rewrite only the source_hash line (bytes elsewhere untouched); return the new hash or None."""
    m = QUESTION_FILE.match(path.name)
    if not m or m["lang"] == book.primary:
        return None
    orig = book.text(m["qid"], book.primary)
    if orig is None:
        return None
    h = source_hash(orig)
    try:
        text = path.read_bytes().decode("utf-8")
    except (OSError, UnicodeDecodeError):
        return None
    mine = book.text(m["qid"], m["lang"])
    new = stamp_text(text, mine if mine is not None and mine.path == path else None, h)
    if new != text:
        path.write_bytes(new.encode("utf-8"))
    return h


def stamp_files(book, files) -> int:
    bad = 0
    for f in files:
        p = Path(f)
        if p.is_dir():
            targets = sorted(p.rglob("*.md"))
        else:
            targets = [p]
        for t in targets:
            h = stamp_file(book, t.resolve())
            if h is None and not p.is_dir():
                print(f"dl500: {t}: not a translation with an original", file=sys.stderr)
                bad += 1
            elif h:
                print(f"{t}: {h}")
    return 1 if bad else 0
