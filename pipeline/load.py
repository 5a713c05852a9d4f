"""Load source/ into the book model, keeping where every value came from; bad input becomes diagnostics."""

from __future__ import annotations

import json
import os
import re
import warnings
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.constructor import RoundTripConstructor
from ruamel.yaml.error import MarkedYAMLError, YAMLError

from .cache import cache_root, read_small_file, write_atomic
from .cache import key as content_key
from .diagnostics import ERROR, WARNING, diag
from .model import Book, Chapter, Group, Pos, QuestionRef, QuestionText, derive_numbers, tags_from_meta
from .validate.limits import (MAX_BOOK_FILES, MAX_YAML_DEPTH, contained_folder, first_bad_string,
                              list_markdown_files, read_source_bytes, text_limit_diagnostics, too_deep_path,
                              yaml_shape_diagnostics)

QUESTION_FILE = re.compile(r"^(?P<qid>[a-z0-9][a-z0-9-]*)\.(?P<lang>[a-z]{2}(?:-[A-Za-z]+)?)\.md$")
MAX_GROUP_DEPTH = 2  # section, sub-section: enough for the book's "2.40.5" and "2.40.5.3"
MAX_CACHE_BYTES = 64 * 1024 * 1024  # the front-matter cache of a 1,000-question book is ~1 MB


class LoadError(Exception):
    """The book cannot be loaded at all (no book.yaml, or it is not YAML); diagnostics say why."""

    def __init__(self, diagnostics):
        super().__init__("book cannot be loaded")
        self.diagnostics = diagnostics


def find_book_root(path: Path) -> Path | None:
    """Accept the book folder itself or a project folder holding source/book.yaml."""
    path = Path(path)
    if (path / "book.yaml").is_file():
        return path.resolve()
    if (path / "source" / "book.yaml").is_file():
        return (path / "source").resolve()
    return None


def display_path(path: Path, root: Path) -> str:
    """Paths in diagnostics: relative to the working directory when inside it (what CI annotations need)."""
    path = Path(path)
    for base in (Path.cwd(), root.parent):
        if path.is_relative_to(base):
            return str(path.relative_to(base))
    return str(path)


@lru_cache(maxsize=None)
def schema_validator(name: str):
    import jsonschema  # ~0.1 s of imports: only when a schema is checked, not for `dl500 --help`
    text = resources.files("pipeline.schema").joinpath(f"{name}.schema.json").read_text("utf-8")
    schema = json.loads(text)
    return jsonschema.Draft202012Validator(schema)


class _DatesAsText(RoundTripConstructor):
    """`on: 2026-12-04` stays the text the author wrote: no date objects (JSON, the schema), and no
    ValueError traceback from an impossible date such as 2026-02-30."""


_DatesAsText.add_constructor("tag:yaml.org,2002:timestamp", _DatesAsText.construct_yaml_str)


def _yaml() -> YAML:
    y = YAML(typ="rt")
    y.Constructor = _DatesAsText
    y.allow_duplicate_keys = False
    return y


def parse_yaml(text: str, rel: str, line_offset: int = 0):
    """Parse YAML keeping positions; on a syntax error return a DL101 at the parser's line and column. YAML with
    anchors is walked as events first, so aliases that expand too far are refused (DL124) before a tree is built;
    without anchors the tree is no bigger than the text, and its depth is checked once built (DL123)."""
    if "&" in text:  # no anchor, no alias: the event walk (as costly as the parse) is only needed with one
        shape = yaml_shape_diagnostics(text, rel, line_offset)
        if shape:
            return None, shape
    try:
        with warnings.catch_warnings():  # ruamel warns on stderr about a reused anchor: valid YAML, not ours to print
            warnings.simplefilter("ignore")
            data = _yaml().load(text)
    except RecursionError:  # nested deeper than the composer's recursion: the event walk says where
        return None, yaml_shape_diagnostics(text, rel, line_offset) or [
            diag("DL123", rel, 1 + line_offset, 1, "YAML nested too deep", "flatten the structure")]
    except MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        line = (mark.line + 1 if mark else 1) + line_offset
        col = mark.column + 1 if mark else 1
        problem = (e.problem or str(e)).strip()
        return None, [diag("DL101", rel, line, col, f"invalid YAML: {problem}",
                           "check indentation, colons and quotes on this line")]
    except YAMLError as e:
        return None, [diag("DL101", rel, 1 + line_offset, 1, f"invalid YAML: {e}", "")]
    except (ValueError, TypeError, OverflowError) as e:
        # a scalar ruamel cannot construct, such as an integer of more than 4,300 digits
        return None, [diag("DL101", rel, 1 + line_offset, 1, f"invalid YAML value: {str(e)[:120]}",
                           "quote the value to keep it as text")]
    deep = too_deep_path(data)
    if deep is not None:
        line, col = node_pos(data, list(deep), rel, line_offset)
        return None, [diag("DL123", rel, line, col, f"YAML nested more than {MAX_YAML_DEPTH} levels deep",
                           "flatten the structure; the book's files need a few levels at most")]
    bad = first_bad_string(data)
    if bad is not None:
        line, col = node_pos(data, list(bad), rel, line_offset)
        return None, [diag("DL122", rel, line, col, "a YAML escape (\\x00, \\uD800 …) makes a control character "
                           "or a lone surrogate", "write the character itself, or leave it out")]
    return data, []


def node_pos(data, path, rel: str, line_offset: int = 0) -> tuple[int, int]:
    """The line and column of the value at `path` (or of its deepest ancestor ruamel knows)."""
    line, col = 1, 1
    node = data
    for key in path:
        try:
            if isinstance(node, CommentedMap) and key in node:
                ln, cl = node.lc.key(key)
                line, col = ln + 1, cl + 1
            elif isinstance(node, CommentedSeq) and isinstance(key, int) and key < len(node):
                ln, cl = node.lc.item(key)
                line, col = ln + 1, cl + 1
            node = node[key]
        except (KeyError, IndexError, TypeError, AttributeError):
            break
    return line + line_offset, col


def schema_diagnostics(data, schema: str, rel: str, line_offset: int = 0) -> list:
    """Validate against a shipped JSON Schema; map each error to a stable code and a source position."""
    out = []
    validator = schema_validator(schema)
    for err in sorted(validator.iter_errors(data), key=lambda e: list(map(str, e.absolute_path))):
        err = deepest(err)
        path = list(err.absolute_path)
        where = "/".join(map(str, path)) or "(top level)"
        if err.validator == "required":
            missing = err.message.split("'")[1] if "'" in err.message else err.message
            line, col = node_pos(data, path, rel, line_offset)
            out.append(diag("DL102", rel, line, col, f"missing required key '{missing}' in {where}",
                            f"add '{missing}:' here; see {schema}.schema.json"))
        elif err.validator == "additionalProperties" and isinstance(err.instance, dict):
            allowed = set(err.schema.get("properties", {}))
            for key in err.instance:
                if key not in allowed:
                    line, col = node_pos(data, [*path, key], rel, line_offset)
                    out.append(diag("DL103", rel, line, col, f"unknown key '{key}' in {where}",
                                    f"allowed keys: {', '.join(sorted(allowed))}"))
        elif err.validator == "oneOf" and isinstance(err.instance, dict) and "section" not in err.instance:
            line, col = node_pos(data, path, rel, line_offset)
            out.append(diag("DL104", rel, line, col, f"outline item at {where} is neither a question id nor a section",
                            "write a question id, or a mapping with section:, title: and items:"))
        else:
            line, col = node_pos(data, path, rel, line_offset)
            msg = err.message if len(err.message) < 160 else err.message[:157] + "..."
            out.append(diag("DL104", rel, line, col, f"{where}: {msg}", f"see {schema}.schema.json"))
    return out


def deepest(err):
    """For oneOf/anyOf, the sub-error that reaches furthest into the document: that is where the mistake is."""
    while err.context:
        best = max(err.context, key=lambda e: len(e.absolute_path))
        if len(best.absolute_path) <= len(err.absolute_path):
            break
        err = best
    return err


def split_front_matter(text: str):
    """Return (yaml_text, body, body_line) or None when the file does not start with a --- block."""
    if not text.startswith("---\n"):
        return None
    end = text.find("\n---\n", 3)
    if end < 0:
        if text.endswith("\n---"):
            end = len(text) - 4
        else:
            return None
    yaml_text = text[4:end + 1]
    body_start = end + 5
    body_line = yaml_text.count("\n") + 3
    return yaml_text, text[body_start:], body_line


def read_text(path: Path, rel: str, root: Path | None = None):
    """A source file's text, or (None, diagnostics): only a regular file inside `root` (default: its own folder),
    within the size, line-length and character limits of validate/limits.py."""
    raw, diags = read_source_bytes(Path(path), rel, Path(root) if root is not None else Path(path).parent)
    if raw is None:
        return None, diags
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        return None, [diag("DL107", rel, 1, 1, f"not UTF-8: {e.reason} at byte {e.start}", "save the file as UTF-8")]
    text = text.replace("\r\n", "\n")
    diags = text_limit_diagnostics(text, rel)
    return (None, diags) if diags else (text, [])


class FrontMatterCache:
    """Front matter that parsed and validated cleanly, by hash of its text: an unchanged book parses no YAML.

    ruamel's round-trip parser costs ~0.7 ms a file; positions are only needed for diagnostics, and a cached
    entry had none.
    """

    def __init__(self, path: Path | None):
        self.path = path
        self.entries: dict = {}
        self.dirty = False
        if path is not None:
            # a committed symlink to /dev/zero or a FIFO here would hang every check: plain files only
            data = read_small_file(path, MAX_CACHE_BYTES)
            try:
                self.entries = json.loads(data) if data is not None else {}
            except (ValueError, RecursionError):
                self.entries = {}
            if not isinstance(self.entries, dict):
                self.entries = {}

    @staticmethod
    def key(yaml_text: str) -> str:
        from . import __version__
        return content_key(f"dl500 {__version__}", yaml_text)

    def get(self, yaml_text: str):
        """The cached [data, positions], or None; an entry of the wrong shape (the file is in the working tree,
        so a contributor can edit it) is a miss."""
        hit = self.entries.get(self.key(yaml_text))
        ok = (isinstance(hit, list) and len(hit) == 2 and isinstance(hit[0], dict) and isinstance(hit[1], dict)
              and all(isinstance(v, list) and len(v) == 2 and all(type(x) is int for x in v) for v in hit[1].values())
              and set(hit[0]) <= set(hit[1]))
        return hit if ok else None

    def put(self, yaml_text: str, data: dict, positions: dict) -> None:
        self.entries[self.key(yaml_text)] = [data, {k: [p.line, p.col] for k, p in positions.items()}]
        self.dirty = True

    def save(self, used: set) -> None:
        if self.path is None or not (self.dirty or set(self.entries) - used):
            return
        keep = {k: v for k, v in self.entries.items() if k in used}
        try:
            write_atomic(self.path, json.dumps(keep, ensure_ascii=False).encode("utf-8"))
        except (OSError, ValueError):
            pass


def _plain(data):
    """ruamel's commented containers as plain dicts and lists (JSON-safe)."""
    if isinstance(data, dict):
        return {str(k): _plain(v) for k, v in data.items()}
    if isinstance(data, list):
        return [_plain(v) for v in data]
    return data


def nested_positions(data, rel: str) -> dict:
    """Positions of tag items ("topics.0") and review fields ("reviewed.against"), for diagnostics."""
    out = {}
    for key in ("topics", "asked_in", "reviewed"):
        value = data.get(key)
        subs = range(len(value)) if isinstance(value, list) else list(value) if isinstance(value, dict) else ()
        for sub in subs:
            out[f"{key}.{sub}"] = Pos(rel, *node_pos(data, [key, sub], rel, 1))
    return out


def load_question_text(path: Path, rel: str, qid: str, lang: str, primary: str, fm_cache=None, used=None,
                       root: Path | None = None):
    """Parse one question file; return (QuestionText | None, diagnostics)."""
    text, diags = read_text(path, rel, root)
    if text is None:
        return None, diags
    parts = split_front_matter(text)
    if parts is None:
        return None, [diag("DL105", rel, 1, 1, "the file does not start with a '---' front-matter block",
                           "start the file with ---, id:, title:, contributors:, then ---")]
    yaml_text, body, body_line = parts
    hit = fm_cache.get(yaml_text) if fm_cache is not None else None
    if hit is not None:
        data, positions, diags = hit[0], {k: Pos(rel, *lc) for k, lc in hit[1].items()}, []
    else:
        data, diags = parse_yaml(yaml_text, rel, line_offset=1)
        if data is None:
            return None, diags
        if not isinstance(data, dict):
            return None, [diag("DL105", rel, 2, 1, "front matter is not a mapping", "write key: value lines")]
        diags = schema_diagnostics(data, "question", rel, line_offset=1)
        positions = {k: Pos(rel, *node_pos(data, [k], rel, 1)) for k in data}
        positions.update(nested_positions(data, rel))
        data = _plain(data)
        if not diags and fm_cache is not None:
            fm_cache.put(yaml_text, data, positions)
    if used is not None and fm_cache is not None:
        used.add(fm_cache.key(yaml_text))
    if data.get("id") != qid and isinstance(data.get("id"), str):
        p = positions["id"]
        diags.append(diag("DL106", rel, p.line, p.col, f"id '{data['id']}' but the file is named {qid}.{lang}.md",
                          f"rename the file to {data['id']}.{lang}.md or set id: {qid}"))
    tr = data.get("translation")
    if lang != primary and not isinstance(tr, dict):
        diags.append(diag("DL102", rel, 1, 1, "a translation needs a 'translation:' block (status, source_hash)",
                          "add translation: {status: draft, translators: [...], source_hash: ...}; "
                          "`dl500 status --stamp FILE` fills the hash"))
    if lang == primary and tr is not None:
        p = positions["translation"]
        diags.append(diag("DL103", rel, p.line, p.col, "the original-language file has a 'translation:' block",
                          "remove it; only translations record a status and source hash"))
    if any(d.severity == ERROR and d.code in ("DL102", "DL104") for d in diags) and not isinstance(
            data.get("title"), str):
        return None, diags
    tr = tr if isinstance(tr, dict) and lang != primary else {}
    qt = QuestionText(
        qid=qid, lang=lang, path=path, rel=rel,
        title=str(data.get("title", "")),
        contributors=_strings(data.get("contributors")),
        body=body, body_line=body_line, meta=dict(data), positions=positions,
        status=str(tr.get("status")) if tr.get("status") else (None if lang == primary else "draft"),
        translators=_strings(tr.get("translators")),
        source_hash=str(tr.get("source_hash")) if tr.get("source_hash") else None,
        **tags_from_meta(data, positions),
    )
    return qt, diags


def _strings(value) -> tuple:
    """The strings of a YAML list; anything else (the schema reports it) is no strings."""
    return tuple(x for x in value if isinstance(x, str)) if isinstance(value, list) else ()


def _titles(value) -> dict:
    """A {lang: title} mapping with its text values only; anything else (the schema reports it) is empty."""
    return {str(k): v for k, v in value.items() if isinstance(v, str)} if isinstance(value, dict) else {}


def build_items(items, rel: str, data_path: list, data, depth: int, diags: list):
    """Turn a chapter.yaml outline into Group/QuestionRef items, reporting depth and emptiness."""
    out = []
    for i, item in enumerate(items if isinstance(items, list) else []):
        line, col = node_pos(data, [*data_path, i], rel)
        if isinstance(item, str):
            out.append(QuestionRef(item, Pos(rel, line, col)))
        elif isinstance(item, dict) and isinstance(item.get("section"), str):
            gid = item["section"]
            if depth + 1 > MAX_GROUP_DEPTH:
                diags.append(diag("DL205", rel, line, col,
                                  f"section '{gid}' is nested {depth + 1} levels deep; at most {MAX_GROUP_DEPTH} "
                                  "(section, sub-section) are allowed",
                                  "move its questions into the enclosing sub-section or split the chapter"))
            sub = item.get("items") or []
            if not sub:
                diags.append(diag("DL206", rel, line, col, f"section '{gid}' has no items",
                                  "list question ids under items:, or remove the section"))
            title = _titles(item.get("title"))
            children = build_items(sub, rel, [*data_path, i, "items"], data, depth + 1, diags)
            out.append(Group(gid, title, children, Pos(rel, line, col), depth + 1))
    return tuple(out)


def load_book(path: Path):
    """Load the book at `path`. Returns (Book, diagnostics); raises LoadError when there is no book to speak of."""
    root, book_rel, data, diags = read_book_yaml(path)
    langs = data.get("languages") if isinstance(data.get("languages"), dict) else {}
    walk = BookWalk(root, book_rel, str(langs.get("primary", "zh")), _strings(langs.get("translations")),
                    FrontMatterCache(cache_root(root.parent) / "frontmatter.json"), diags,
                    files_left=MAX_BOOK_FILES)
    folders = data.get("chapters") if isinstance(data.get("chapters"), list) else []
    for i, folder in enumerate(folders):
        if isinstance(folder, str):
            load_chapter(walk, data, i, folder)
    walk.fm_cache.save(walk.used_keys)
    checks_dir, d = checks_folder(root, data, book_rel)
    diags += d
    book = Book(
        root=root, title=_titles(data.get("title")), primary=walk.primary, translations=walk.translations,
        chapters=derive_numbers(walk.chapters), texts=walk.texts,
        options=dict(data["options"]) if isinstance(data.get("options"), dict) else {},
        meta={k: data.get(k) for k in ("id", "version", "edition", "license", "authors", "subtitle", "dependencies")},
        checks_dir=checks_dir, pos=Pos(book_rel, 1, 1), stray_files=tuple(walk.strays),
    )
    return book, diags


def read_book_yaml(path):
    """(book folder, book.yaml as shown in diagnostics, its mapping, diagnostics); LoadError without one."""
    root = find_book_root(Path(path))
    if root is None:
        raise LoadError([diag("DL208", str(Path(path) / "book.yaml"), 1, 1,
                              f"no book.yaml in {path} or {Path(path) / 'source'}",
                              "run dl500 in the project folder, or pass the folder that holds book.yaml")])
    diags = []
    book_rel = display_path(root / "book.yaml", root)
    text, d = read_text(root / "book.yaml", book_rel, root)
    diags += d
    data, d = parse_yaml(text or "", book_rel)
    diags += d
    if not isinstance(data, dict):
        if not d:
            diags.append(diag("DL104", book_rel, 1, 1, "book.yaml is not a mapping", "see book.schema.json"))
        raise LoadError(diags)
    diags += schema_diagnostics(data, "book", book_rel)
    return root, book_rel, data, diags


@dataclass
class BookWalk:
    """What load_book gathers chapter by chapter; `diags` is the list load_book returns."""
    root: Path
    book_rel: str
    primary: str
    translations: tuple
    fm_cache: FrontMatterCache
    diags: list
    chapters: list = field(default_factory=list)
    texts: dict = field(default_factory=dict)
    strays: list = field(default_factory=list)
    used_keys: set = field(default_factory=set)
    chapter_ids: dict = field(default_factory=dict)  # id → the chapter.yaml that took it first
    files_left: int = 0  # question files still to read (load_book starts it at MAX_BOOK_FILES)
    too_many: bool = False


def load_chapter(walk: BookWalk, data: dict, i: int, folder: str) -> None:
    """One entry of book.yaml `chapters:`: its chapter.yaml into walk.chapters, its question files into walk.texts."""
    root, book_rel, diags = walk.root, walk.book_rel, walk.diags
    line, col = node_pos(data, ["chapters", i], book_rel)
    if contained_folder(root, folder, root) is None:
        diags.append(diag("DL130", book_rel, line, col, f"chapter folder '{folder}' is not a folder inside the book",
                          "name a chapter by its folder, relative to book.yaml, without .. or a leading /"))
        return
    cdir = root / folder
    cfile = cdir / "chapter.yaml"
    crel = display_path(cfile, root)
    if not os.path.lexists(cfile):
        diags.append(diag("DL208", book_rel, line, col, f"chapter folder '{folder}' has no chapter.yaml",
                          f"create {crel} or remove '{folder}' from chapters:"))
        return
    ctext, d = read_text(cfile, crel, root)
    diags += d
    cdata, d = parse_yaml(ctext or "", crel)
    diags += d
    if not isinstance(cdata, dict):
        return
    diags += schema_diagnostics(cdata, "chapter", crel)
    cid = cdata.get("id") if isinstance(cdata.get("id"), str) else folder
    if cid in walk.chapter_ids:
        diags.append(diag("DL201", crel, *node_pos(cdata, ["id"], crel), f"chapter id '{cid}' is used twice",
                          f"the other is in {walk.chapter_ids[cid]}; ids must be unique in the book"))
    walk.chapter_ids[cid] = crel
    items = build_items(cdata.get("outline") if isinstance(cdata.get("outline"), list) else [],
                        crel, ["outline"], cdata, 0, diags)
    walk.chapters.append(Chapter(cid, folder, cdir, _titles(cdata.get("title")), items, Pos(crel, 1, 1)))
    files, truncated = list_markdown_files(cdir, walk.files_left)
    walk.files_left -= len(files)
    if truncated and not walk.too_many:
        walk.too_many = True
        diags.append(diag("DL125", book_rel, line, col, f"more than {MAX_BOOK_FILES:,} question files in the book; "
                          f"the rest of '{folder}' and the chapters after it are not read",
                          "a book of this size needs no more; remove generated or copied files"))
    for f in files:
        load_question_file(walk, f)


def load_question_file(walk: BookWalk, f: Path) -> None:
    """One .md file of a chapter folder: a question text, a stray file, or a diagnostic."""
    m = QUESTION_FILE.match(f.name)
    frel = display_path(f, walk.root)
    if not m:
        walk.strays.append((frel, None, None))
        return
    qid, lang = m["qid"], m["lang"]
    if lang not in (walk.primary, *walk.translations):
        walk.diags.append(diag("DL104", frel, 1, 1, f"language '{lang}' is not one of the book's languages",
                               f"book.yaml languages: {walk.primary}, {', '.join(walk.translations)}"))
        return
    if (qid, lang) in walk.texts:
        other = walk.texts[(qid, lang)].rel
        walk.diags.append(diag("DL201", frel, 1, 1, f"question id '{qid}' ({lang}) is defined twice",
                               f"the other file is {other}; ids must be unique in the whole book"))
        return
    qt, d = load_question_text(f, frel, qid, lang, walk.primary, walk.fm_cache, walk.used_keys, walk.root)
    walk.diags += d
    if qt is not None:
        walk.texts[(qid, lang)] = qt


def checks_folder(root: Path, data: dict, book_rel: str):
    """The folder of numeric checks: book.yaml `checks:` relative to book.yaml, inside the project folder (the one
    holding the book's folder); the default ../checks otherwise."""
    default = (root / "../checks").resolve()
    value = data.get("checks", "../checks")
    if not isinstance(value, str):
        return default, []  # the schema reports the type
    folder = contained_folder(root, value, root.parent)
    if folder is None:
        line, col = node_pos(data, ["checks"], book_rel)
        return default, [diag("DL130", book_rel, line, col, f"checks: '{value}' is not a folder inside the project",
                              "write a path relative to book.yaml that stays in the project, e.g. ../checks")]
    return folder, []


__all__ = ["load_book", "LoadError", "find_book_root", "display_path", "WARNING"]
