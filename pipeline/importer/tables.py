"""Legacy HTML tables → Markdown pipe tables, when the table is simple enough to say the same thing."""

from __future__ import annotations

import re
from html.parser import HTMLParser

INLINE = {"b": "**", "strong": "**", "i": "*", "em": "*", "code": "`"}
IGNORED = {"tbody", "thead", "tfoot", "span", "font", "center", "p", "div"}  # wrappers that carry no meaning here


class TableReader(HTMLParser):
    """Rows of cell texts; `simple` turns False at anything a pipe table cannot hold (spans, lists, images,
    nested tables, line breaks that are not just spacing)."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.rows: list[list[str]] = []
        self.header_rows = 0
        self.cell: list[str] | None = None
        self.simple = True
        self.depth = 0

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "table":
            self.depth += 1
            self.simple = self.simple and self.depth == 1
        elif tag == "tr":
            self.rows.append([])
        elif tag in ("td", "th"):
            if any(attrs.get(k, "1") not in ("", "1") for k in ("colspan", "rowspan")) or not self.rows:
                self.simple = False
            if tag == "th" and len(self.rows) == self.header_rows + 1:
                self.header_rows = len(self.rows)
            self.cell = []
        elif tag == "br" and self.cell is not None:
            self.cell.append(" ")
        elif tag in INLINE and self.cell is not None:
            self.cell.append(INLINE[tag])
        elif tag not in IGNORED:
            self.simple = False

    def handle_endtag(self, tag):
        if tag == "table":
            self.depth -= 1
        elif tag in ("td", "th") and self.cell is not None:
            self.rows[-1].append(re.sub(r"\s+", " ", "".join(self.cell)).strip())
            self.cell = None
        elif tag in INLINE and self.cell is not None:
            self.cell.append(INLINE[tag])

    def handle_data(self, data):
        if self.cell is not None:
            self.cell.append(data)
        elif data.strip():
            self.simple = False  # text outside any cell would be lost


def pipe_table(html: str) -> str | None:
    """A Markdown pipe table saying what the HTML table says, or None when it cannot (then keep the HTML)."""
    reader = TableReader()
    try:
        reader.feed(html)
        reader.close()
    except (ValueError, AssertionError):
        return None
    rows = [r for r in reader.rows if r]
    if not reader.simple or not rows or reader.header_rows > 1:
        return None
    width = max(len(r) for r in rows)
    cells = [[c.replace("|", "\\|") for c in r] + [""] * (width - len(r)) for r in rows]
    lines = ["| " + " | ".join(r) + " |" for r in cells]
    lines.insert(1, "|" + "---|" * width)
    return "\n".join(lines)
