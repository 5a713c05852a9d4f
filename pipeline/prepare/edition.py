"""Assemble one language edition from the model and the rendered fragments: chapters, sections, questions.

The one place that decides, for every renderer, which text a question shows in a language (its own, or the
original while the translation is pending), whether an untranslated question is left out, and how its pandoc
fragment becomes the target's HTML. The outline comes out twice: as immutable values in reading order
(`EditionChapter.items`: `EditionGroup`, `EditionQuestion`) for renderers that lay pages out themselves (the web
edition, the quiz), and as one HTML body per chapter (`EditionChapter.body`) for the PDF and the EPUB.
"""

from __future__ import annotations

import html as htmllib
import re
from dataclasses import dataclass, field
from pathlib import Path

from markupsafe import Markup

from ..model import Group, QuestionRef
from ..render.html import RenderContext, finish_question_html, labels


@dataclass(frozen=True)
class EditionQuestion:
    """One question as an edition shows it. `text_lang` is "" when no language has a text for it."""

    qid: str
    number: str
    depth: int  # 0: directly in the chapter, 1: in a section, 2: in a sub-section
    text_lang: str  # the language of the text shown (the original's while a translation is pending)
    fallback: bool  # shown in the original language because the translation is missing
    omitted: bool  # left out of this edition (book.yaml options.untranslated: omit)
    contributors: tuple
    topics: tuple  # of the original text
    difficulty: object
    title_html: str  # finished for the edition's target
    body_html: str
    folder: str  # the chapter folder of the source file (images and figures resolve against it)
    path: Path | None = None  # the source file shown
    fragment: tuple = field(default=(), repr=False)  # pandoc's (title, body) the HTML was finished from
    # the QuestionTexts it was assembled from: the same objects in a later book mean nothing of them changed
    sources: tuple = field(default=(), repr=False, compare=False)

    @property
    def shown(self) -> bool:
        return bool(self.text_lang) and not self.omitted


@dataclass(frozen=True)
class EditionGroup:
    id: str
    number: str
    depth: int  # 0: a section, 1: a sub-section
    title: str  # plain text in the edition's language
    items: tuple = ()


@dataclass
class EditionChapter:
    id: str
    folder: str
    number: str
    label: str
    title: str
    title_html: str
    sections: list = field(default_factory=list)  # dicts: id, number, title
    body: str = ""
    questions: list = field(default_factory=list)  # (qid, number, title)
    items: tuple = ()  # EditionGroup / EditionQuestion in outline order


@dataclass
class Edition:
    lang: str
    chapters: list
    pending: list  # qids shown in the original language
    omitted: list

    def question(self, qid: str) -> EditionQuestion | None:
        return self.question_index().get(qid)

    def chapter(self, cid: str) -> EditionChapter | None:
        return self._outline_index().get(("chapter", cid))

    def group(self, gid: str) -> EditionGroup | None:
        return self._outline_index().get(("group", gid))

    def _outline_index(self) -> dict:
        index = self.__dict__.get("_outline")
        if index is None:
            index = self.__dict__["_outline"] = {("chapter", ch.id): ch for ch in self.chapters}
            for ch in self.chapters:
                index.update((("group", g.id), g) for g in walk_groups(ch.items))
        return index

    def question_index(self) -> dict:
        """qid → EditionQuestion of every question in the outline."""
        index = self.__dict__.get("_index")
        if index is None:
            index = self.__dict__["_index"] = {q.qid: q for ch in self.chapters for q in walk_questions(ch.items)}
        return index


def walk_questions(items):
    """The EditionQuestions under `items`, in reading order."""
    for it in items:
        if isinstance(it, EditionGroup):
            yield from walk_questions(it.items)
        else:
            yield it


def walk_groups(items):
    """The EditionGroups under `items` (sections, then their sub-sections), in reading order."""
    for it in items:
        if isinstance(it, EditionGroup):
            yield it
            yield from walk_groups(it.items)


def attr(s: str) -> str:
    """Text for an attribute value: ids and languages are validated, but the build may run with --keep-going."""
    return htmllib.escape(str(s), quote=True)


def pick_text(book, qid: str, lang: str):
    """The text to show for a question in `lang`, and whether it falls back to the original."""
    t = book.text(qid, lang)
    if t is not None:
        return t, False
    return book.text(qid, book.primary), lang != book.primary


def title_of(d: dict, lang: str, primary: str) -> str:
    return d.get(lang) or d.get(primary) or next(iter(d.values()), "")


def inline_title(html_fragment: str) -> str:
    s = html_fragment.strip()
    m = re.fullmatch(r"<p>(.*)</p>", s, re.S)
    return m.group(1) if m else s


def demote_headings(html: str, by: int) -> str:
    return re.sub(r"<(/?)h([1-6])", lambda m: f"<{m.group(1)}h{min(6, int(m.group(2)) + by)}", html)


@dataclass(frozen=True)
class _Assembly:
    """What every question of one edition is assembled with."""

    book: object
    lang: str
    fragments: object
    ctx: RenderContext
    omit: bool
    heading_shift: int
    reuse: object  # qid → EditionQuestion of an earlier edition, kept where its inputs are the same
    only: object = None  # with `reuse`: the qids whose texts may have changed; every other one is kept unchecked


def build_edition(book, lang: str, fragments: dict, ctx: RenderContext, heading_shift: int = 3,
                  reuse=None, bodies: bool = True, only=None) -> Edition:
    """fragments: (qid, lang_of_text) -> (title_html, body_html) from pandoc. `heading_shift`: how far the
    headings of an answer move down (3 under a question's heading in a chapter). `reuse`: the questions of an
    earlier edition of the same language and target; one whose inputs did not change is taken as it is.
    `bodies`: also join each chapter's HTML body (with its `sections` and `questions`) for the PDF and EPUB; a
    renderer that lays pages out from `items` (the web edition) goes without. `only`: the qids whose texts
    changed since `reuse` was assembled (serve, after a save; the outline is the same): the others are taken
    from `reuse` without looking at their inputs again."""
    omit = book.options.get("untranslated") == "omit" and lang != book.primary
    lab = labels(lang)
    how = _Assembly(book, lang, fragments, ctx, omit, heading_shift, reuse or {}, None if reuse is None else only)
    chapters, pending, omitted = [], [], []
    for ch in book.chapters:
        ctx.current_chapter_file = f"{ch.folder}.xhtml"
        title = title_of(ch.title, lang, book.primary)
        ec = EditionChapter(ch.cid, ch.folder, ch.number, lab["chapter"].format(ch.number), title,
                            htmllib.escape(title))
        ec.items = assemble_items(ch.items, 0, ch.folder, how)
        if bodies:
            ec.body = chapter_body(ec, lang)
        for q in walk_questions(ec.items):
            if q.text_lang and q.fallback:
                (omitted if q.omitted else pending).append(q.qid)
        chapters.append(ec)
    return Edition(lang, chapters, pending, omitted)


def assemble_items(items, depth: int, folder: str, how: _Assembly) -> tuple:
    """The outline under `items` as edition values, in outline order."""
    out = []
    for it in items:
        if isinstance(it, Group):
            out.append(EditionGroup(it.gid, it.number, depth, title_of(it.title, how.lang, how.book.primary),
                                    assemble_items(it.items, depth + 1, folder, how)))
        elif isinstance(it, QuestionRef):
            out.append(assemble_question(it, depth, folder, how))
    return tuple(out)


def assemble_question(ref, depth: int, folder: str, how: _Assembly) -> EditionQuestion:
    book = how.book
    kept = how.reuse.get(ref.qid) if how.only is not None and ref.qid not in how.only else None
    if kept is not None and kept.number == ref.number and kept.depth == depth:
        return kept
    text, fallback = pick_text(book, ref.qid, how.lang)
    if text is None or (ref.qid, text.lang) not in how.fragments:
        return EditionQuestion(ref.qid, ref.number, depth, "", fallback, False, (), (), None, "", "", folder)
    frag = how.fragments[(ref.qid, text.lang)]
    original = book.text(ref.qid, book.primary) or text
    old = how.reuse.get(ref.qid)
    # serve asks again after every save: a question whose texts, fragment and place are the same objects and
    # values as last time is kept as it is (its finishing is most of the cost)
    if old is not None and old.fragment == frag and old.sources == (text, original) and old.number == ref.number \
            and old.depth == depth and old.fallback == fallback and old.omitted == (fallback and how.omit):
        return old
    text_folder = text.path.parent.name
    title_html = finish_question_html(inline_title(frag[0]), how.ctx, text_folder)
    body_html = finish_question_html(demote_headings(frag[1], how.heading_shift), how.ctx, text_folder)
    return EditionQuestion(ref.qid, ref.number, depth, text.lang, fallback, fallback and how.omit,
                           tuple(text.contributors), tuple(original.topics), original.difficulty, title_html,
                           body_html, text_folder, text.path, frag, (text, original))


def chapter_body(ec: EditionChapter, lang: str) -> str:
    """The chapter's HTML for the PDF and the EPUB: headings for sections and sub-sections, then their questions;
    fills the chapter's `sections` and `questions` lists on the way."""
    parts = []
    walk_items(ec.items, parts, ec, lang)
    return "\n".join(p for p in parts if p)


def walk_items(items, parts, ec: EditionChapter, lang: str) -> None:
    for it in items:
        if isinstance(it, EditionGroup):
            gt = htmllib.escape(it.title)
            tag = "h2" if it.depth == 0 else "h3"
            cls = "section-title" if it.depth == 0 else "subsection-title"
            parts.append(f'<{tag} class="{cls}" id="{attr(it.id)}"><span class="number">{it.number}</span> '
                         f'{gt}</{tag}>')
            if it.depth == 0:  # the title is escaped HTML already: Markup keeps Jinja from escaping it twice
                ec.sections.append({"id": it.id, "number": it.number, "title": Markup(gt)})
            walk_items(it.items, parts, ec, lang)
        elif it.shown:
            ec.questions.append((it.qid, it.number, re.sub(r"<[^>]+>", "", it.title_html)))
            parts.append(question_html(it, lang))


def question_html(q: EditionQuestion, lang: str) -> str:
    tag = "h3" if q.depth <= 1 else "h4"
    note = f'<p class="note pending">{labels(lang)["pending"]}</p>' if q.fallback else ""
    people = ", ".join(htmllib.escape(c) for c in q.contributors)
    credit = f'<p class="contributors">{labels(lang)["contributors"]}: {people}</p>' if people else ""
    lang_attr = f' lang="{attr(q.text_lang)}"' if q.text_lang != lang else ""
    return (f'<section class="question" id="{attr(q.qid)}"{lang_attr}>\n<{tag} class="question-title">'
            f'<span class="number">{q.number}</span> {q.title_html}</{tag}>\n{credit}{note}\n{q.body_html}</section>')
