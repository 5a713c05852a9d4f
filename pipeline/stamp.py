"""Record in a translation the hash of the original it was made from (`dl500 status --stamp FILE`)."""

from __future__ import annotations

import re
import sys
from pathlib import Path

from .load import QUESTION_FILE
from .model import source_hash

HASH_LINE = re.compile(r"^(\s+source_hash:\s*).*$", re.M)


def stamp_file(book, path: Path) -> str | None:
    """Rewrite only the source_hash line (bytes elsewhere untouched); return the new hash or None."""
    m = QUESTION_FILE.match(path.name)
    if not m or m["lang"] == book.primary:
        return None
    orig = book.text(m["qid"], book.primary)
    if orig is None:
        return None
    h = source_hash(orig)
    text = path.read_text("utf-8")
    if HASH_LINE.search(text):
        new = HASH_LINE.sub(lambda mm: mm.group(1) + h, text, count=1)
    elif re.search(r"^translation:\s*$", text, re.M):
        new = re.sub(r"^(translation:\s*\n)", lambda mm: mm.group(1) + f"  source_hash: {h}\n", text, count=1, flags=re.M)
    else:
        new = text.replace("\n---\n", f"\ntranslation:\n  status: draft\n  source_hash: {h}\n---\n", 1)
    if new != text:
        path.write_text(new, "utf-8")
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
