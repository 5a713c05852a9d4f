"""The quiz page of the web edition: <lang>/quiz/ with its questions in quiz.json beside it, drilled by assets/quiz.js.

Everything runs in the reader's browser: the page fetches quiz.json from its own folder, keeps what the reader knew
in localStorage, and sends nothing anywhere (the site's Content-Security-Policy allows no other origin). Titles and
answers are the same sanitized fragments the chapter pages show, with links and math images resolved relative to
the quiz folder.
"""

from __future__ import annotations

import json

from ..prepare.edition import title_of, walk_questions

QUIZ_LABELS = {
    "zh": {"quiz": "刷题", "quiz_title": "刷题模式", "chapters": "章节", "topics": "主题", "difficulty": "难度",
           "all_hint": "不勾选即为全部。", "round": "每轮题数", "all": "全部", "start": "开始",
           "show": "显示答案", "knew": "会", "didnt": "不会", "next": "下一题", "again": "再来一轮",
           "settings": "重新选择", "forget": "清除本机记录", "in_book": "在书中查看",
           "record": "本机记录：已练 {seen} 题，今天待复习 {due} 题。",
           "progress": "第 {i} / {n} 题", "result": "本轮：会 {knew} 题，不会 {didnt} 题。",
           "empty": "没有符合条件的题目。", "shortcuts": "快捷键：空格或回车显示答案，1 或 j 会，2 或 k 不会，n 下一题。",
           "no_js": "刷题需要 JavaScript；题目与答案都在各章页面中。",
           "offline": "无法读取题目：请通过网页服务器打开本页（dl500 serve，或在 build/site 中运行 "
                      "python -m http.server），浏览器不允许页面直接读取磁盘上的文件。",
           "marked_knew": "已记为“会”。", "marked_didnt": "已记为“不会”，稍后再考。",
           "privacy": "记录只保存在本浏览器（localStorage）中，不会发送到任何地方。"},
    "en": {"quiz": "Quiz", "quiz_title": "Quiz mode", "chapters": "Chapters", "topics": "Topics",
           "difficulty": "Difficulty", "all_hint": "Leave a group unticked for all.", "round": "Questions per round",
           "all": "all", "start": "Start", "show": "Show answer", "knew": "Knew it", "didnt": "Didn't know",
           "next": "Next", "again": "Another round", "settings": "Change selection", "forget": "Forget my record",
           "in_book": "Read in the book", "record": "On this device: {seen} practised, {due} due for review today.",
           "progress": "Question {i} of {n}", "result": "This round: knew {knew}, didn't know {didnt}.",
           "empty": "No question matches this selection.",
           "shortcuts": "Keys: space or enter shows the answer, 1 or j knew it, 2 or k didn't, n next.",
           "no_js": "The quiz needs JavaScript; every question and answer is on the chapter pages.",
           "offline": "Cannot read the questions: open this page through a web server (dl500 serve, or python -m "
                      "http.server in build/site); browsers do not let a page read files from disk.",
           "marked_knew": "Marked as known.", "marked_didnt": "Marked as not known: it comes back later.",
           "privacy": "Your record stays in this browser (localStorage) and is sent nowhere."},
}

# The labels quiz.js composes messages from; the rest are written into the page.
SCRIPT_LABELS = ("record", "progress", "result", "empty", "offline", "marked_knew", "marked_didnt")


def quiz_labels(lang: str) -> dict:
    return QUIZ_LABELS.get(lang, QUIZ_LABELS["en"])


def tag_names(book, lang: str) -> tuple[dict, dict]:
    """(topic id → name, difficulty → name) in `lang` from source/topics.yaml (ids stand in where it has none)."""
    from ..validate.tags import vocabulary
    voc, _ = vocabulary(book)
    topics = {k: str((v or {}).get(lang) or (v or {}).get(book.primary) or k) for k, v in voc.topics.items()}
    levels = {int(k): str((v or {}).get(lang) or k) for k, v in voc.difficulty.items()}
    return topics, levels


def quiz_questions(builder, lang: str) -> list:
    """One record per question the edition of `lang` shows: id, number, chapter, topics, difficulty, title and
    answer HTML."""
    here = f"{lang}/quiz/"
    out = []
    for ch in builder.quiz_edition(lang).chapters:
        for q in walk_questions(ch.items):
            if not q.shown:
                continue
            out.append({
                "id": q.qid, "number": q.number, "chapter": ch.id, "topics": list(q.topics),
                "difficulty": q.difficulty, "lang": q.text_lang,
                "title": builder.finish(q.title_html, here), "answer": builder.finish(q.body_html, here),
                "href": builder.finish(f'href="@ROOT@{lang}/@PAGE:{q.qid}@#{q.qid}"', here)[6:-1]})
    return out


def quiz_filters(book, lang: str, questions: list, chapters: list) -> dict:
    """The choices the page offers: chapters, and the topics and difficulties its questions carry."""
    topics, levels = tag_names(book, lang)
    used_topics = sorted({t for q in questions for t in q["topics"]}, key=lambda t: (topics.get(t, t), t))
    used_levels = sorted({q["difficulty"] for q in questions if q["difficulty"] is not None})
    counts = {}
    for q in questions:
        counts[q["chapter"]] = counts.get(q["chapter"], 0) + 1
    return {
        "chapters": [{"id": ch.id, "number": ch.number, "title": ch.title, "count": counts.get(ch.id, 0)}
                     for ch in chapters if counts.get(ch.id)],
        "topics": [{"id": t, "name": topics.get(t, t)} for t in used_topics],
        "levels": [{"level": d, "name": levels.get(d, str(d))} for d in used_levels],
    }


def quiz_json(book, lang: str, questions: list) -> str:
    payload = {"book": str(book.meta.get("id") or "dl500"), "lang": lang, "questions": questions}
    return json.dumps(payload, ensure_ascii=False, sort_keys=True, separators=(",", ":")) + "\n"


def render_quiz_page(builder, lang: str, questions: list) -> str:
    from .site_common import site_labels
    book = builder.book
    lab = {**site_labels(lang), **quiz_labels(lang)}
    html = builder.env.get_template("quiz.html.j2").render(
        lang=lang, lab=lab, book_title=title_of(book.title, lang, book.primary),
        book_id=str(book.meta.get("id") or "dl500"), filters=quiz_filters(book, lang, questions, builder.quiz_editions[lang].chapters),
        script_labels={k: lab[k] for k in SCRIPT_LABELS}, meta=builder.inputs.meta,
        live_reload=builder.live_reload, search=builder.search_enabled,
        others=[{"lang": o, "name": site_labels(o)["lang_name"], "href": f"@ROOT@{o}/quiz/"}
                for o in builder.langs if o != lang])
    return builder.finish(html, f"{lang}/quiz/")


def write_quiz(builder, lang: str) -> list:
    """<lang>/quiz/index.html and quiz.json beside it (files rewritten only when they changed)."""
    questions = quiz_questions(builder, lang)
    folder = builder.out / lang / "quiz"
    written = builder._write(folder / "quiz.json", quiz_json(builder.book, lang, questions))
    written += builder._write(folder / "index.html", render_quiz_page(builder, lang, questions))
    return written
