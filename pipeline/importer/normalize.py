"""Normalise a legacy body so pandoc and our validator read it as the author meant; change nothing else."""

from __future__ import annotations

import re

from ..validate.body_scanner import Body
from .credits import credit_line
from .headings import FENCE, rewrite_heading
from .images import ChapterImages
from .report import Report
from .tables import pipe_table

ZERO_WIDTH = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff"), None)
TOC = re.compile(r"^\s*\[TOC\]\s*$", re.I)
MD_IMAGE = re.compile(r"(!\[[^\]\n]*\]\()([ \t]*<?)([^)\s>]+)")
HTML_SRC = re.compile(r"(<img\b[^>]*?\bsrc\s*=\s*)([\"'])([^\"']+)\2", re.I)
# A tab-indented line of Chinese prose that is not a list item: the author meant a paragraph, not code.
TAB_PROSE = re.compile(r"^[ ]*\t[\t ]*(?![-*+][ \t]|\d+[.)][ \t])(?=[^\n]*[\u4e00-\u9fff])")
BLANK_IN_DISPLAY = re.compile(r"\n[ \t]*(?=\n)")
HTML_IMG = re.compile(r"<img\b((?:[^>\"']|\"[^\"]*\"|'[^']*')*?)\s*/?>", re.I)
HTML_ATTR = re.compile(r"([A-Za-z][\w:-]*)\s*=\s*(\"[^\"]*\"|'[^']*'|[^\s\"'>]+)")
# A line that only centres images: <center>, <div align="center">, <p align="center"> around one or more <img>.
CENTRED = re.compile(r"^[ \t]*(?:<center>|<(div|p)\s+align\s*=\s*[\"']?center[\"']?\s*>)[ \t]*"
                     r"((?:<img\b(?:[^>\"']|\"[^\"]*\"|'[^']*')*>[ \t]*(?:<br\s*/?>)?[ \t]*)+)"
                     r"(?:</center>|</(?:div|p)>)[ \t]*$", re.I | re.M)
SIZE = re.compile(r"^\d+(?:\.\d+)?(?:px|%|em)?$")
HTML_TABLE = re.compile(r"<table\b.*?</table\s*>", re.I | re.S)


class BodyResult:
    def __init__(self, text: str, contributors: list):
        self.text = text
        self.contributors = contributors


def clean_invisible(line: str) -> tuple[str, bool]:
    new = line.translate(ZERO_WIDTH).replace("\u00a0", " ")
    return new, new != line


def clean_lines(doc, start: int, stop: int, report: Report) -> tuple[list[str], list[str]]:
    """Line by line: invisible characters, [TOC], credit lines, typed numbers in inner headings."""
    out, people, fence = [], [], None
    rel = doc.file.rel
    for idx in range(start, stop):
        line, changed = clean_invisible(doc.lines[idx])
        if changed:
            report.add("invisible-character", rel, idx + 1, "zero-width or non-breaking space removed")
        m = FENCE.match(line)
        if m:
            if fence is None:
                fence = m.group(1)
            elif m.group(1).startswith(fence):
                fence = None
        elif fence is None:
            if idx in doc.headings:
                h = doc.headings[idx]
                people += h.credits
                line = rewrite_heading(h)
            elif TAB_PROSE.match(line):
                report.add("tab-indent", rel, idx + 1, "tab before a prose line removed")
                line = line.lstrip("\t ")
            elif TOC.match(line):  # reported when the document is read
                line = ""
            else:
                who = credit_line(line)
                if who is not None:
                    people += who
                    line = ""
        out.append(line)
    return out, people


def fix_math(text: str, first_line: int, rel: str, report: Report) -> str:
    """`$ x $` → `$x$`; blank lines inside `$$…$$` removed; what cannot be repaired is reported."""
    edits = []
    for span in Body(text, first_line).spans({"bad-math", "unbalanced", "math-display"}):
        if span.kind == "bad-math":
            inner = span.text.strip()
            after = text[span.end:span.end + 1]
            if inner and not after.isdigit():
                edits.append((span.start, span.end, f"${inner}$"))
                report.add("math-repaired", rel, span.line, f"'${span.text}$' had spaces inside the dollars")
            else:
                report.add("math-unrepaired", rel, span.line, f"'${span.text}$' is not math pandoc can read")
        elif span.kind == "math-display" and BLANK_IN_DISPLAY.search(span.text):
            edits.append((span.start, span.end, "$$" + BLANK_IN_DISPLAY.sub("", span.text) + "$$"))
            report.add("math-repaired", rel, span.line, "blank line inside $$…$$ removed")
        elif span.kind == "unbalanced":
            report.add("math-unrepaired", rel, span.line, f"'{span.text}' opens math that never closes")
    for start, end, new in sorted(edits, reverse=True):
        text = text[:start] + new + text[end:]
    return text


def markdown_image(attrs: str) -> str | None:
    """`<img src="a.png" alt="x" width="300">` → `![x](a.png){width=300}`; None without a src."""
    found = {k.lower(): v.strip("\"'") for k, v in HTML_ATTR.findall(attrs)}
    src = found.get("src", "").strip()
    if not src:
        return None
    alt = found.get("alt", "").replace("\n", " ").replace("[", "(").replace("]", ")")  # brackets would end it
    url = f"<{src}>" if re.search(r"[\s()]", src) else src
    size = " ".join(f"{k}={found[k]}" for k in ("width", "height") if SIZE.match(found.get(k, "")))
    return f"![{alt}]({url})" + (f"{{{size}}}" if size else "")


def own_block(before: str, block: str, after: str) -> str:
    """`block` with just the line breaks it needs to stand apart from the text around it."""
    lead = "" if not before.strip() or before.endswith("\n\n") else "\n" if before.endswith("\n") else "\n\n"
    tail = "" if not after.strip() or after.startswith("\n\n") else "\n" if after.startswith("\n") else "\n\n"
    return lead + block + tail


def convert_html_images(text: str, first_line: int, rel: str, report: Report) -> str:
    """Raw HTML is not part of the book's Markdown (DL430): legacy <img> tags become Markdown images, a line
    that only centres them loses its wrapper, and a simple HTML table becomes a pipe table (others are kept)."""
    body = Body(text, first_line)
    edits = []
    for m in CENTRED.finditer(body.prose):
        imgs = [markdown_image(i.group(1)) for i in HTML_IMG.finditer(m.group(2))]
        if all(imgs):
            edits.append((m.start(), m.end(), "\n\n".join(imgs)))
            report.add("html-image", rel, body.pos(m.start())[0], "centred HTML <img> converted to a Markdown image")
    taken = [(s, e) for s, e, _ in edits] + [m.span() for m in HTML_TABLE.finditer(body.prose)]
    for m in HTML_IMG.finditer(body.prose):
        if any(s <= m.start() < e for s, e in taken):
            continue
        new = markdown_image(m.group(1))
        if new is not None:
            edits.append((m.start(), m.end(), new))
            report.add("html-image", rel, body.pos(m.start())[0], "HTML <img> converted to a Markdown image")
    for m in HTML_TABLE.finditer(body.prose):
        line = body.pos(m.start())[0]
        table = pipe_table(m.group(0))
        if table is None:
            report.add("html-table", rel, line, "HTML table kept (spans, lists or images in cells): convert it by hand")
        else:
            edits.append((m.start(), m.end(), own_block(text[:m.start()], table, text[m.end():])))
            report.add("html-table", rel, line, "HTML table converted to a Markdown table")
    for start, end, new in sorted(edits, reverse=True):
        text = text[:start] + new + text[end:]
    return text


def fix_images(text: str, first_line: int, md_file, images: ChapterImages) -> str:
    """Point every local image at its copy beside the chapter."""
    body = Body(text, first_line)
    edits = []
    for pat in (MD_IMAGE, HTML_SRC):
        for m in pat.finditer(body.prose):
            url = text[m.start(3):m.end(3)]
            new = images.rewrite(url, md_file, body.pos(m.start())[0])
            if new != url:
                edits.append((m.start(3), m.end(3), new))
    for start, end, new in sorted(edits, reverse=True):
        text = text[:start] + new + text[end:]
    return text


def trim_blank_lines(text: str) -> str:
    text = re.sub(r"^(?:[ \t]*\n)+", "", text)
    return text.rstrip() + "\n" if text.strip() else ""


def normalize_body(doc, start: int, stop: int, images: ChapterImages, report: Report) -> BodyResult:
    """The imported body of legacy lines [start, stop) of `doc`."""
    lines, people = clean_lines(doc, start, stop, report)
    text = "\n".join(lines)
    text = convert_html_images(text, start + 1, doc.file.rel, report)
    text = fix_images(text, start + 1, doc.file, images)  # before math: math repairs may remove lines
    text = fix_math(text, start + 1, doc.file.rel, report)
    return BodyResult(trim_blank_lines(text), people)


def normalize_title(title: str) -> str:
    """Titles get the same inline math repair as bodies."""
    return re.sub(r"\$[ \t]+([^$\n]*?)[ \t]*\$|\$([^$\n]*?)[ \t]+\$",
                  lambda m: "$" + (m.group(1) or m.group(2) or "").strip() + "$", title)
