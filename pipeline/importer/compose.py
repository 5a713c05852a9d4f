"""Assemble the imported book in memory: chapters, groups, questions with ids, titles, bodies and translations."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from .document import Document, numbering_defects, read_document
from .headings import strip_chapter_prefix
from .ids import IdAllocator, camel_words, latin_words
from .images import ChapterImages
from .legacy import LegacyChapter
from .normalize import normalize_body, normalize_title
from .outline import PlanGroup, PlanQuestion, match_translation, plan_chapter, structural_nodes, used_english
from .previous import Previous
from .report import Report

UNTITLED = {"zh": "（无标题）", "en": "(untitled)"}


@dataclass
class Text:
    title: str
    body: str
    contributors: list


@dataclass
class Question:
    qid: str
    key: str
    kind: str  # question | intro
    legacy_number: str | None
    legacy_file: str
    line: int
    zh: Text
    en: Text | None = None
    inner: list = field(default_factory=list)  # (legacy number, line) of headings kept inside the body
    number: str = ""


@dataclass
class Group:
    gid: str
    key: str
    title: dict
    items: list
    legacy_number: str | None
    legacy_file: str
    line: int
    number: str = ""


@dataclass
class Chapter:
    legacy: LegacyChapter
    folder: str
    cid: str
    title: dict
    items: list
    images: ChapterImages
    number: str = ""


def unique_people(people) -> list[str]:
    out: list[str] = []
    for p in people:
        if p and p not in out:
            out.append(p)
    return out


class ChapterAssembler:
    """Turns one legacy chapter (and its English file) into a Chapter; ids come from the shared allocator."""

    def __init__(self, root: Path, out: Path, legacy: LegacyChapter, ids: IdAllocator, previous: Previous,
                 report: Report):
        self.legacy = legacy
        self.ids = ids
        self.previous = previous
        self.report = report
        self.num = legacy.number
        self.zh = read_document(legacy.main, report)
        self.en = read_document(legacy.english, report) if legacy.english else None
        self.plan = plan_chapter(self.zh)
        numbering_defects(self.zh, self.num, report, structural_nodes(self.plan))
        self.pairs = {}
        if self.en is not None:
            numbering_defects(self.en, self.num, report, set())
            self.pairs = match_translation(self.zh, self.en)
            self._report_unmatched()
        self.cid, self.folder = self._chapter_identity()
        self.images = ChapterImages(root, legacy.folder.path, report)
        self.seen: dict[str, int] = {}

    def _chapter_identity(self) -> tuple[str, str]:
        kept = self.previous.chapter(self.num)
        if kept:
            self.ids.keep(kept[0])
            return kept
        en_title = self.en.chapter_title if self.en else None
        if not en_title and self.legacy.english:
            en_title = camel_words(self.legacy.english.path.parent.name.split("_", 1)[-1])
        cid = self.ids.fresh(en_title, "ch", f"ch{self.num:02d}", chinese=self._chinese_chapter_title(),
                             acronym_first=True)
        if cid.startswith("ch-"):  # nothing to romanise: the legacy number is the best name there is
            self.ids.used.discard(cid)
            cid = self.ids.unique(f"ch{self.num:02d}")
            return cid, cid
        return cid, f"ch{self.num:02d}-" + "-".join(cid.split("-")[:3])

    def _chinese_chapter_title(self) -> str:
        """The chapter's Chinese title; the folder name when only it carries Latin words ('卷积神经网络(CNN)')."""
        title = strip_chapter_prefix(self.zh.chapter_title or "") or self.legacy.folder_title
        return title if latin_words(title) or not latin_words(self.legacy.folder_title) else self.legacy.folder_title

    def _report_unmatched(self) -> None:
        used = used_english(self.plan, self.pairs)
        for node in self.en.all_nodes():
            if id(node) not in used:
                self.report.add("unmatched-translation", self.en.file.rel, node.line,
                                f"English heading '{node.heading.title}' matches no Chinese section or question")

    def chapter_title(self) -> dict:
        title = {"zh": self.zh.chapter_title or self.legacy.folder_title}
        if self.en is not None and self.en.chapter_title:
            title["en"] = self.en.chapter_title
        elif self.legacy.english:
            title["en"] = camel_words(self.legacy.english.path.parent.name.split("_", 1)[-1]).strip()
        title["zh"] = strip_chapter_prefix(title["zh"])
        return title

    def assemble(self) -> Chapter:
        items = [self._item(it, "", self.cid) for it in self.plan]
        return Chapter(self.legacy, self.folder, self.cid, self.chapter_title(), items, self.images)

    def _occurrence(self, key: str) -> str:
        self.seen[key] = self.seen.get(key, 0) + 1
        return f"{key}|{self.seen[key]}"

    def _item(self, it, parent_key: str, parent_id: str):
        if isinstance(it, PlanGroup):
            return self._group(it)
        return self._question(it, parent_key, parent_id)

    def _group(self, it: PlanGroup) -> Group:
        h = it.node.heading
        zh_title = normalize_title(h.title) or UNTITLED["zh"]
        title = {"zh": zh_title}
        other = self.pairs.get(id(it.node))
        if other is not None and other.heading.title:
            title["en"] = normalize_title(other.heading.title)
        key = self._occurrence(f"g|{self.num}|{zh_title}")
        kept = self.previous.group_id(self.folder, zh_title, key)
        gid = self.ids.keep(kept) if kept else self.ids.fresh(title.get("en"), "s", str(self.num), zh_title,
                                                              chinese=zh_title)
        items = [self._item(child, key, gid) for child in it.items]
        return Group(gid, key, title, items, h.number, self.zh.file.rel, h.line)

    def _question(self, it: PlanQuestion, parent_key: str, parent_id: str) -> Question:
        node, doc = it.node, self.zh
        h = node.heading
        stop = node.end if it.intro else node.stop
        body = normalize_body(doc, node.start, stop, self.images, self.report)
        if it.intro:
            zh_title = normalize_title(h.title) if h else self.chapter_title()["zh"]
            key = f"i|{self.num}|{parent_key}"
            kind = "intro-section" if h else "intro-chapter"
            self.report.add("section-intro" if h else "chapter-preamble", doc.file.rel,
                            node.start + 1, f"text imported as the intro question '{zh_title}'")
        else:
            zh_title = normalize_title(h.title)
            if not zh_title:
                self.report.add("empty-title", doc.file.rel, h.line, f"heading {h.number or ''} has no title")
            key = self._occurrence(f"q|{self.num}|{zh_title}")
            kind = "question"
            if not body.text.strip():
                self.report.add("empty-question", doc.file.rel, h.line,
                                f"question '{zh_title or h.number or ''}' has no body")
        zh_title = zh_title or UNTITLED["zh"]
        people = unique_people(it.inherited + (list(h.credits) if h and not it.intro else []) + body.contributors)
        zh = Text(zh_title, body.text, people)
        en = self._english(node, it.intro, people)
        kept = self.previous.question_id(self.folder, zh_title, key)
        if kept:
            qid = self.ids.keep(kept)
        elif it.intro:  # an intro reads best as '<chapter or section id>-intro'
            qid = self.ids.unique(f"{parent_id}-intro")
        else:
            qid = self.ids.fresh(en.title if en else None, "q", str(self.num), zh_title,
                                 chinese="" if zh_title == UNTITLED["zh"] else zh_title)
        inner = [] if it.intro else [(doc.headings[i].number, doc.headings[i].line)
                                     for i in range(node.start, node.stop) if i in doc.headings]
        number = h.number if h else None
        return Question(qid, key, kind, number, doc.file.rel, h.line if h else node.start + 1, zh, en, inner)

    def _english(self, node, intro: bool, zh_people: list) -> Text | None:
        other = self.pairs.get(id(node))
        if other is None or self.en is None:
            return None
        if other.heading is None:
            title = self.en.chapter_title or self.chapter_title().get("en", "")
        else:
            title = normalize_title(other.heading.title)
        stop = other.end if intro else other.stop
        body = normalize_body(self.en, other.start, stop, self.images, self.report)
        if not body.text.strip() and (intro or not title):
            return None
        own = list(other.heading.credits) if other.heading is not None and not intro else []
        people = unique_people(own + body.contributors) or zh_people
        return Text(title or UNTITLED["en"], body.text, people)


def assemble_book(root: Path, out: Path, chapters: list, previous: Previous, report: Report) -> list[Chapter]:
    ids = IdAllocator(previous.reserved())
    result = [ChapterAssembler(root, out, ch, ids, previous, report).assemble() for ch in chapters]
    derive_numbers(result)
    return result


def derive_numbers(chapters: list[Chapter]) -> None:
    for n, ch in enumerate(chapters, 1):
        ch.number = str(n)
        _number_items(ch.items, ch.number)


def _number_items(items, prefix: str) -> None:
    for i, it in enumerate(items, 1):
        it.number = f"{prefix}.{i}"
        if isinstance(it, Group):
            _number_items(it.items, it.number)


def iter_items(items):
    for it in items:
        yield it
        if isinstance(it, Group):
            yield from iter_items(it.items)


__all__ = ["assemble_book", "Chapter", "Group", "Question", "Text", "iter_items", "Document"]
