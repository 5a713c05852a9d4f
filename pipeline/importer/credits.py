"""Contributor credits: find them in headings and body lines, turn legacy "Affiliation--Name" into "Name-Affiliation"."""

from __future__ import annotations

import re

_LABEL = r"(?:贡献者|贡献人|contributors?)"
# "（贡献者：北京理工大学--明奇）" anywhere in a heading; full-width or ASCII brackets and colons.
IN_HEADING = re.compile(rf"[（(]\s*{_LABEL}\s*[:：]\s*(?P<who>[^（）()]+?)\s*[)）]", re.I)
# A body line that holds nothing but a credit, possibly in bold or italics.
CREDIT_LINE = re.compile(
    rf"^[\s*_>]*(?:[（(]\s*{_LABEL}\s*[:：]\s*(?P<a>[^（）()]+?)\s*[)）]|{_LABEL}\s*[:：]\s*(?P<b>[^（）()]+?))[\s*_]*$",
    re.I)
SEPARATORS = re.compile(r"\s*[，,、;；]\s*")


def convert_person(text: str) -> str:
    """Legacy writes 'Affiliation--Name' (sometimes with an em dash); we write 'Name-Affiliation'."""
    text = re.sub(r"\s+", " ", text).strip(" *_")
    parts = re.split(r"\s*(?:--|——|—|–)\s*", text, maxsplit=1)
    if len(parts) == 2 and parts[0] and parts[1]:
        return f"{parts[1]}-{parts[0]}"
    return text


def split_people(who: str) -> list[str]:
    return [convert_person(p) for p in SEPARATORS.split(who) if p.strip(" *_")]


def extract_heading_credits(text: str) -> tuple[str, list[str]]:
    """Remove credits from a heading's text; return (text, people)."""
    people: list[str] = []
    for m in IN_HEADING.finditer(text):
        people += split_people(m.group("who"))
    if not people:
        return text, []
    return re.sub(r"\s+", " ", IN_HEADING.sub("", text)).strip(), people


def credit_line(line: str) -> list[str] | None:
    """People credited when the line is a credit line, else None."""
    m = CREDIT_LINE.match(line)
    if not m:
        return None
    return split_people(m.group("a") or m.group("b"))
