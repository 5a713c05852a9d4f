"""Legacy headings: split a hand-numbered heading into level, typed number, title and credits, noting each defect."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

from .credits import extract_heading_credits

ATX = re.compile(r"^(#{1,6})(?=[\s*\d\u3000]|$)[ \t\u3000]*(.*?)[ \t]*#*[ \t]*$")
FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
# A typed number: digits joined by dots (ASCII or full-width, spaces tolerated), not part of a word like "3D".
NUMBER = re.compile(r"^(?P<num>\d+(?:[ \t]*[.．][ \t]*\d+)*)(?P<dot>[ \t]*[.．、])?(?![0-9A-Za-z_])")
# A section number glued to a Latin title ("4.1.2ResNet …"): without this, NUMBER backtracks to "4.1".
GLUED_NUMBER = re.compile(r"^(?P<num>\d+(?:[ \t]*[.．][ \t]*\d+)+)(?P<dot>)(?=[A-Za-z_])")
ZH_CHAPTER = re.compile(r"^第[一二三四五六七八九十百零〇\d]+章[\s:：、.．]*")
EN_CHAPTER = re.compile(r"^(?:chapter|ch\.?)[ \t]*(?:\d+|[IVXLC]+\b)[\s:：.．_-]*", re.I)
SPACED_NUMBER = re.compile(r"^[\s\u3000]{2,}\S|^\W*\d[\d.．]*[\s\u00a0\u3000]{2,}")
INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff"), None)


@dataclass
class Heading:
    """One heading line of a legacy file, as typed and as it will be written."""

    line: int
    level: int
    raw: str
    title: str
    number: str | None = None
    credits: list = field(default_factory=list)
    defects: list = field(default_factory=list)  # (kind, message)

    @property
    def parts(self) -> tuple[int, ...]:
        return tuple(int(p) for p in self.number.split(".")) if self.number else ()


def match_heading(line: str):
    """(level, text) when the line is an ATX heading, else None."""
    m = ATX.match(line)
    if not m:
        return None
    return len(m.group(1)), m.group(2)


def clean_inline(text: str) -> str:
    """Invisible characters out, NBSP and ideographic spaces to plain spaces, runs of spaces to one."""
    text = unicodedata.normalize("NFC", text.translate(INVISIBLE)).replace("\u00a0", " ").replace("\u3000", " ")
    return re.sub(r"[ \t]+", " ", text).strip()


def _strip_bold(text: str) -> tuple[str, bool]:
    """Remove ** or __ that wrap the whole title or just its leading number."""
    m = re.match(r"^(\*\*|__)(.+?)\1(.*)$", text)
    if not m:
        return text, False
    inner, rest = m.group(2).strip(), m.group(3)
    if rest.strip() == "" or NUMBER.match(inner):
        return (inner + rest).strip(), True
    return text, False


def parse_heading(line_no: int, level: int, text: str) -> Heading:
    """Split the heading text; every irregularity of the typed number becomes a defect."""
    raw = text
    h = Heading(line_no, level, raw, "")
    text = clean_inline(text)
    text, credits = extract_heading_credits(text)
    if credits:
        h.credits = credits
        h.defects.append(("credit-in-heading", f"contributor credit inside the heading: {'; '.join(credits)}"))
    text, bold = _strip_bold(text)
    m = GLUED_NUMBER.match(text) or NUMBER.match(text)
    if m:
        typed = m.group("num")
        number = re.sub(r"[ \t]", "", unicodedata.normalize("NFKC", typed))
        h.number = number
        if bold:
            h.defects.append(("bold-number", f"number {number} is typed in bold"))
        if "．" in typed or "．" in (m.group("dot") or ""):
            h.defects.append(("full-width-number", f"number {number} uses a full-width dot"))
        if re.search(r"[ \t]", typed):
            h.defects.append(("extra-space", f"number '{typed}' has spaces inside it"))
        if m.group("dot"):
            h.defects.append(("trailing-dot", f"number {number} ends with '{m.group('dot').strip()}'"))
        rest = text[m.end():]
        if rest and not rest[0].isspace() and not rest.startswith("*"):
            h.defects.append(("missing-space", f"no space between number {number} and the title"))
        elif SPACED_NUMBER.match(raw):
            h.defects.append(("extra-space", f"several spaces around number {number}"))
        text = rest
    text, _ = _strip_bold(text.strip())
    h.title = text.strip()
    return h


def strip_chapter_prefix(title: str) -> str:
    """'第三章 深度学习基础' → '深度学习基础'; 'Chapter 3 Foundation' → 'Foundation'."""
    title = clean_inline(title)
    title, _ = _strip_bold(title)
    for pat in (ZH_CHAPTER, EN_CHAPTER):
        m = pat.match(title)
        if m and title[m.end():].strip():
            return title[m.end():].strip()
    m = NUMBER.match(title)
    if m and title[m.end():].strip():
        return title[m.end():].strip()
    return title


def rewrite_heading(h: Heading) -> str:
    """The heading as written in the imported body: same level, no typed number, no credit."""
    return "#" * h.level + (" " + h.title if h.title else "")
