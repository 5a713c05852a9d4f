"""Write the imported book: book.yaml, chapter.yaml files, question files, images, the id map and the report."""

from __future__ import annotations

import hashlib
import json
import re
import shutil
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace

from ..model import source_hash
from .compose import Chapter, Group, Question, Text, iter_items
from .legacy import ImportFailure
from .previous import MAP_FILE, Previous

PLAIN_START = re.compile(r"^[^\s\-?:,\[\]{}#&*!|>'\"%@`0-9+.~]")
RESERVED = re.compile(r"^(?:true|false|yes|no|on|off|null|y|n)$", re.I)
REPORT_FILES = ("import-report.md", "import-report.json", MAP_FILE)


def yaml_str(s: str, flow: bool = False) -> str:
    """A YAML scalar that reads back as exactly `s`: plain when that is safe, else double-quoted."""
    unsafe = (not PLAIN_START.match(s) or ": " in s or " #" in s or s.endswith((":", " ")) or RESERVED.match(s)
              or any(c in s for c in "\t\n\r\\\"") or (flow and any(c in s for c in ",[]{}")))
    return json.dumps(s, ensure_ascii=False) if unsafe else s


def yaml_list(items) -> str:
    return "[" + ", ".join(yaml_str(x, flow=True) for x in items) + "]"


def title_block(title: dict, indent: str) -> list[str]:
    lines = [f"{indent}title:"]
    for lang in ("zh", "en"):
        if title.get(lang):
            lines.append(f"{indent}  {lang}: {yaml_str(title[lang])}")
    return lines


def render_book_yaml(titles: dict, chapters: list[Chapter]) -> str:
    lines = ["# Imported by `dl500 import`. Schema: pipeline/schema/book.schema.json",
             "id: dl500", *title_block(titles, ""), "languages:", "  primary: zh", "  translations: [en]",
             "version: 0.1.0", "license: CC BY-NC-SA 4.0", "chapters:"]
    lines += [f"  - {ch.folder}" for ch in chapters]
    return "\n".join(lines) + "\n"


def render_outline(items, indent: str) -> list[str]:
    lines = []
    for it in items:
        if isinstance(it, Group):
            lines.append(f"{indent}- section: {it.gid}")
            lines += title_block(it.title, indent + "  ")
            lines.append(f"{indent}  items:")
            lines += render_outline(it.items, indent + "    ")
        else:
            lines.append(f"{indent}- {it.qid}")
    return lines


def render_chapter_yaml(ch: Chapter) -> str:
    lines = [f"# Imported from {ch.legacy.main.rel}; numbers are derived from this order, never typed.",
             f"id: {ch.cid}", *title_block(ch.title, ""), "outline:" if ch.items else "outline: []"]
    lines += render_outline(ch.items, "  ")
    return "\n".join(lines) + "\n"


def front_matter(qid: str, text: Text, translation: dict | None = None) -> str:
    lines = ["---", f"id: {qid}", f"title: {yaml_str(text.title)}"]
    if text.contributors:
        lines.append(f"contributors: {yaml_list(text.contributors)}")
    if translation:
        lines += ["translation:", f"  status: {translation['status']}", f"  source_hash: {translation['source_hash']}"]
    return "\n".join(lines) + "\n---\n"


def render_question(q: Question, lang: str) -> str:
    text = q.zh if lang == "zh" else q.en
    translation = None
    if lang != "zh":
        translation = {"status": "draft", "source_hash": original_hash(q.zh)}
    body = f"\n{text.body}" if text.body else ""
    return front_matter(q.qid, text, translation) + body


def original_hash(zh: Text) -> str:
    """The hash `dl500 status` computes for the Chinese file as written (pipeline.model.source_hash)."""
    return source_hash(SimpleNamespace(title=zh.title, body=zh.body))


def render_map(chapters: list[Chapter], files: dict[str, str]) -> str:
    chs, entries = [], []
    for ch in chapters:
        chs.append({"legacy_chapter": ch.legacy.number, "legacy_file": ch.legacy.main.rel, "id": ch.cid,
                    "folder": ch.folder, "number": ch.number})
        for it in iter_items(ch.items):
            kind = "section" if isinstance(it, Group) else it.kind
            iid = it.gid if isinstance(it, Group) else it.qid
            entries.append({"legacy_number": it.legacy_number, "legacy_file": it.legacy_file, "line": it.line,
                            "kind": kind, "id": iid, "number": it.number, "key": it.key, "assigned": iid})
            if isinstance(it, Question):
                for num, line in it.inner:
                    entries.append({"legacy_number": num, "legacy_file": it.legacy_file, "line": line,
                                    "kind": "inner-heading", "id": it.qid, "number": it.number, "key": None})
    data = {"chapters": chs, "entries": entries, "files": files}
    return json.dumps(data, ensure_ascii=False, indent=2) + "\n"


def plan_files(titles: dict, chapters: list[Chapter]) -> dict[str, object]:
    """rel path -> text (str) or a source image (Path) to copy."""
    files: dict[str, object] = {"book.yaml": render_book_yaml(titles, chapters)}
    for ch in chapters:
        files[f"{ch.folder}/chapter.yaml"] = render_chapter_yaml(ch)
        for it in iter_items(ch.items):
            if isinstance(it, Question):
                files[f"{ch.folder}/{it.qid}.zh.md"] = render_question(it, "zh")
                if it.en is not None:
                    files[f"{ch.folder}/{it.qid}.en.md"] = render_question(it, "en")
        for dest, src in ch.images.copies.items():
            files[f"{ch.folder}/{dest}"] = src
    return files


def check_target(out: Path, update: bool) -> None:
    if out.exists() and not out.is_dir():
        raise ImportFailure(f"--out {out} is a file", "name a folder")
    if out.is_dir() and any(out.iterdir()) and not update:
        raise ImportFailure(f"--out {out} is not empty", "pass --update to re-import into it keeping its ids, "
                            "or name an empty folder")


def content_hash(content: object) -> str:
    data = content.read_bytes() if isinstance(content, Path) else str(content).encode("utf-8")
    return "sha256:" + hashlib.sha256(data).hexdigest()[:16]


def file_hash(path: Path) -> str | None:
    return content_hash(path) if path.is_file() else None


@dataclass(frozen=True)
class Change:
    """What --update does with one path: create, update, delete, keep (unchanged, or edited by a maintainer
    while the legacy side stayed the same), or conflict (both sides changed it)."""
    rel: str
    action: str
    why: str = ""


def plan_changes(out: Path, files: dict[str, object], previous: Previous, resolve: str | None = None) -> list[Change]:
    """A three-way decision per file: the last import's output (its hash in the map) is the base, the tree as it
    is now is the maintainers' side, this import is the legacy side."""
    changes = []
    for rel in sorted(set(files) | set(previous.files)):
        changes.append(_decide(rel, out / rel, files.get(rel), previous.files.get(rel, "?"), resolve,
                               rel in previous.files))
    return [c for c in changes if c is not None]


def _decide(rel, path: Path, content, base: str | None, resolve: str | None, recorded: bool) -> Change | None:
    mine = file_hash(path)
    new = content_hash(content) if content is not None else None
    if rel in REPORT_FILES or (recorded and base is None):  # ours, or recorded by an importer without hashes
        if content is None:
            return Change(rel, "delete") if mine else None
        return Change(rel, "update" if mine else "create") if mine != new else Change(rel, "keep")
    if mine == new:
        return Change(rel, "keep") if content is not None else None
    if not recorded:  # a file the last import did not write
        if content is None:
            return None
        if mine is None:
            return Change(rel, "create")
        return _conflict(rel, "a file the last import did not write is in the way", resolve)
    if mine == base:  # untouched since the last import: the legacy side wins
        if content is None:
            return Change(rel, "delete")
        return Change(rel, "create" if mine is None else "update")
    if new == base:  # only the maintainers changed it
        return Change(rel, "keep", "edited since the last import" if mine else "deleted since the last import")
    if content is None:
        return _conflict(rel, "edited since the last import, and the legacy text no longer has it", resolve)
    if mine is None:
        return _conflict(rel, "deleted since the last import, and the legacy text changed", resolve)
    return _conflict(rel, "edited since the last import, and the legacy text changed too", resolve)


def _conflict(rel: str, why: str, resolve: str | None) -> Change:
    if resolve == "mine":
        return Change(rel, "keep", why + " (kept: --resolve mine)")
    if resolve == "legacy":
        return Change(rel, "update", why + " (overwritten: --resolve legacy)")
    return Change(rel, "conflict", why)


def record_hashes(files: dict[str, object]) -> dict[str, str]:
    """What the next --update compares against: the hash of what this import produced from the legacy text."""
    return {rel: content_hash(content) for rel, content in sorted(files.items()) if rel not in REPORT_FILES}


def write_tree(out: Path, files: dict[str, object], changes: list[Change]) -> None:
    for c in changes:
        target = out / c.rel
        if c.action == "delete":
            target.unlink()
        elif c.action in ("create", "update"):
            content = files[c.rel]
            target.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(content, Path):
                shutil.copyfile(content, target)
            else:
                target.write_bytes(content.encode("utf-8"))
    _remove_empty_dirs(out)


def _remove_empty_dirs(out: Path) -> None:
    for d in sorted((p for p in out.rglob("*") if p.is_dir()), key=lambda p: -len(p.parts)):
        if not any(d.iterdir()):
            d.rmdir()
