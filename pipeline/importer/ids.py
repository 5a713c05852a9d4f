"""Stable ids: a slug of the English title where there is one, else a short hash of chapter and Chinese title."""

from __future__ import annotations

import hashlib
import re
import unicodedata

MAX_WORDS = 8
MAX_LEN = 60
ID_OK = re.compile(r"^[a-z0-9][a-z0-9-]*$")


def slugify(text: str) -> str:
    """'What is the Sigmoid's derivative?' → 'what-is-the-sigmoids-derivative'; '' when nothing ASCII is left."""
    text = unicodedata.normalize("NFKD", text)
    text = re.sub(r"\$[^$]*\$", " ", text)  # formulas make poor ids
    text = re.sub(r"[’'`]", "", text.lower())
    words = re.findall(r"[a-z0-9]+", text.encode("ascii", "ignore").decode())
    slug = ""
    for w in words[:MAX_WORDS]:
        cand = f"{slug}-{w}" if slug else w
        if len(cand) > MAX_LEN:
            break
        slug = cand
    return slug


def camel_words(name: str) -> str:
    """'DeepLearningFoundation' → 'Deep Learning Foundation' (English chapter folder names)."""
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])|[_()]+", " ", name)


def short_hash(*parts: str) -> str:
    return hashlib.sha1("\n".join(parts).encode("utf-8")).hexdigest()[:8]


class IdAllocator:
    """Hands out ids unique in the whole book, in reading order; ids to keep are reserved first."""

    def __init__(self, reserved=()):
        self.used: set[str] = set(reserved)

    def fresh(self, english: str | None, prefix: str, *hash_parts: str) -> str:
        base = slugify(english or "") or f"{prefix}-{short_hash(*hash_parts)}"
        cand, n = base, 1
        while cand in self.used:
            n += 1
            cand = f"{base}-{n}"
        self.used.add(cand)
        return cand

    def keep(self, qid: str) -> str:
        self.used.add(qid)
        return qid
