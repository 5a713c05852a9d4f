"""Pages of the web edition beyond the chapters: one page per question and language (`<lang>/q/<id>/`, a stable
address) and a side-by-side page per chapter page (`bilingual/<chapter id>/`, per section where the chapter is split)
with each translation's state."""

from __future__ import annotations

import html as htmllib
import re
import subprocess
import urllib.parse
from pathlib import Path

from markupsafe import Markup

from ..prepare.edition import EditionGroup, title_of

PAGE_LABELS = {
    "zh": {"report": "报告问题", "changed": "最后修改", "outline": "本章", "side_by_side": "中英对照",
           "state_current": "译文为最新", "state_stale": "译文已过时：原文自译文所依据的版本（{since}）后有修改",
           "state_missing": "尚无译文", "state_draft": "译文为草稿", "question": "题目"},
    "en": {"report": "Report a problem", "changed": "Last changed", "outline": "This chapter",
           "side_by_side": "Side by side", "state_current": "Translation up to date",
           "state_stale": "Translation stale: the original changed after the version it translates ({since})",
           "state_missing": "No translation yet", "state_draft": "Translation is a draft", "question": "Question"},
}


def page_labels(lang: str) -> dict:
    return PAGE_LABELS.get(lang, PAGE_LABELS["en"])


# --- git: when each source file last changed --------------------------------------------------------------

def git_last_changed(folder: Path) -> dict:
    """Resolved path → YYYY-MM-DD of the last commit touching it, for every file under `folder`, from one
    `git log`; {} when `folder` is not in a git work tree or git is missing."""
    return start_git_last_changed(folder)()


def start_git_last_changed(folder: Path):
    """Start git_last_changed's `git log` and return a function that waits for it and reads the answer: the log
    runs beside the rendering (into a temporary file, so a long log never blocks on a full pipe)."""
    import tempfile
    try:
        top = subprocess.run(["git", "-C", str(folder), "rev-parse", "--show-toplevel"], capture_output=True,
                             text=True, timeout=30)
        if top.returncode != 0:
            return dict
        out = tempfile.TemporaryFile()
        log = subprocess.Popen(["git", "-C", str(folder), "log", "--format=@%cs", "--name-only", "--no-renames",
                                "-z", "--", "."], stdout=out, stderr=subprocess.DEVNULL)
    except (OSError, subprocess.SubprocessError):
        return dict

    def result() -> dict:
        with out:
            try:
                if log.wait(timeout=120) != 0:
                    return {}
            except subprocess.TimeoutExpired:
                log.kill()
                log.wait()
                return {}
            out.seek(0)
            return _parse_git_log(Path(top.stdout.strip()), out.read().decode("utf-8", "replace"))
    return result


def _parse_git_log(root: Path, text: str) -> dict:
    out, day = {}, ""
    for token in text.replace("\n", "\0").split("\0"):
        if token.startswith("@"):
            day = token[1:]
        elif token:
            out.setdefault((root / token).resolve(), day)
    return out


# --- report a problem ------------------------------------------------------------------------------------

def issue_url(base: str, number: str, title: str, qid: str, lang: str) -> str:
    """A new-issue link prefilled with the question (GitHub's and GitLab's `?title=&body=` form)."""
    body = f"Question {number} ({qid}, {lang}): {title}\n\nWhat is wrong:\n"
    sep = "&" if "?" in base else "?"
    return base + sep + urllib.parse.urlencode({"title": f"[{qid}] ", "body": body})


def issues_base(book) -> str:
    """options.issues_url when it is an http(s) address (the schema checks the form), else ""."""
    url = str((book.options or {}).get("issues_url") or "")
    return url if re.match(r"https?://[^\s\"'<>]+$", url) else ""


# --- question pages --------------------------------------------------------------------------------------

def _book_questions(builder) -> list:
    """(page, ref) for every question in reading order."""
    from .site_common import _questions
    return [(page, ref) for page in builder.pages for ref in _questions(page.items)]


def _outline(builder, chapter, lang: str, current: str) -> str:
    """The chapter's questions as a list of links to their question pages, the current one marked. Drawn once
    per chapter and language for all its question pages (by each question's render key, so an edit redraws it)."""
    from .site_common import _questions
    keys = tuple(builder._question(ref, lang, None)[0] for ref in _questions(chapter.items))
    memo = builder.__dict__.setdefault("outline_memo", {})
    hit = memo.get((chapter.id, lang))
    if hit is None or hit[0] != keys:
        hit = memo[(chapter.id, lang)] = (keys, _outline_html(builder, chapter, lang))
    link = f'<a href="@ROOT@{lang}/q/{current}/">'
    return hit[1].replace(link, link[:-1] + ' aria-current="page">', 1)


def _outline_html(builder, chapter, lang: str) -> str:
    from .site_common import _questions
    out = ["<ol>"]
    for it in builder.edition(lang).chapter(chapter.id).items:
        if isinstance(it, EditionGroup):
            t = htmllib.escape(it.title)
            out.append(f'<li><span class="number">{it.number}</span> {t}<ol>')
            for ref in _questions(it.items):
                out.append(_outline_item(builder, ref, lang))
            out.append("</ol></li>")
        else:
            out.append(_outline_item(builder, it, lang))
    out.append("</ol>")
    return "".join(out)


def _outline_item(builder, ref, lang) -> str:
    entry = builder._question(ref, lang, None)
    title = entry[2]["meta"]["title"] if entry[2] else ref.qid
    return (f'<li><a href="@ROOT@{lang}/q/{ref.qid}/"><span class="number">{ref.number}</span> '
            f'{htmllib.escape(title)}</a></li>')


def _neighbour(builder, pair, lang):
    if pair is None:
        return None
    _page, ref = pair
    entry = builder._question(ref, lang, None)
    return {"href": f"@ROOT@{lang}/q/{ref.qid}/", "label": ref.number,
            "title": entry[2]["meta"]["title"] if entry[2] else ref.qid}


def render_question_page(builder, i: int, all_q: list, lang: str, changed: dict) -> str:
    from .site_common import site_labels
    page, ref = all_q[i]
    lab, plab = site_labels(lang), page_labels(lang)
    _key, html, rec = builder._question(ref, lang, page)
    for o in builder.langs:  # the language switch goes to the same question's page
        html = html.replace(f'href="@ROOT@{o}/@PAGE:{ref.qid}@#{ref.qid}"', f'href="@ROOT@{o}/q/{ref.qid}/#{ref.qid}"')
    html = re.sub(r'<h3 class="question-title">(.*?)</h3>', r'<h1 class="question-title">\1</h1>', html, count=1,
                  flags=re.S)
    shown = builder.editions[lang].question(ref.qid)
    day = changed.get(Path(shown.path).resolve(), "") if shown is not None and shown.path else ""
    title = rec["meta"]["title"] if rec else ref.qid
    base = issues_base(builder.book)
    chapter = page.chapter
    out = builder.env.get_template("question.html.j2").render(
        lang=lang, lab=lab, plab=plab, book_title=title_of(builder.book.title, lang, builder.book.primary),
        number=ref.number, title=title, body=Markup(html), changed=day,
        report=issue_url(base, ref.number, title, ref.qid, lang) if base else "",
        chapter_label=lab["chapter"].format(chapter.number),
        chapter_title=builder.edition(lang).chapter(chapter.id).title,
        chapter_href=f"@ROOT@{lang}/{builder.page_of.get(ref.qid, chapter.id + '/')}#{ref.qid}",
        bilingual_href=f"@ROOT@bilingual/{builder.page_of.get(ref.qid, chapter.id + '/')}#{ref.qid}"
        if len(builder.langs) > 1 else "",
        outline=Markup(_outline(builder, chapter, lang, ref.qid)),
        prev=_neighbour(builder, all_q[i - 1] if i > 0 else None, lang),
        next=_neighbour(builder, all_q[i + 1] if i + 1 < len(all_q) else None, lang),
        others=[{"lang": o, "name": site_labels(o)["lang_name"], "href": f"@ROOT@{o}/q/{ref.qid}/"}
                for o in builder.langs if o != lang],
        meta=builder.inputs.meta, live_reload=builder.live_reload, search=builder.search_enabled)
    return builder.finish(out, f"{lang}/q/{ref.qid}/")


def write_question_pages(builder, lang: str, changed: dict, only=None) -> list:
    """<lang>/q/<id>/ for every question (or those in `only`, and their neighbours, after an edit): the question
    itself, whatever chapter or page it moves to."""
    all_q = _book_questions(builder)
    written = []
    for i, (_page, ref) in enumerate(all_q):
        if only is not None and not any(q.qid in only for _p, q in all_q[max(0, i - 1):i + 2]):
            continue
        written += builder._write(builder.out / lang / "q" / ref.qid / "index.html",
                                  render_question_page(builder, i, all_q, lang, changed))
    return written


# --- side by side ----------------------------------------------------------------------------------------

def translation_states(book, qids=None) -> dict:
    """(qid, lang) → (state, since): current, draft, stale (since: the original's hash the translation follows)
    or missing, for every translation language; of the questions in `qids` only, when given (serve after an
    edit: hashing every original of the book took longer than the rest of the rebuild)."""
    import dataclasses

    from ..status import question_entries
    if qids is not None:
        book = dataclasses.replace(book, texts={k: t for k, t in book.texts.items() if k[0] in qids})
    out = {}
    for e in question_entries(book):
        state = e.state if e.state in ("stale", "missing", "draft") else "current"
        out[(e.qid, e.lang)] = (state, (e.recorded_hash or "").removeprefix("sha256:")[:12])
    return out


def render_bilingual_page(builder, page, states: dict) -> str:
    """The side-by-side view of one page of the site (a chapter, or a section of a chapter split per section)."""
    from .site_common import _questions, site_labels
    primary, chapter = builder.book.primary, page.chapter
    langs = [primary] + [x for x in builder.langs if x != primary]
    here = f"bilingual/{page.key}"
    rows = []
    for ref in _questions(page.items):
        cells = []
        for lang in langs:
            text = builder.book.text(ref.qid, lang)
            plab = page_labels(lang)
            if lang == primary:
                state, since = "original", ""
            else:
                state, since = states.get((ref.qid, lang), ("missing", ""))
            note = "" if state == "original" else plab["state_" + state].format(since=since or "?")
            html = builder._question(ref, lang, None)[1] if text is not None else ""
            # the row holds the question's id; cross-references go to the chapter pages of the cell's language
            html = builder.finish(html.replace(f' id="{ref.qid}"', "", 1), here, lang)
            cells.append({"lang": lang, "state": state, "note": note, "html": Markup(html)})
        rows.append({"qid": ref.qid, "number": ref.number, "cells": cells})
    lab = site_labels(primary)
    sections = [{"href": f"@ROOT@bilingual/{p.key}", "number": p.number, "title": builder.page_title(p, primary)}
                for p in builder.pages if p.chapter.id == chapter.id and p.section is not None] \
        if page.section is None else []
    out = builder.env.get_template("bilingual.html.j2").render(
        lang=primary, lab=lab, plab=page_labels(primary),
        book_title=title_of(builder.book.title, primary, primary),
        chapter_label=lab["chapter"].format(chapter.number) if page.section is None else page.number,
        title=builder.page_title(page, primary), sections=sections,
        rows=rows, others=[], meta=builder.inputs.meta, live_reload=builder.live_reload, search=False,
        chapter_links=[{"lang": x, "href": f"@ROOT@{x}/{page.key}", "name": site_labels(x)["lang_name"]}
                       for x in langs])
    return builder.finish(out, here)


def write_bilingual_pages(builder, only=None) -> list:
    """bilingual/<page key> for every page of the site (or those holding a question in `only`): chapters split
    per section are split here too."""
    from .site_common import _questions
    if len(builder.langs) < 2:
        return []
    pages = [page for page in builder.pages
             if only is None or any(q.qid in only for q in _questions(page.items))]
    shown = None if only is None else {q.qid for page in pages for q in _questions(page.items)}
    states = translation_states(builder.book, shown)
    written = []
    for page in pages:
        written += builder._write(builder.out / "bilingual" / page.key / "index.html",
                                  render_bilingual_page(builder, page, states))
    return written
