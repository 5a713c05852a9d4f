"""The book model: plain frozen data that every stage reads; numbers are derived here, never typed."""

from __future__ import annotations

import hashlib
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Union


@dataclass(frozen=True)
class Pos:
    """Where something came from: a path relative to the book root's parent, a 1-based line and column."""

    file: str
    line: int = 1
    col: int = 1


@dataclass(frozen=True)
class Review:
    """A review record: who read the file against which version of the original (its source_hash), and when."""

    by: str
    on: str  # YYYY-MM-DD as written
    against: str
    pos: Pos  # of the reviewed: key


@dataclass(frozen=True)
class QuestionText:
    """One question in one language: front matter plus the Markdown body."""

    qid: str
    lang: str
    path: Path  # absolute
    rel: str  # as shown in diagnostics
    title: str
    contributors: tuple[str, ...]
    body: str
    body_line: int  # line of the body's first line in the file
    meta: dict
    positions: dict  # front-matter key -> Pos
    status: str | None = None  # translations only: machine, draft, reviewed
    translators: tuple[str, ...] = ()
    source_hash: str | None = None
    difficulty: int | None = None  # 1 basic, 2 intermediate, 3 advanced (originals carry tags)
    topics: tuple[str, ...] = ()
    asked_in: tuple[str, ...] = ()
    reviewed: Review | None = None

    @property
    def is_translation(self) -> bool:
        return self.status is not None


@dataclass(frozen=True)
class QuestionRef:
    qid: str
    pos: Pos
    number: str = ""


@dataclass(frozen=True)
class Group:
    gid: str
    title: dict
    items: tuple[Union["Group", QuestionRef], ...]
    pos: Pos
    depth: int  # 1 = section, 2 = sub-section
    number: str = ""


@dataclass(frozen=True)
class Chapter:
    cid: str
    folder: str
    directory: Path
    title: dict
    items: tuple[Union[Group, QuestionRef], ...]
    pos: Pos
    number: str = ""


@dataclass(frozen=True)
class Book:
    root: Path  # folder holding book.yaml
    title: dict
    primary: str
    translations: tuple[str, ...]
    chapters: tuple[Chapter, ...]
    texts: dict  # (qid, lang) -> QuestionText
    options: dict
    meta: dict
    checks_dir: Path
    pos: Pos
    stray_files: tuple = field(default=())  # question files found on disk but in no outline

    @property
    def languages(self) -> tuple[str, ...]:
        return (self.primary, *self.translations)

    def questions(self):
        """(chapter, QuestionRef) in reading order."""
        for ch in self.chapters:
            for ref in iter_question_refs(ch.items):
                yield ch, ref

    def text(self, qid: str, lang: str) -> QuestionText | None:
        return self.texts.get((qid, lang))


def iter_question_refs(items):
    for it in items:
        if isinstance(it, QuestionRef):
            yield it
        else:
            yield from iter_question_refs(it.items)


def iter_groups(items):
    for it in items:
        if isinstance(it, Group):
            yield it
            yield from iter_groups(it.items)


def number_items(prefix: str, items) -> tuple:
    """Give each item its number: prefix + position among its siblings (questions and groups alike)."""
    out = []
    for i, it in enumerate(items, 1):
        num = f"{prefix}.{i}"
        if isinstance(it, QuestionRef):
            out.append(QuestionRef(it.qid, it.pos, num))
        else:
            out.append(Group(it.gid, it.title, number_items(num, it.items), it.pos, it.depth, num))
    return tuple(out)


def derive_numbers(chapters) -> tuple[Chapter, ...]:
    out = []
    for n, ch in enumerate(chapters, 1):
        out.append(Chapter(ch.cid, ch.folder, ch.directory, ch.title, number_items(str(n), ch.items), ch.pos, str(n)))
    return tuple(out)


def number_index(book: Book) -> dict[str, tuple[str, str, object]]:
    """id -> (kind, number, node) for chapters, groups and questions."""
    idx = {}
    for ch in book.chapters:
        idx.setdefault(ch.cid, ("chapter", ch.number, ch))
        for g in iter_groups(ch.items):
            idx.setdefault(g.gid, ("section", g.number, g))
        for q in iter_question_refs(ch.items):
            idx.setdefault(q.qid, ("question", q.number, q))
    return idx


def normalise_text(text: str) -> str:
    """What a translation's hash is taken over: NFC, no zero-width characters, LF line ends, stripped."""
    text = unicodedata.normalize("NFC", text).replace("\r\n", "\n").replace("\u200b", "").replace("\ufeff", "")
    return "\n".join(line.rstrip() for line in text.strip().split("\n"))


def source_hash(text: QuestionText) -> str:
    """The hash a translation records of the original it was made from (title and body)."""
    payload = normalise_text(text.title) + "\n\n" + normalise_text(text.body)
    return "sha256:" + hashlib.sha256(payload.encode("utf-8")).hexdigest()[:16]


def tags_from_meta(meta: dict, positions: dict) -> dict:
    """difficulty, topics, asked_in and reviewed of a front matter, as QuestionText fields; wrong types (the
    schema reports them) count as absent."""
    def names(key):
        v = meta.get(key)
        return tuple(x for x in v if isinstance(x, str)) if isinstance(v, list) else ()

    d = meta.get("difficulty")
    r = meta.get("reviewed")
    review = None
    if isinstance(r, dict) and all(isinstance(r.get(k), str) for k in ("by", "on", "against")):
        review = Review(r["by"], r["on"], r["against"], positions.get("reviewed") or Pos("", 1, 1))
    return {"difficulty": d if isinstance(d, int) and not isinstance(d, bool) else None,
            "topics": names("topics"), "asked_in": names("asked_in"), "reviewed": review}
