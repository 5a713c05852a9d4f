"""Record a review in a question file's front matter (`dl500 review FILE --by NAME`), touching no other bytes."""

from __future__ import annotations

import datetime as _dt
import json
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from .load import QUESTION_FILE, find_book_root, parse_yaml
from .model import source_hash

FRONT_MATTER = re.compile(r"\A(?P<bom>\ufeff?)---(?P<nl>\r?\n)(?P<yaml>.*?\r?\n)---(?:\r?\n|\Z)", re.S)
TOP_KEY = re.compile(r"^(?P<key>[A-Za-z_][\w-]*)\s*:")


class ReviewRefused(Exception):
    """The review cannot be recorded (the reviewer wrote the file, or the file is no question of the book)."""


@dataclass(frozen=True)
class ReviewResult:
    path: Path
    against: str


def book_root_of(path: Path) -> Path | None:
    """The folder holding book.yaml that `path` lies in (the file's own ancestors, nearest first)."""
    for parent in Path(path).resolve().parents:
        root = find_book_root(parent)
        if root is not None and Path(path).resolve().is_relative_to(root):
            return root
    return None


def person_key(person: str) -> str:
    """The name part of "Name-Affiliation", normalised: the same person under another affiliation is the same."""
    name = unicodedata.normalize("NFKC", person).strip().split("-", 1)[0]
    return " ".join(name.split()).casefold()


def is_author(reviewer: str, qt) -> bool:
    """Whether the reviewer is among the file's contributors or translators."""
    return person_key(reviewer) in {person_key(p) for p in (*qt.contributors, *qt.translators)}


def yaml_scalar(value: str) -> str:
    """`value` written plain when YAML reads it back as the same string, else double-quoted."""
    data, diags = parse_yaml(f"k: {value}\n", "-")
    if not diags and isinstance(data, dict) and data.get("k") == value and isinstance(data.get("k"), str):
        return value
    return json.dumps(value, ensure_ascii=False)


def block_span(lines: list[str], key: str) -> tuple[int, int] | None:
    """[start, end) of the top-level `key:` line and the indented, blank or comment lines that follow it."""
    for i, line in enumerate(lines):
        m = TOP_KEY.match(line)
        if m and m["key"] == key:
            j = i + 1
            while j < len(lines) and (lines[j][:1] in (" ", "\t") or not lines[j].strip()):
                j += 1
            while j > i + 1 and not lines[j - 1].strip():  # trailing blank lines belong to no block
                j -= 1
            return i, j
    return None


def set_block(lines: list[str], key: str, new: list[str]) -> list[str]:
    """Replace the top-level block `key` with `new`, or append it at the end of the front matter."""
    span = block_span(lines, key)
    if span is None:
        return [*lines, *new]
    return [*lines[:span[0]], *new, *lines[span[1]:]]


def set_child(lines: list[str], key: str, child: str, value: str, nl: str) -> list[str] | None:
    """Set `child: value` inside the block-style top-level mapping `key`; None when it is not block style."""
    span = block_span(lines, key)
    if span is None:
        return None
    start, end = span
    head = lines[start].rstrip("\r\n")
    if re.sub(r"\s+#.*$", "", head.split(":", 1)[1]).strip():
        return None  # flow style or a scalar: rewrite the block instead
    indent = "  "
    pattern = re.compile(rf"^(?P<ind>[ \t]+){re.escape(child)}\s*:")
    for i in range(start + 1, end):
        m = pattern.match(lines[i])
        if m:
            out = list(lines)
            out[i] = f"{m['ind']}{child}: {value}{nl}"
            return out
        stripped = lines[i].lstrip(" \t")
        if stripped.strip() and not stripped.startswith("#"):
            indent = lines[i][:len(lines[i]) - len(stripped)]
    return [*lines[:end], f"{indent}{child}: {value}{nl}", *lines[end:]]


def translation_block(qt, status: str, h: str, nl: str) -> list[str]:
    """A block-style translation: mapping with the loaded translators kept (`qt` None: none known)."""
    out = [f"translation:{nl}", f"  status: {status}{nl}"]
    if qt is not None and qt.translators:
        out.append(f"  translators: [{', '.join(yaml_scalar(t) for t in qt.translators)}]{nl}")
    out.append(f"  source_hash: {h}{nl}")
    return out


def mark_translation_reviewed(lines: list[str], qt, h: str, nl: str) -> list[str]:
    """translation.status: reviewed and source_hash: h, editing the existing lines where it can."""
    edited = set_child(lines, "translation", "status", "reviewed", nl)
    edited = set_child(edited, "translation", "source_hash", h, nl) if edited is not None else None
    return edited if edited is not None else set_block(lines, "translation", translation_block(qt, "reviewed", h, nl))


def record_review(text: str, qt, original, by: str, on: str) -> tuple[str, str]:
    """The file text with the review recorded; returns (new text, the original's hash)."""
    m = FRONT_MATTER.match(text)
    if m is None:
        raise ReviewRefused("the file does not start with a '---' front-matter block")
    nl = m["nl"]
    h = source_hash(original)
    lines = m["yaml"].splitlines(keepends=True)
    record = [f"reviewed:{nl}", f"  by: {yaml_scalar(by)}{nl}", f"  on: {on}{nl}", f"  against: {h}{nl}"]
    lines = set_block(lines, "reviewed", record)
    if qt.lang != original.lang:
        lines = mark_translation_reviewed(lines, qt, h, nl)
    start, end = m.start("yaml"), m.end("yaml")
    return text[:start] + "".join(lines) + text[end:], h


def check_reviewer(by: str) -> str | None:
    """Why `by` cannot be recorded as a reviewer, or None."""
    if len(by.strip()) < 3 or any(c in by for c in "\r\n\t"):
        return "--by needs a Name-Affiliation of at least 3 characters on one line"
    from .validate.contributors import NAME_AFFILIATION
    if not NAME_AFFILIATION.match(by.strip()):
        return f"'{by}' is not in Name-Affiliation form (e.g. 王小明-清华大学 or Jane Doe-MIT)"
    return None


def parse_review_date(on: str | None) -> str:
    """YYYY-MM-DD, today (UTC) by default; ValueError when it is not a real date."""
    if on is None:
        return _dt.datetime.now(_dt.timezone.utc).date().isoformat()
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", on):
        raise ValueError(f"--on {on!r} is not YYYY-MM-DD")
    return _dt.date.fromisoformat(on).isoformat()


def question_of(book, path: Path):
    """The loaded QuestionText of `path` and its original; ReviewRefused when there is none."""
    m = QUESTION_FILE.match(path.name)
    if m is None:
        raise ReviewRefused("not a question file (<id>.<lang>.md)")
    qt = book.text(m["qid"], m["lang"])
    if qt is None or Path(qt.path).resolve() != path.resolve():
        raise ReviewRefused("not a question file this book loads (see `dl500 check`)")
    original = book.text(m["qid"], book.primary)
    if original is None:
        raise ReviewRefused(f"no original {m['qid']}.{book.primary}.md to review against")
    return qt, original


def review_file(book, path: Path, by: str, on: str) -> ReviewResult:
    """Write the review record of `path`; ReviewRefused (with the reason) leaves the file untouched."""
    qt, original = question_of(book, path)
    if is_author(by, qt):
        role = "translator" if any(person_key(t) == person_key(by) for t in qt.translators) else "contributor"
        raise ReviewRefused(f"'{by}' is a {role} of this file; a review must be by a second person")
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise ReviewRefused("not UTF-8") from None
    new, h = record_review(text, qt, original, by, on)
    if new != text:
        path.write_bytes(new.encode("utf-8"))
    return ReviewResult(path, h)
