"""Record in a translation the hash of the original it was made from (`dl500 status --stamp FILE`)."""

from __future__ import annotations

from dataclasses import dataclass
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


@dataclass(frozen=True)
class Stamped:
    """One file `stamp_files` looked at: its new source hash, or None when it is not a translation with an
    original (reported only for files named on the command line, not for those found in a folder)."""
    path: Path
    source_hash: str | None


def stamp_files(book, files) -> list[Stamped]:
    """Stamp every named translation (a folder: every .md under it); the caller reports the results."""
    done = []
    for f in files:
        p = Path(f)
        targets = sorted(p.rglob("*.md")) if p.is_dir() else [p]
        for t in targets:
            h = stamp_file(book, t.resolve())
            if h or not p.is_dir():
                done.append(Stamped(t, h))
    return done
