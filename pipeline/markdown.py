"""A line-aware scanner of question bodies: code fences, math spans, links, images, claims.

Pandoc gives no source positions for Pandoc Markdown, and diagnostics need file:line:col, so the
validator and the claim runner read bodies with this scanner; pandoc renders them later, in batches.
The math rules follow pandoc's tex_math_dollars extension.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass, field

FENCE = re.compile(r"^(?P<indent> {0,3})(?P<fence>`{3,}|~{3,})\s*(?P<info>.*)$")
ATTR = re.compile(r"""([A-Za-z_][\w-]*)=("([^"]*)"|'([^']*)'|[^\s}]+)""")
CLASS = re.compile(r"(?:^|\s)\.([A-Za-z][\w-]*)")
ID_ATTR = re.compile(r"(?:^|\s)#([^\s}]+)")
CLAIM = re.compile(r"\[(?P<text>[^\[\]\n]+)\]\{(?P<attrs>[^{}\n]*\.claim\b[^{}\n]*)\}")
LINK = re.compile(r"(?P<bang>!?)\[(?P<text>(?:[^\[\]\n]|\[[^\[\]\n]*\])*)\]\((?P<url>[^()\s]*)(?:\s+\"[^\"]*\")?\)"
                  r"(?:\{(?P<attrs>[^{}\n]*)\})?")
HTML_IMG = re.compile(r"<img\b[^>]*\bsrc=[\"']([^\"']+)[\"']", re.I)
INLINE_CODE = re.compile(r"(`+)(?!`).*?(?<!`)\1(?!`)", re.S)
TYPED_REF = re.compile(r"(?P<lead>见|参见|参考|详见|see|See|cf\.|Section|section|Question|question|Chapter|chapter|第)"
                       r"\s*(?P<num>\d+(?:\.\d+){1,4})(?!\.?\d)\s*(?P<tail>节|题|章|问)?")


@dataclass
class CodeBlock:
    line: int  # line of the opening fence, in the file
    end_line: int
    info: str
    classes: tuple
    attrs: dict
    code: str
    first_code_line: int

    @property
    def lang(self) -> str:
        return self.classes[0] if self.classes else ""


@dataclass
class Span:
    kind: str  # math-inline, math-display, claim, link, image, bad-math, typed-ref
    start: int  # offset in the body
    end: int
    line: int
    col: int
    text: str  # inner text
    attrs: dict = field(default_factory=dict)
    classes: tuple = ()
    url: str = ""


def parse_attrs(s: str) -> tuple[tuple, dict, str | None]:
    """Pandoc attribute list `{#id .class key=value}` → (classes, attributes, id)."""
    attrs = {}
    for m in ATTR.finditer(s):
        val = m.group(3) if m.group(3) is not None else m.group(4) if m.group(4) is not None else m.group(2)
        attrs[m.group(1)] = val
    rest = ATTR.sub(" ", s)
    classes = tuple(CLASS.findall(rest))
    mid = ID_ATTR.search(rest)
    return classes, attrs, (mid.group(1) if mid else None)


class Body:
    """A question body with its code blocks separated and positions mapped back to the file."""

    def __init__(self, text: str, first_line: int = 1):
        self.text = text
        self.first_line = first_line
        self.line_starts = [0] + [i + 1 for i, ch in enumerate(text) if ch == "\n"]
        self.code_blocks: list[CodeBlock] = []
        self.prose = self._blank_code(text)
        self._spans: list[Span] | None = None

    def pos(self, offset: int) -> tuple[int, int]:
        i = bisect.bisect_right(self.line_starts, offset) - 1
        return self.first_line + i, offset - self.line_starts[i] + 1

    def _blank_code(self, text: str) -> str:
        """Copy of the text with fenced and inline code replaced by spaces (newlines kept)."""
        lines = text.split("\n")
        out = []
        i = 0
        while i < len(lines):
            m = FENCE.match(lines[i])
            if not m:
                out.append(lines[i])
                i += 1
                continue
            fence = m["fence"]
            info = m["info"].strip()
            j = i + 1
            while j < len(lines) and not re.match(rf"^ {{0,3}}{re.escape(fence[0])}{{{len(fence)},}}\s*$", lines[j]):
                j += 1
            code_lines = lines[i + 1:j]
            inner = info[1:-1] if info.startswith("{") and info.endswith("}") else info
            if info.startswith("{"):
                classes, attrs, _ = parse_attrs(inner)
            else:
                parts = inner.split()
                classes, attrs = (tuple(parts[:1]), {})
            self.code_blocks.append(CodeBlock(
                line=self.first_line + i, end_line=self.first_line + min(j, len(lines) - 1), info=info,
                classes=classes, attrs=attrs, code="\n".join(code_lines) + ("\n" if code_lines else ""),
                first_code_line=self.first_line + i + 1))
            for k in range(i, min(j + 1, len(lines))):
                out.append(" " * len(lines[k]))
            i = j + 1
        prose = "\n".join(out)
        return INLINE_CODE.sub(lambda m: re.sub(r"[^\n]", " ", m.group(0)), prose)

    def spans(self, kinds=None) -> list[Span]:
        """Every span of the body (scanned once, then kept), or those of the given kinds."""
        if self._spans is None:
            self._spans = self._scan_spans()
        return [s for s in self._spans if kinds is None or s.kind in kinds]

    def _scan_spans(self) -> list[Span]:
        out = []
        for m in CLAIM.finditer(self.prose):
            classes, attrs, _ = parse_attrs(m["attrs"])
            out.append(self._span("claim", m.start(), m.end(), m["text"], attrs, classes))
        for m in LINK.finditer(self.prose):
            classes, attrs, ident = parse_attrs(m["attrs"] or "")
            if ident:
                attrs = {**attrs, "id": ident}
            kind = "image" if m["bang"] else "link"
            out.append(self._span(kind, m.start(), m.end(), m["text"], attrs, classes, url=m["url"]))
        for m in HTML_IMG.finditer(self.prose):
            out.append(self._span("image", m.start(), m.end(), "", {}, (), url=m.group(1)))
        out += self._math_spans()
        for m in TYPED_REF.finditer(self.prose):
            out.append(self._span("typed-ref", m.start(), m.end(), m["num"], {"match": m.group(0)}))
        out.sort(key=lambda s: s.start)
        return out

    def _span(self, kind, start, end, text, attrs=None, classes=(), url=""):
        line, col = self.pos(start)
        return Span(kind, start, end, line, col, text, attrs or {}, classes, url)

    def _math_spans(self) -> list[Span]:
        """Math by pandoc's rules: `$$…$$` display; `$x$` needs no space inside either dollar and no digit after."""
        s = self.prose
        out = []
        i = 0
        n = len(s)
        while i < n:
            ch = s[i]
            if ch == "\\":
                i += 2
                continue
            if ch != "$":
                i += 1
                continue
            if s.startswith("$$", i):
                j = s.find("$$", i + 2)
                while j > 0 and s[j - 1] == "\\":
                    j = s.find("$$", j + 2)
                if j < 0:
                    out.append(self._span("unbalanced", i, i + 2, "$$"))
                    return out
                out.append(self._span("math-display", i, j + 2, s[i + 2:j]))
                i = j + 2
                continue
            # single dollar
            para_end = s.find("\n\n", i)
            para_end = n if para_end < 0 else para_end
            if i + 1 < n and not s[i + 1].isspace():
                j = i + 1
                close = -1
                while j < para_end:
                    if s[j] == "\\":
                        j += 2
                        continue
                    if s[j] == "$" and not s[j - 1].isspace() and not (j + 1 < n and s[j + 1].isdigit()):
                        close = j
                        break
                    j += 1
                if close > 0:
                    out.append(self._span("math-inline", i, close + 1, s[i + 1:close]))
                    i = close + 1
                    continue
            # not an opening pandoc accepts: is it a spaced span `$ x $` on this line?
            line_end = s.find("\n", i)
            line_end = n if line_end < 0 else line_end
            k = s.find("$", i + 1, line_end)
            if k > i + 1 and s[i + 1:k].strip() and (s[i + 1].isspace() or s[k - 1].isspace()):
                out.append(self._span("bad-math", i, k + 1, s[i + 1:k]))
                i = k + 1
                continue
            out.append(self._span("unbalanced", i, i + 1, "$"))
            i += 1
        return out


def headings(body: Body) -> list[tuple[int, int, str]]:
    """ATX headings in prose: (line, level, text)."""
    out = []
    for i, line in enumerate(body.prose.split("\n")):
        m = re.match(r"^(#{1,6})\s+(.*?)\s*#*\s*$", line)
        if m:
            out.append((body.first_line + i, len(m.group(1)), m.group(2)))
    return out
