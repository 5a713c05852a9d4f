"""What an earlier import left in the output folder, so that --update keeps the ids it assigned."""

from __future__ import annotations

import json
from pathlib import Path

MAP_FILE = "import-map.json"


class Previous:
    """Ids to keep: found by the Chinese title in the existing tree first (ids renamed by hand survive),
    then by the key the last import recorded in import-map.json."""

    def __init__(self, chapters=None, keys=None, titles=None, files=()):
        self.chapters: dict[int, tuple[str, str]] = chapters or {}
        self.keys: dict[str, str] = keys or {}
        self.titles: dict[tuple, list] = titles or {}  # (folder, kind, zh title) -> ids in reading order
        self.files: tuple = tuple(files)
        self.taken: dict[tuple, int] = {}

    @classmethod
    def empty(cls) -> "Previous":
        return cls()

    def reserved(self) -> set[str]:
        ids = set(self.keys.values()) | {cid for cid, _ in self.chapters.values()}
        for v in self.titles.values():
            ids.update(v)
        return ids

    def chapter(self, legacy_number: int):
        return self.chapters.get(legacy_number)

    def _by_title(self, folder: str, kind: str, title: str) -> str | None:
        k = (folder, kind, title)
        options = self.titles.get(k, [])
        i = self.taken.get(k, 0)
        if i < len(options):
            self.taken[k] = i + 1
            return options[i]
        return None

    def question_id(self, folder: str, title: str, key: str) -> str | None:
        return self.keys.get(key) if key.startswith("i|") else (self._by_title(folder, "q", title)
                                                                or self.keys.get(key))

    def group_id(self, folder: str, title: str, key: str) -> str | None:
        return self._by_title(folder, "g", title) or self.keys.get(key)


def read_previous(out: Path) -> Previous:
    """Read import-map.json and the tree it describes; an absent map means a first import."""
    path = out / MAP_FILE
    if not path.is_file():
        return Previous.empty()
    data = json.loads(path.read_text("utf-8"))
    chapters = {int(c["legacy_chapter"]): (c["id"], c["folder"]) for c in data.get("chapters", [])}
    keys = {e["key"]: e["id"] for e in data.get("entries", []) if e.get("key")}
    return Previous(chapters, keys, tree_titles(out), data.get("files", []))


def tree_titles(out: Path) -> dict[tuple, list]:
    """(chapter folder, q|g, Chinese title) -> ids, from the tree as it is now (hand edits included)."""
    from ..load import LoadError, load_book
    from ..model import iter_groups, iter_question_refs
    try:
        book, _ = load_book(out)
    except LoadError:
        return {}
    titles: dict[tuple, list] = {}
    for ch in book.chapters:
        for g in iter_groups(ch.items):
            if g.title.get(book.primary):
                titles.setdefault((ch.folder, "g", g.title[book.primary]), []).append(g.gid)
        for ref in iter_question_refs(ch.items):
            qt = book.text(ref.qid, book.primary)
            if qt is not None:
                titles.setdefault((ch.folder, "q", qt.title), []).append(ref.qid)
    return titles
