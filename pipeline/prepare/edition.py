"""Assemble one language edition from the model and the rendered fragments: chapters, sections, questions."""

from __future__ import annotations

import html as htmllib
import re
from dataclasses import dataclass, field

from markupsafe import Markup

from ..model import Group, QuestionRef
from ..render.html import RenderContext, finish_question_html, labels


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


@dataclass
class Edition:
    lang: str
    chapters: list
    pending: list  # qids shown in the original language
    omitted: list


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


def build_edition(book, lang: str, fragments: dict, ctx: RenderContext) -> Edition:
    """fragments: (qid, lang_of_text) -> (title_html, body_html) from pandoc."""
    omit = book.options.get("untranslated") == "omit" and lang != book.primary
    lab = labels(lang)
    chapters, pending, omitted = [], [], []
    for ch in book.chapters:
        ctx.current_chapter_file = f"{ch.folder}.xhtml"
        title = title_of(ch.title, lang, book.primary)
        ec = EditionChapter(ch.cid, ch.folder, ch.number, lab["chapter"].format(ch.number), title,
                            htmllib.escape(title))
        parts = []
        state = (book, lang, fragments, ctx, ch.folder, ec, pending, omitted, omit)
        walk_items(ch.items, 0, parts, state)
        ec.body = "\n".join(p for p in parts if p)
        chapters.append(ec)
    return Edition(lang, chapters, pending, omitted)


def walk_items(items, depth, parts, state) -> None:
    """Headings for sections and sub-sections, then their questions, in outline order."""
    book, lang, fragments, ctx, folder, ec, pending, omitted, omit = state
    for it in items:
        if isinstance(it, Group):
            gt = htmllib.escape(title_of(it.title, lang, book.primary))
            tag = "h2" if depth == 0 else "h3"
            cls = "section-title" if depth == 0 else "subsection-title"
            parts.append(f'<{tag} class="{cls}" id="{attr(it.gid)}"><span class="number">{it.number}</span> '
                         f'{gt}</{tag}>')
            if depth == 0:  # the title is escaped HTML already: Markup keeps Jinja from escaping it twice
                ec.sections.append({"id": it.gid, "number": it.number, "title": Markup(gt)})
            walk_items(it.items, depth + 1, parts, state)
        elif isinstance(it, QuestionRef):
            parts.append(question_html(book, it, lang, depth, fragments, ctx, folder, ec, pending, omitted, omit))


def question_html(book, ref, lang, depth, fragments, ctx, folder, ec, pending, omitted, omit) -> str:
    text, fallback = pick_text(book, ref.qid, lang)
    if text is None:
        return ""
    if fallback and omit:
        omitted.append(ref.qid)
        return ""
    title_html, body_html = fragments[(ref.qid, text.lang)]
    title_html = finish_question_html(inline_title(title_html), ctx, folder)
    body = finish_question_html(demote_headings(body_html, 3), ctx, folder)
    tag = "h3" if depth <= 1 else "h4"
    note = ""
    if fallback:
        pending.append(ref.qid)
        note = f'<p class="note pending">{labels(lang)["pending"]}</p>'
    people = ", ".join(htmllib.escape(c) for c in text.contributors)
    credit = f'<p class="contributors">{labels(lang)["contributors"]}: {people}</p>' if people else ""
    ec.questions.append((ref.qid, ref.number, re.sub(r"<[^>]+>", "", title_html)))
    lang_attr = f' lang="{attr(text.lang)}"' if text.lang != lang else ""
    return (f'<section class="question" id="{attr(ref.qid)}"{lang_attr}>\n<{tag} class="question-title">'
            f'<span class="number">{ref.number}</span> {title_html}</{tag}>\n{credit}{note}\n{body}</section>')
