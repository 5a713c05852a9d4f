"""Question tags (difficulty, topics, asked_in) against the controlled lists of source/topics.yaml."""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from ..diagnostics import WARNING, diag

DEFAULT_DIFFICULTIES = (1, 2, 3)


@dataclass(frozen=True)
class Vocabulary:
    """The tag lists of source/topics.yaml (empty lists when the file is missing or invalid)."""

    difficulty: dict = field(default_factory=dict)  # int -> {zh, en, hint}
    rounds: dict = field(default_factory=dict)  # id -> {zh, en}
    topics: dict = field(default_factory=dict)  # id -> {zh, en}
    exists: bool = False
    valid: bool = True  # False: topics.yaml exists but is broken (DL625); its lists are then not checked against


def load_checked_yaml(path: Path, rel: str, schema: str, code: str):
    """(plain data or None, diagnostics under `code`) of a YAML file validated against a shipped schema."""
    text, diags = read_checked_text(path, rel, code)
    if text is None:
        return None, diags
    _, data, diags = check_yaml_text(text, rel, path.name, schema, code)
    return data, diags


def read_checked_text(path: Path, rel: str, code: str):
    """(text or None, diagnostics under `code`): the file within the source limits (load.read_text)."""
    from ..load import read_text
    text, diags = read_text(path, rel)
    return text, [diag(code, d.file, d.line, d.col, d.message, d.hint) for d in diags]


def check_yaml_text(text: str, rel: str, name: str, schema: str, code: str):
    """(ruamel tree with positions, plain data, diagnostics under `code`) of a YAML text validated against a
    shipped schema; tree and data are None when it is not valid."""
    from ..load import _plain, parse_yaml, schema_diagnostics
    tree, diags = parse_yaml(text, rel)
    if diags:
        return None, None, [diag(code, d.file, d.line, d.col, d.message, d.hint) for d in diags]
    if tree is None:
        tree = {}
    if not isinstance(tree, dict):
        return None, None, [diag(code, rel, 1, 1, f"{name} is not a mapping", f"see {schema}.schema.json")]
    diags = [diag(code, d.file, d.line, d.col, d.message, d.hint) for d in schema_diagnostics(tree, schema, rel)]
    return (None, None, diags) if diags else (tree, _plain(tree), [])


@lru_cache(maxsize=16)
def _load_vocabulary(path: str, mtime: float, rel: str) -> tuple[Vocabulary, tuple]:
    data, diags = load_checked_yaml(Path(path), rel, "topics", "DL625")
    if data is None:
        return Vocabulary(exists=True, valid=False), tuple(diags)
    levels = {int(k): v for k, v in (data.get("difficulty") or {}).items()}
    return Vocabulary(levels, dict(data.get("rounds") or {}), dict(data.get("topics") or {}), True), ()


def vocabulary(book) -> tuple[Vocabulary, list]:
    """The book's tag vocabulary and the diagnostics of source/topics.yaml."""
    from ..load import display_path
    path = book.root / "topics.yaml"
    if not path.is_file():
        return Vocabulary(), []
    voc, diags = _load_vocabulary(str(path), path.stat().st_mtime, display_path(path, book.root))
    return voc, list(diags)


def closest(value: str, valid) -> str:
    """"did you mean 'x'? " for the valid value nearest to `value` (any case), or ""."""
    by_lower = {str(v).lower(): str(v) for v in valid}
    match = difflib.get_close_matches(str(value).lower(), list(by_lower), n=1, cutoff=0.5)
    return f"did you mean '{by_lower[match[0]]}'? " if match else ""


def _valid_list(valid) -> str:
    items = [str(v) for v in valid]
    return ", ".join(items) if items else "(none: create source/topics.yaml)"


def unknown_tag_diagnostics(qt, voc: Vocabulary) -> list:
    """DL620/621/622 for the tags of one file that the vocabulary does not define."""
    out = []
    for key, code, valid, what in (("topics", "DL620", voc.topics, "topic"),
                                   ("asked_in", "DL621", voc.rounds, "interview round")):
        for i, value in enumerate(getattr(qt, key)):
            if value not in valid:
                p = qt.positions.get(f"{key}.{i}") or qt.positions.get(key)
                out.append(diag(code, qt.rel, p.line, p.col, f"unknown {what} '{value}'",
                                f"{closest(value, valid)}valid: {_valid_list(valid)} (source/topics.yaml)"))
    levels = voc.difficulty or dict.fromkeys(DEFAULT_DIFFICULTIES)
    if qt.difficulty is not None and qt.difficulty not in levels:
        p = qt.positions.get("difficulty")
        out.append(diag("DL622", qt.rel, p.line, p.col, f"unknown difficulty {qt.difficulty}",
                        f"valid: {_valid_list(sorted(levels))} (source/topics.yaml difficulty:)"))
    return out


def tags_of(qt) -> tuple:
    return qt.difficulty, tuple(sorted(qt.topics)), tuple(sorted(qt.asked_in))


def has_tags(qt) -> bool:
    return any(k in qt.meta for k in ("difficulty", "topics", "asked_in"))


def translation_tag_diagnostics(qt, original) -> list:
    """A translation inherits its original's tags; if it repeats them they must agree (DL623, a warning)."""
    if not has_tags(qt) or tags_of(qt) == tags_of(original):
        return []
    key = next(k for k in ("difficulty", "topics", "asked_in") if k in qt.meta)
    p = qt.positions.get(key)
    return [diag("DL623", qt.rel, p.line, p.col, f"tags differ from the original {original.rel}",
                 "remove difficulty/topics/asked_in here: a translation inherits the original's tags", WARNING)]


def missing_tag_diagnostics(qt) -> list:
    """With options.require_tags, an original needs difficulty and topics (DL624)."""
    missing = [k for k, v in (("difficulty", qt.difficulty), ("topics", qt.topics)) if not v]
    if not missing:
        return []
    return [diag("DL624", qt.rel, 1, 1, f"no {' and no '.join(missing)} in the front matter",
                 "add e.g. difficulty: 2 and topics: [cnn] (source/topics.yaml; book.yaml options.require_tags)")]


def check(book, body_of) -> list:
    voc, out = vocabulary(book)
    if not voc.valid:
        return out  # one DL625 says what is wrong, not an "unknown topic" for every question
    require = book.options.get("require_tags") is True
    for (qid, lang), qt in sorted(book.texts.items()):
        if lang == book.primary:
            out += unknown_tag_diagnostics(qt, voc)
            if require:
                out += missing_tag_diagnostics(qt)
        else:
            original = book.text(qid, book.primary)
            if original is None:
                out += unknown_tag_diagnostics(qt, voc)
            else:
                out += translation_tag_diagnostics(qt, original)
                if tags_of(qt) != tags_of(original):
                    out += unknown_tag_diagnostics(qt, voc)
    return out
