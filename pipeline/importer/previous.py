"""What an earlier import left in the output folder: the ids it assigned (and the ones maintainers set in
import-map.json since), and a hash of every file it wrote, so --update can tell a maintainer's edit from its own."""

from __future__ import annotations

import json
import re
from pathlib import Path

from .ids import ID_OK
from .legacy import ImportFailure

MAP_FILE = "import-map.json"


class Previous:
    """Ids to keep: an id a maintainer set in import-map.json first, then the id the Chinese title has in the
    existing tree (ids renamed by hand survive), then the id the last import recorded for the same legacy key."""

    def __init__(self, chapters=None, keys=None, titles=None, files=None, overrides=None):
        self.chapters: dict[int, tuple[str, str]] = chapters or {}
        self.keys: dict[str, str] = keys or {}
        self.titles: dict[tuple, list] = titles or {}  # (folder, kind, zh title) -> ids in reading order
        self.files: dict[str, str | None] = dict(files or {})  # rel path -> hash of what the last import wrote
        self.overrides: dict[str, str] = overrides or {}  # legacy key -> id set by hand in import-map.json
        self.taken: dict[tuple, int] = {}

    @classmethod
    def empty(cls) -> "Previous":
        return cls()

    def reserved(self) -> set[str]:
        ids = set(self.keys.values()) | set(self.overrides.values()) | {cid for cid, _ in self.chapters.values()}
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
        if key in self.overrides:
            return self.overrides[key]
        return self.keys.get(key) if key.startswith("i|") else (self._by_title(folder, "q", title)
                                                                or self.keys.get(key))

    def group_id(self, folder: str, title: str, key: str) -> str | None:
        return self.overrides.get(key) or self._by_title(folder, "g", title) or self.keys.get(key)


def read_previous(out: Path) -> Previous:
    """Read import-map.json and the tree it describes; an absent map means a first import."""
    path = out / MAP_FILE
    if not path.is_file():
        return Previous.empty()
    try:
        data = json.loads(path.read_text("utf-8"))
        chapters = {int(c["legacy_chapter"]): (chapter_id(c), c["folder"]) for c in data.get("chapters", [])}
        keys = {e["key"]: e.get("assigned", e["id"]) for e in data.get("entries", []) if e.get("key")}
        overrides = {e["key"]: e["id"] for e in data.get("entries", [])
                     if e.get("key") and e.get("assigned") and e["id"] != e["assigned"]}
        files = data.get("files", [])
    except (ValueError, KeyError, TypeError, AttributeError) as e:
        raise ImportFailure(f"{path} is not an import map this importer can read ({type(e).__name__}: {e})",
                            "restore it from version control, or import into an empty folder") from None
    check_overrides(path, overrides, keys, chapters.values())
    files = dict(files) if isinstance(files, dict) else dict.fromkeys(files)  # a list: written before hashes
    check_paths(path, files, [folder for _, folder in chapters.values()])
    return Previous(chapters, keys, tree_titles(out), files, overrides)


def chapter_id(entry: dict) -> str:
    """A chapter's id: the one a maintainer set in the map, else the one assigned."""
    return entry["id"]


FOLDER_OK = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]*$")
SAFE_REL = re.compile(r"^[^/\\\x00]+(?:/[^/\\\x00]+)*$")


def check_paths(path: Path, files: dict, folders: list) -> None:
    """The map names files the import may delete and folders it writes to: none may lead outside the book."""
    for folder in folders:
        if not isinstance(folder, str) or not FOLDER_OK.match(folder):
            raise ImportFailure(f"{path}: chapter folder {folder!r} is not a plain folder name",
                                "use letters, digits, '-' and '_' only, e.g. ch05-cnn")
    for rel in files:
        if not isinstance(rel, str) or not SAFE_REL.match(rel) or any(p in (".", "..") for p in rel.split("/")):
            raise ImportFailure(f"{path}: {rel!r} is not a path inside the book",
                                "restore import-map.json from version control, or import into an empty folder")


def check_overrides(path: Path, overrides: dict, keys: dict, chapters) -> None:
    """Ids set by hand must be valid and unique, or the import would write a book that cannot load."""
    taken = {qid: k for k, qid in keys.items() if k not in overrides}
    taken.update({cid: "chapter" for cid, _ in chapters})
    for key, qid in overrides.items():
        if not isinstance(qid, str) or not ID_OK.match(qid):
            raise ImportFailure(f"{path}: '{qid}' is not a valid id",
                                "ids are lower-case letters, digits and '-', starting with a letter or digit")
        if taken.get(qid, key) != key:
            raise ImportFailure(f"{path}: id '{qid}' is given to two headings", "give each one its own id")
        taken[qid] = key
    for _, (cid, _folder) in enumerate(chapters):
        if not ID_OK.match(str(cid)):
            raise ImportFailure(f"{path}: chapter id '{cid}' is not a valid id",
                                "ids are lower-case letters, digits and '-', starting with a letter or digit")


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
