"""A line-aware scanner of question bodies: code fences, math spans, links, images, claims.

Pandoc gives no source positions for Pandoc Markdown, and diagnostics need file:line:col, so the
validator and the claim runner read bodies with this scanner; pandoc renders them later, in batches.
The math rules follow pandoc's tex_math_dollars extension.

Bodies are contributor input: every pass here is linear in the length of the text (no regex that can
backtrack over a whole line from each of its positions, no rescan of a paragraph per dollar), so a 1 MB
line scans in well under a second. benchmarks/bench_mutations.py and tests/test_hostile_books.py hold it to that.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass, field

FENCE = re.compile(r"^(?P<indent> {0,3})(?P<fence>`{3,}|~{3,})\s*(?P<info>.*)$")
# A key starts at the beginning of a run of word characters: scanning from every position of a long word would
# be quadratic. parse_attrs drops the run's prefix before its first letter, as pandoc's reader does.
ATTR = re.compile(r"""(?<![\w-])([\w-]+)=("([^"]*)"|'([^']*)'|[^\s}]+)""")
ATTR_KEY_START = re.compile(r"[A-Za-z_]")
CLASS = re.compile(r"(?:^|\s)\.([A-Za-z][\w-]*)")
ID_ATTR = re.compile(r"(?:^|\s)#([^\s}]+)")
CLAIM = re.compile(r"\[(?P<text>[^\[\]\n]+)\]\{(?P<attrs>[^{}\n]*)\}")
CLAIM_CLASS = re.compile(r"\.claim\b")
LINK = re.compile(r"(?P<bang>!?)\[(?P<text>(?:[^\[\]\n]|\[[^\[\]\n]*\])*)\]"
                  r"\((?:<(?P<aurl>[^<>\n]*)>|(?P<url>[^()\s]*))(?:\s+(?:\"[^\"]*\"|'[^'\n]*'))?\)"
                  r"(?:\{(?P<attrs>[^{}\n]*)\})?")
# <scheme:...> is a link to pandoc (autolink); `[label]: url` defines the target of `[text][label]`.
AUTOLINK = re.compile(r"<(?P<url>[A-Za-z][A-Za-z0-9+.-]{1,31}:[^<>\s]*)>")
REF_DEF = re.compile(r"^ {0,3}\[(?!\^)(?P<label>[^\[\]\n]+)\]:[ \t]*<?(?P<url>[^\s<>]+)>?", re.M)
# Raw HTML: a tag's attributes run to the next < or >, so a tag that never closes is scanned once.
HTML_TAG = re.compile(r"<(?P<tag>[A-Za-z][A-Za-z0-9-]*)\b(?P<attrs>[^<>]*)")
HTML_URL_ATTR = re.compile(r"""(?<![\w-])(?P<name>src|href|poster|data|srcset)\s*=\s*(?:"(?P<dq>[^"]*)"|'(?P<sq>[^']*)'|(?P<bare>[^\s"'>]+))""", re.I)
BACKTICKS = re.compile(r"`+")
MATH_CHAR = re.compile(r"[\\$]")
TYPED_REF = re.compile(r"(?P<lead>见|参见|参考|详见|see|See|cf\.|Section|section|Question|question|Chapter|chapter|第)"
                       r"\s*(?P<num>\d+(?:\.\d+){1,4})(?!\.?\d)\s*(?P<tail>节|题|章|问)?")
HEADING = re.compile(r"(#{1,6})\s+(.*)")


MAY_HOLD_IMG = re.compile(r"<img", re.I)  # with `![`, how every image span starts (`![…](…)`, `<img src=…>`)


def may_hold_image(body: str) -> bool:
    """False where no image span can be in the body (most texts), so it need not be scanned for one."""
    return "![" in body or MAY_HOLD_IMG.search(body) is not None


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
    rest, last = [], 0
    for m in ATTR.finditer(s):
        first_letter = ATTR_KEY_START.search(m.group(1))
        if first_letter is None:
            continue
        key_start = m.start(1) + first_letter.start()
        val = m.group(3) if m.group(3) is not None else m.group(4) if m.group(4) is not None else m.group(2)
        attrs[m.group(1)[first_letter.start():]] = val
        rest += [s[last:key_start], " "]
        last = m.end()
    rest = "".join(rest) + s[last:]
    classes = tuple(CLASS.findall(rest))
    mid = ID_ATTR.search(rest)
    return classes, attrs, (mid.group(1) if mid else None)


def blank_inline_code(prose: str) -> str:
    """Replace inline code spans by spaces (newlines kept): a run of n backticks opens a span that the next run of
    exactly n backticks closes; an unmatched run is literal text. Linear: each run is looked up once by length."""
    runs = [(m.start(), m.end()) for m in BACKTICKS.finditer(prose)]
    by_length: dict[int, list[int]] = {}
    for k, (a, b) in enumerate(runs):
        by_length.setdefault(b - a, []).append(k)
    pieces, last, k = [], 0, 0
    while k < len(runs):
        a, b = runs[k]
        same = by_length[b - a]
        nxt = bisect.bisect_right(same, k)
        if nxt == len(same):
            k += 1
            continue
        close = same[nxt]
        end = runs[close][1]
        pieces += [prose[last:a], _blank(prose[a:end])]
        last = end
        k = close + 1
    return "".join(pieces) + prose[last:]


def _blank(text: str) -> str:
    return "\n".join(" " * len(part) for part in text.split("\n"))


class Body:
    """A question body with its code blocks separated and positions mapped back to the file."""

    def __init__(self, text: str, first_line: int = 1):
        self.text = text
        self.first_line = first_line
        self.line_starts = [0] + [m.end() for m in re.finditer("\n", text)]
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
            closing = re.compile(rf"^ {{0,3}}{re.escape(fence[0])}{{{len(fence)},}}\s*$")
            j = i + 1
            while j < len(lines) and not closing.match(lines[j]):
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
        return blank_inline_code("\n".join(out))

    def spans(self, kinds=None) -> list[Span]:
        """Every span of the body (scanned once, then kept), or those of the given kinds."""
        if self._spans is None:
            self._spans = self._scan_spans()
        return [s for s in self._spans if kinds is None or s.kind in kinds]

    def _scan_spans(self) -> list[Span]:
        out = []
        for m in CLAIM.finditer(self.prose):
            if not CLAIM_CLASS.search(m["attrs"]):
                continue
            classes, attrs, _ = parse_attrs(m["attrs"])
            out.append(self._span("claim", m.start(), m.end(), m["text"], attrs, classes))
        for m in LINK.finditer(self.prose):
            classes, attrs, ident = parse_attrs(m["attrs"] or "")
            if ident:
                attrs = {**attrs, "id": ident}
            kind = "image" if m["bang"] else "link"
            url = m["aurl"] if m["aurl"] is not None else m["url"]
            out.append(self._span(kind, m.start(), m.end(), m["text"], attrs, classes, url=url))
        for m in AUTOLINK.finditer(self.prose):
            out.append(self._span("link", m.start(), m.end(), m["url"], url=m["url"]))
        for m in REF_DEF.finditer(self.prose):
            out.append(self._span("link", m.start(), m.end(), m["label"], url=m["url"]))
        out += self._html_url_spans()
        out += self._math_spans()
        for m in TYPED_REF.finditer(self.prose):
            out.append(self._span("typed-ref", m.start(), m.end(), m["num"], {"match": m.group(0)}))
        out.sort(key=lambda s: s.start)
        return out

    def _html_url_spans(self) -> list[Span]:
        """URLs in raw HTML tags: `<img src>` is an image, any other src/href/poster/data/srcset a link."""
        out = []
        for tag in HTML_TAG.finditer(self.prose):
            for a in HTML_URL_ATTR.finditer(tag["attrs"]):
                url = next(v for v in (a["dq"], a["sq"], a["bare"]) if v is not None)
                if not url:
                    continue
                kind = "image" if tag["tag"].lower() == "img" and a["name"].lower() == "src" else "link"
                out.append(self._span(kind, tag.start(), tag.end(), "", {}, (), url=url))
        return out

    def _span(self, kind, start, end, text, attrs=None, classes=(), url=""):
        line, col = self.pos(start)
        return Span(kind, start, end, line, col, text, attrs or {}, classes, url)

    def _math_spans(self) -> list[Span]:
        """Math by pandoc's rules: `$$…$$` display; `$x$` needs no space inside either dollar and no digit after.

        Linear: the closing dollars of inline math are found once, up front, and looked up by bisection."""
        s = self.prose
        out = []
        n = len(s)
        closers = _inline_math_closers(s)
        para_ends = [m.start() for m in re.finditer(r"\n\n", s)]
        i = 0
        while True:
            m = MATH_CHAR.search(s, i)
            if m is None:
                return out
            i = m.start()
            if s[i] == "\\":
                i += 2
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
            # single dollar: closed by the first closer before the paragraph ends
            if i + 1 < n and not s[i + 1].isspace():
                k = bisect.bisect_right(para_ends, i)
                para_end = para_ends[k] if k < len(para_ends) else n
                c = bisect.bisect_left(closers, i + 1)
                close = closers[c] if c < len(closers) and closers[c] < para_end else -1
                if close > 0:
                    out.append(self._span("math-inline", i, close + 1, s[i + 1:close]))
                    i = close + 1
                    continue
            # not an opening pandoc accepts: is it a spaced span `$ x $` on this line?
            nxt = bisect.bisect_right(self.line_starts, i)
            line_end = self.line_starts[nxt] - 1 if nxt < len(self.line_starts) else n
            k = s.find("$", i + 1, line_end)
            if k > i + 1 and s[i + 1:k].strip() and (s[i + 1].isspace() or s[k - 1].isspace()):
                out.append(self._span("bad-math", i, k + 1, s[i + 1:k]))
                i = k + 1
                continue
            out.append(self._span("unbalanced", i, i + 1, "$"))
            i += 1


def _inline_math_closers(s: str) -> list[int]:
    """Offsets of the dollars that can close inline math: not after whitespace, not before a digit, not escaped
    (an odd run of backslashes before it). A scan that starts after a `$` sees the same escapes, since `$` is
    not a backslash, so one list serves every opening."""
    out = []
    n = len(s)
    for m in re.finditer(r"(?<=\S)\$", s):
        j = m.start()
        if j + 1 < n and s[j + 1].isdigit():
            continue
        b = j
        while b > 0 and s[b - 1] == "\\":
            b -= 1
        if (j - b) % 2 == 0:
            out.append(j)
    return out


def headings(body: Body) -> list[tuple[int, int, str]]:
    """ATX headings in prose: (line, level, text); a closing run of # and the spaces around it are dropped."""
    out = []
    for i, line in enumerate(body.prose.split("\n")):
        m = HEADING.match(line)
        if m:
            out.append((body.first_line + i, len(m.group(1)), m.group(2).rstrip().rstrip("#").rstrip()))
    return out
