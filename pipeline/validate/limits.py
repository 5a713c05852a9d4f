"""Limits on what the loader reads from a contributor's book: which files, how big, how deeply nested (DL120–DL139).

Every source file is contributor input. The loader reads a file only when it is a regular file whose real path
(symlinks resolved) lies inside the book's folder, and only up to a size; the text must have no control
characters XML forbids and no line longer than a limit; YAML is walked as events first, so a document nested too
deeply or whose aliases expand too far ("billion laughs") is refused before anything builds or walks its tree.
Each refusal is a diagnostic with a stable code; the file is then treated as unreadable.
"""

from __future__ import annotations

import errno
import os
import re
import stat
from pathlib import Path

from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError
from ruamel.yaml.events import (AliasEvent, CollectionEndEvent, CollectionStartEvent, NodeEvent,
                                ScalarEvent)

from ..diagnostics import diag

MAX_FILE_BYTES = 256 * 1024  # the book's largest question file is ~4 KB
MAX_LINE_CHARS = 10_000  # its longest line ~1,200 characters
MAX_YAML_DEPTH = 32  # an outline with sub-sections nests ~10 deep
MAX_YAML_NODES = 20_000  # scalars and collections after alias expansion; a chapter.yaml has a few hundred
MAX_BOOK_FILES = 10_000  # question files in the whole book; it has ~1,000

# C0 controls other than tab, line feed and carriage return, U+FFFE and U+FFFF: XML (so XHTML, so the EPUB)
# cannot carry them. In YAML strings an escape ("\x00", "\uD800") can also produce a lone surrogate.
CONTROL_CHAR = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
BAD_IN_STRING = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")


def real_path_inside(path: Path, root: Path):
    """(real path, None) when `path` resolves, symlinks followed, to a place inside `root`; else (None, reason)
    where reason is 'loop', 'missing' or 'outside'."""
    try:
        real = Path(os.path.realpath(path, strict=True))
    except (OSError, ValueError) as e:
        return None, "loop" if getattr(e, "errno", None) == errno.ELOOP else "missing"
    if not real.is_relative_to(Path(os.path.realpath(root))):
        return None, "outside"
    return real, None


def file_kind(mode: int) -> str:
    for test, name in ((stat.S_ISDIR, "a directory"), (stat.S_ISFIFO, "a named pipe (FIFO)"),
                       (stat.S_ISSOCK, "a socket"), (stat.S_ISCHR, "a character device"),
                       (stat.S_ISBLK, "a block device")):
        if test(mode):
            return name
    return "not a regular file"


def read_source_bytes(path: Path, rel: str, root: Path):
    """The bytes of a source file, or (None, diagnostics) when it must not or cannot be read."""
    real, reason = real_path_inside(path, root)
    if reason == "loop":
        return None, [diag("DL128", rel, 1, 1, "symbolic link loop: the link never reaches a file",
                           "replace the link by the file itself")]
    if reason == "missing":
        what = "a symbolic link to a file that does not exist" if os.path.islink(path) else "missing"
        return None, [diag("DL128", rel, 1, 1, f"the file is {what}", "replace the link by the file itself")]
    if reason == "outside":
        return None, [diag("DL127", rel, 1, 1, f"the file resolves to {os.path.realpath(path)}, outside the "
                           "book's folder", "copy the file into the book instead of linking to it")]
    try:
        fd = os.open(real, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except OSError as e:
        return None, _unreadable(rel, e, path)
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            return None, [diag("DL126", rel, 1, 1, f"the path is {file_kind(st.st_mode)}, not a regular file",
                               "only regular files are read from the book; replace it by a file")]
        if st.st_size > MAX_FILE_BYTES:
            return None, [_too_big(rel, st.st_size)]
        data = _read_at_most(fd, MAX_FILE_BYTES + 1)
    except OSError as e:
        return None, _unreadable(rel, e, path)
    finally:
        os.close(fd)
    if len(data) > MAX_FILE_BYTES:
        return None, [_too_big(rel, len(data))]
    return data, []


def _read_at_most(fd: int, limit: int) -> bytes:
    chunks, size = [], 0
    while size < limit:
        chunk = os.read(fd, min(65536, limit - size))
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
    return b"".join(chunks)


def _too_big(rel: str, size: int):
    return diag("DL120", rel, 1, 1, f"the file has {size:,} bytes; the limit is {MAX_FILE_BYTES:,}",
                "split the question, or move data into a check or a generated figure")


def _unreadable(rel: str, e: OSError, path: Path) -> list:
    if os.path.isdir(path):
        return [diag("DL126", rel, 1, 1, "the path is a directory, not a regular file",
                     "only regular files are read from the book; replace it by a file")]
    return [diag("DL129", rel, 1, 1, f"cannot read the file: {e.strerror or e}",
                 "check the file's permissions")]


def text_limit_diagnostics(text: str, rel: str) -> list:
    """Control characters and over-long lines in decoded text: a file with either is not read further."""
    m = CONTROL_CHAR.search(text)
    if m:
        line = text.count("\n", 0, m.start()) + 1
        col = m.start() - (text.rfind("\n", 0, m.start()) + 1) + 1
        name = "NUL" if m.group() == "\x00" else f"U+{ord(m.group()):04X}"
        return [diag("DL122", rel, line, col, f"control character {name} in the text",
                     "delete it (often left by a copy from a PDF or a binary file saved as .md)")]
    for i, line in enumerate(text.split("\n"), 1):
        if len(line) > MAX_LINE_CHARS:
            return [diag("DL121", rel, i, MAX_LINE_CHARS + 1,
                         f"line {i} has {len(line):,} characters; the limit is {MAX_LINE_CHARS:,}",
                         "break the paragraph into lines (Markdown joins them again)")]
    return []


def too_deep_path(data, limit: int = MAX_YAML_DEPTH):
    """The path to a collection nested deeper than `limit` in a loaded YAML tree, or None. Iterative, so it is
    safe on any depth the parser let through; used on trees without aliases, whose size the text bounds."""
    stack = [(data, (), 1)]
    while stack:
        node, path, depth = stack.pop()
        items = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else None
        if items is None:
            continue
        if depth > limit:
            return path
        stack += [(value, (*path, key), depth + 1) for key, value in items]
    return None


def first_bad_string(data, path=()):
    """The path to the first key or string value holding a character XML cannot carry, or None. The tree is
    small by now: yaml_shape_diagnostics has bounded its depth and its size with aliases expanded."""
    if isinstance(data, str):
        return path if BAD_IN_STRING.search(data) else None
    items = data.items() if isinstance(data, dict) else enumerate(data) if isinstance(data, list) else ()
    for key, value in items:
        if isinstance(key, str) and BAD_IN_STRING.search(key):
            return path
        found = first_bad_string(value, (*path, key))
        if found is not None:
            return found
    return None


def yaml_shape_diagnostics(text: str, rel: str, line_offset: int = 0) -> list:
    """Walk the YAML as parser events (no tree is built): refuse nesting deeper than MAX_YAML_DEPTH, an alias to
    the node that contains it, and documents whose aliases expand to more than MAX_YAML_NODES nodes. A syntax
    error is left to the real parse, which reports it with its position."""
    anchored: dict = {}  # anchor -> expanded node count, once its node is complete
    stack: list = []  # [anchor, expanded node count] of each open collection
    expanded = 0
    try:
        for ev in YAML(typ="rt").parse(text):
            if not isinstance(ev, (NodeEvent, CollectionEndEvent)):
                continue
            line = ev.start_mark.line + 1 + line_offset if ev.start_mark else 1
            col = ev.start_mark.column + 1 if ev.start_mark else 1
            if isinstance(ev, CollectionEndEvent):
                anchor, size = stack.pop()
                if anchor is not None:
                    anchored[anchor] = size
                if stack:
                    stack[-1][1] += size
                continue
            if isinstance(ev, CollectionStartEvent):
                stack.append([ev.anchor, 1])
                expanded += 1
                if len(stack) > MAX_YAML_DEPTH:
                    return [diag("DL123", rel, line, col, f"YAML nested more than {MAX_YAML_DEPTH} levels deep",
                                 "flatten the structure; the book's files need a few levels at most")]
            elif isinstance(ev, AliasEvent):
                if ev.anchor not in anchored:
                    if any(anchor == ev.anchor for anchor, _ in stack):
                        return [diag("DL124", rel, line, col,
                                     f"alias *{ev.anchor} refers to the node that contains it",
                                     "write the value out instead of using an alias")]
                    return []  # an undefined alias: the real parse reports it
                size = anchored[ev.anchor]
                expanded += size
                if stack:
                    stack[-1][1] += size
            else:
                if isinstance(ev, ScalarEvent) and ev.anchor is not None:
                    anchored[ev.anchor] = 1
                expanded += 1
                if stack:
                    stack[-1][1] += 1
            if expanded > MAX_YAML_NODES:
                return [diag("DL124", rel, line, col,
                             f"this YAML holds more than {MAX_YAML_NODES:,} values once its aliases are expanded",
                             "write values out instead of using anchors and aliases; split what is really that big")]
    except (YAMLError, ValueError, TypeError, RecursionError):
        return []
    return []


def contained_folder(base: Path, value: str, boundary: Path):
    """The folder `value` names relative to `base`, when it is relative and stays inside `boundary`; else None."""
    if not value or os.path.isabs(value) or re.match(r"^[A-Za-z]:[\\/]|^[\\/~]", value) or "\0" in value:
        return None
    try:
        target = Path(os.path.realpath(base / value))
    except (OSError, ValueError):
        return None
    return target if target.is_relative_to(Path(os.path.realpath(boundary))) else None


def list_markdown_files(folder: Path, budget: int):
    """([folder/name.md, ...] sorted, truncated): the folder's *.md entries of any kind (the reader refuses what is
    not a regular file inside the book), at most `budget` of them; truncated when there were more."""
    names = []
    try:
        with os.scandir(folder) as entries:
            for entry in entries:
                if not entry.name.endswith(".md"):
                    continue
                if len(names) >= budget:
                    return [folder / n for n in sorted(names)], True
                names.append(entry.name)
    except OSError:
        return [], False
    return [folder / n for n in sorted(names)], False
