"""What the web edition's page writers share (site.py, site_pages.py, quiz.py): the interface labels and the
questions of an Edition's outline. A leaf module, so the page writers need not import each other."""

from __future__ import annotations

from ..prepare.edition import EditionGroup, EditionQuestion
from .html import labels

SITE_LABELS = {
    "zh": {"lang_name": "中文", "search": "搜索", "search_placeholder": "搜索题目（中文或英文）", "prev": "上一页",
           "next": "下一页", "contents": "目录", "home": "首页", "no_js": "搜索需要 JavaScript；目录见左侧。",
           "no_results": "没有找到结果", "other": "en", "questions": "题", "permalink": "本题链接", "skip": "跳到正文",
           "runs": "在构建中运行并核对输出", "quiz": "刷题"},
    "en": {"lang_name": "English", "search": "Search", "search_placeholder": "Search questions (English or Chinese)",
           "prev": "Previous", "next": "Next", "contents": "Contents", "home": "Home",
           "no_js": "Search needs JavaScript; use the contents on the left.", "no_results": "No results",
           "other": "zh", "questions": "questions",
           "permalink": "Link to this question", "skip": "Skip to content",
           "runs": "Run by the build; its output is checked", "quiz": "Quiz"},
}


def site_labels(lang: str) -> dict:
    return {**labels(lang), **SITE_LABELS.get(lang, SITE_LABELS["en"])}


def _walk(items):
    for it in items:
        yield it
        if isinstance(it, EditionGroup):
            yield from _walk(it.items)


_QUESTIONS: dict = {}  # id(items) -> (items, its questions): the pages ask for the same outline lists often


def _questions(items):
    hit = _QUESTIONS.get(id(items))
    if hit is not None and hit[0] is items:
        return list(hit[1])
    found = [it for it in _walk(items) if isinstance(it, EditionQuestion)]
    if isinstance(items, tuple):  # immutable: the answer can be kept (kept with it, so its id is never reused)
        if len(_QUESTIONS) > 20_000:  # serve's outlines come and go: never let old ones pile up
            _QUESTIONS.clear()
        _QUESTIONS[id(items)] = (items, tuple(found))
    return found
