"""From a heading tree to an outline: which headings become sections, sub-sections and questions,
and which English heading translates which Chinese one."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .credits import credit_line
from .document import Document, Node
from .normalize import TOC

MAX_GROUP_DEPTH = 2
DECORATION = re.compile(r"^\s*(?:-{3,}|\*{3,}|_{3,}|<br\s*/?>|&nbsp;)?\s*$", re.I)


@dataclass
class PlanQuestion:
    node: Node
    intro: bool = False  # the own text of a section (or the chapter's preamble), not a whole subtree
    inherited: list = field(default_factory=list)  # credits of the enclosing sections


@dataclass
class PlanGroup:
    node: Node
    depth: int
    items: list = field(default_factory=list)


def has_own_text(doc: Document, node: Node) -> bool:
    """Whether the lines between a heading and its first child say anything (beyond [TOC], credits, rules)."""
    for line in doc.lines[node.start:node.end]:
        if not (DECORATION.match(line) or TOC.match(line) or credit_line(line) is not None):
            return True
    return False


def own_credits(doc: Document, node: Node) -> list[str]:
    people = list(node.heading.credits) if node.heading else []
    for line in doc.lines[node.start:node.end]:
        people += credit_line(line) or []
    return people


def plan_items(doc: Document, children: list, depth: int, inherited: list) -> list:
    """Headings with children become groups while two group levels are left; the rest are questions."""
    out = []
    for node in children:
        if node.children and depth < MAX_GROUP_DEPTH:
            group = PlanGroup(node, depth + 1)
            credits = inherited + list(node.heading.credits)
            if has_own_text(doc, node):
                group.items.append(PlanQuestion(node, intro=True, inherited=credits))
            else:
                credits = inherited + own_credits(doc, node)
            group.items += plan_items(doc, node.children, depth + 1, credits)
            out.append(group)
        else:
            out.append(PlanQuestion(node, inherited=list(inherited)))
    return out


def plan_chapter(doc: Document) -> list:
    """The chapter's outline plan; the chapter's preamble becomes a first intro question when it says something."""
    root = doc.root
    if has_own_text(doc, root):
        return [PlanQuestion(root, intro=True), *plan_items(doc, root.children, 0, [])]
    return plan_items(doc, root.children, 0, own_credits(doc, root))


def walk_plan(items):
    for it in items:
        yield it
        if isinstance(it, PlanGroup):
            yield from walk_plan(it.items)


def structural_nodes(items) -> set[int]:
    return {id(it.node) for it in walk_plan(items) if it.node.heading is not None}


def _paths(node: Node, prefix=()):
    for i, c in enumerate(node.children):
        yield prefix + (i,), c
        yield from _paths(c, prefix + (i,))


def match_translation(zh: Document, en: Document) -> dict[int, Node]:
    """id(Chinese node) -> English node: by legacy number where it is unique on both sides, then by position."""
    pairs: dict[int, Node] = {id(zh.root): en.root}
    zh_nodes = list(_paths(zh.root))
    en_nodes = list(_paths(en.root))
    zh_count, en_count = _number_counts(zh_nodes), _number_counts(en_nodes)
    en_by_number = {n.heading.number: n for _, n in en_nodes if n.heading.number}
    used: set[int] = set()
    for _, n in zh_nodes:
        num = n.heading.number
        if num and zh_count.get(num) == 1 and en_count.get(num) == 1:
            other = en_by_number[num]
            if other.heading.level == n.heading.level:
                pairs[id(n)] = other
                used.add(id(other))
    en_by_path = dict(en_nodes)
    for path, n in zh_nodes:
        other = en_by_path.get(path)
        if id(n) not in pairs and other is not None and id(other) not in used \
                and other.heading.level == n.heading.level:
            pairs[id(n)] = other
            used.add(id(other))
    return pairs


def _number_counts(nodes) -> dict[str, int]:
    out: dict[str, int] = {}
    for _, n in nodes:
        if n.heading.number:
            out[n.heading.number] = out.get(n.heading.number, 0) + 1
    return out


def used_english(items, pairs: dict[int, Node]) -> set[int]:
    """English nodes that end up in the import: paired with a section or question, or inside a paired question."""
    used: set[int] = set()
    for it in walk_plan(items):
        other = pairs.get(id(it.node))
        if other is None or other.heading is None:
            continue
        used.add(id(other))
        if isinstance(it, PlanQuestion) and not it.intro:
            stack = list(other.children)
            while stack:
                n = stack.pop()
                used.add(id(n))
                stack.extend(n.children)
    return used
