"""Contributor credits must read "Name-Affiliation", as the book prints them."""

from __future__ import annotations

import re

from ..diagnostics import diag

NAME_AFFILIATION = re.compile(r"^[^\s\-–—][^\-–—]*?-[^\s\-–—][^\-–—]*$")


def check(book, body_of) -> list:
    out = []
    for (_, _), qt in sorted(book.texts.items()):
        for key, people in (("contributors", qt.contributors), ("translation", qt.translators)):
            for person in people:
                if not NAME_AFFILIATION.match(person.strip()):
                    p = qt.positions.get(key)
                    out.append(diag("DL601", qt.rel, p.line if p else 1, p.col if p else 1,
                                    f"'{person}' is not in Name-Affiliation form",
                                    "write it as Name-Affiliation with one hyphen, e.g. 王小明-清华大学 "
                                    "or Jane Doe-MIT"))
    return out
