"""Read one legacy Markdown file into a heading tree, noting encoding, line-end and numbering defects."""

from __future__ import annotations

from dataclasses import dataclass, field

from .headings import FENCE, Heading, match_heading, parse_heading, strip_chapter_prefix
from .legacy import LegacyFile
from .normalize import TOC
from .report import Report


@dataclass
class Node:
    """A heading and what follows it: its own body is lines[start:end], its subtree ends at lines[stop]."""

    heading: Heading | None
    start: int
    end: int = -1
    stop: int = -1
    children: list = field(default_factory=list)

    @property
    def line(self) -> int:
        return self.heading.line if self.heading else 1


@dataclass
class Document:
    file: LegacyFile
    lines: list
    root: Node
    chapter_title: str | None
    headings: dict  # line index -> Heading

    def all_nodes(self):
        stack = list(reversed(self.root.children))
        while stack:
            n = stack.pop()
            yield n
            stack.extend(reversed(n.children))


def decode(file: LegacyFile, report: Report) -> str:
    raw = file.path.read_bytes()
    if raw.startswith(b"\xef\xbb\xbf"):
        report.add("bom", file.rel, 1, "file starts with a byte-order mark")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        report.add("encoding", file.rel, raw[:e.start].count(b"\n") + 1, f"not UTF-8 ({e.reason}); read as GB18030")
        text = raw.decode("gb18030", errors="replace")
    crlf = text.count("\r\n")
    if crlf:
        report.add("crlf", file.rel, text[:text.find("\r\n")].count("\n") + 1, f"{crlf} CRLF line end(s)")
    return text.replace("\r\n", "\n").replace("\r", "\n")


def split_lines(text: str) -> list[str]:
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return lines


def find_headings(lines: list[str]) -> list[tuple[int, int, str]]:
    """(index, level, text) of each ATX heading outside fenced code; level 0 marks a [TOC] line."""
    out, fence = [], None
    for i, line in enumerate(lines):
        m = FENCE.match(line)
        if m:
            if fence is None:
                fence = m.group(1)[0] * len(m.group(1))
            elif m.group(1).startswith(fence) and not line.strip()[len(m.group(1)):].strip():
                fence = None
            continue
        if fence is None:
            h = match_heading(line)
            if h:
                out.append((i, h[0], h[1]))
            elif TOC.match(line):
                out.append((i, 0, line))
    return out


def build_tree(lines: list[str], found: list, headings: dict) -> tuple[Node, str | None]:
    """Nest headings by level under a root; a first level-1 heading is the chapter title, not a node."""
    root = Node(None, 0)
    chapter_title = None
    if found and found[0][1] == 1 and not any(line.strip() and not TOC.match(line) for line in lines[:found[0][0]]):
        idx = found[0][0]
        chapter_title = strip_chapter_prefix(found[0][2])
        root.start = idx + 1
        found = found[1:]
    stack: list[tuple[int, Node]] = [(0, root)]
    for idx, level, _ in found:
        node = Node(headings[idx], idx + 1)
        while stack[-1][0] >= level:
            _, done = stack.pop()
            done.stop = idx
        parent = stack[-1][1]
        if parent.end < 0:
            parent.end = idx
        parent.children.append(node)
        stack.append((level, node))
    for _, n in stack:
        n.stop = len(lines)
    _close_ends(root, len(lines))
    return root, chapter_title


def _close_ends(node: Node, n: int) -> None:
    if node.end < 0:
        node.end = node.stop if node.stop >= 0 else n
    for c in node.children:
        _close_ends(c, n)


def read_document(file: LegacyFile, report: Report) -> Document:
    lines = split_lines(decode(file, report))
    found = []
    for idx, level, text in find_headings(lines):
        if level == 0:
            report.add("toc-marker", file.rel, idx + 1, "[TOC] removed")
        else:
            found.append((idx, level, text))
    headings = {}
    for idx, level, text in found:
        h = parse_heading(idx + 1, level, text)
        headings[idx] = h
    root, chapter_title = build_tree(lines, found, headings)
    doc = Document(file, lines, root, chapter_title, headings)
    for idx, h in sorted(headings.items()):
        if chapter_title is not None and idx == found[0][0]:
            continue
        for kind, msg in h.defects:
            report.add(kind, file.rel, h.line, msg)
    return doc


def numbering_defects(doc: Document, chapter: int, report: Report, structural: set) -> None:
    """Duplicates, gaps, out-of-order and foreign numbers, checked among siblings of the heading tree.

    `structural` holds the ids of nodes that become sections or questions: only those must carry a number.
    """
    seen: dict[str, int] = {}
    _check_siblings(doc, doc.root, (chapter,), seen, report, structural)


def _check_siblings(doc, parent: Node, prefix: tuple, seen: dict, report: Report, structural: set) -> None:
    prev = None
    for node in parent.children:
        h = node.heading
        rel = doc.file.rel
        if not h.number:
            if id(node) in structural:
                report.add("missing-number", rel, h.line, f"heading '{h.title}' has no number")
            _check_siblings(doc, node, prefix + (0,), seen, report, structural)
            continue
        parts = h.parts
        if h.number in seen:
            report.add("duplicate", rel, h.line, f"{h.number} is also used on line {seen[h.number]}")
        else:
            seen[h.number] = h.line
            if len(parts) != len(prefix) + 1:
                report.add("wrong-depth", rel, h.line,
                           f"{h.number} has {len(parts)} part(s) at a level that needs {len(prefix) + 1}")
            elif 0 not in prefix and parts[:-1] != prefix:
                report.add("foreign-prefix", rel, h.line,
                           f"{h.number} sits under {'.'.join(map(str, prefix))}")
            elif prev is not None and parts[-1] < prev:
                report.add("out-of-order", rel, h.line, f"{h.number} comes after {'.'.join(map(str, prefix))}.{prev}")
            elif parts[-1] > (prev or 0) + 1:
                after = f"{'.'.join(map(str, prefix))}.{prev}" if prev else "the start of its level"
                report.add("gap", rel, h.line, f"{h.number} follows {after}")
        if len(parts) == len(prefix) + 1:
            prev = parts[-1]
        _check_siblings(doc, node, parts, seen, report, structural)
