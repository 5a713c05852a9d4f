"""The import report: every legacy defect with its file and line, by kind, as Markdown and JSON."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field

# Kind -> what it means, in the order the Markdown report lists them.
KINDS: dict[str, str] = {
    "duplicate": "typed number used twice",
    "gap": "typed numbers skip a value",
    "out-of-order": "typed number smaller than the one before it",
    "foreign-prefix": "typed number belongs to another section",
    "wrong-depth": "typed number has too many or too few parts for its heading level",
    "missing-number": "section or question heading without a typed number",
    "trailing-dot": "typed number ends with a dot",
    "extra-space": "spaces inside or around a typed number",
    "missing-space": "no space between the typed number and the title",
    "bold-number": "typed number in bold",
    "full-width-number": "typed number with a full-width dot",
    "credit-in-heading": "contributor credit inside a heading",
    "empty-title": "heading with a number but no title",
    "empty-question": "question heading with no body",
    "section-intro": "text between a section heading and its first question (imported as an intro question)",
    "chapter-preamble": "text between the chapter title and its first section (imported as an intro question)",
    "math-repaired": "math span repaired so pandoc reads it as math",
    "math-unrepaired": "math span that could not be repaired",
    "html-image": "HTML <img> (and its centring wrapper) converted to a Markdown image",
    "html-table": "HTML table: converted to a Markdown table when simple, else kept for a person to convert (DL430)",
    "missing-image": "image file that does not exist",
    "remote-image": "remote image (listed, never fetched)",
    "invisible-character": "zero-width or non-breaking space removed",
    "tab-indent": "prose line indented with a tab (pandoc would read it as code); the tab removed",
    "toc-marker": "[TOC] marker removed",
    "bom": "byte-order mark",
    "crlf": "CRLF line ends",
    "encoding": "file not in UTF-8",
    "unmatched-translation": "English heading or file with no Chinese counterpart",
    "missing-chapter": "chapter asked for but not present",
    "variant-skipped": "other variant of a doubled chapter, not imported",
    "extra-file": "Markdown file in a chapter folder that is not the chapter's main file",
    "no-main-file": "chapter folder without a Markdown file",
}


@dataclass
class Report:
    defects: list = field(default_factory=list)  # (kind, file, line, message)
    summary: dict = field(default_factory=dict)

    def add(self, kind: str, file: str, line: int, message: str) -> None:
        assert kind in KINDS, kind
        self.defects.append((kind, file, int(line), message))

    def sorted_defects(self) -> list:
        order = {k: i for i, k in enumerate(KINDS)}
        return sorted(set(self.defects), key=lambda d: (order[d[0]], d[1], d[2], d[3]))

    def counts(self) -> dict[str, int]:
        c = Counter(d[0] for d in set(self.defects))
        return {k: c[k] for k in KINDS if c[k]}

    def to_json(self) -> str:
        data = {
            "summary": self.summary,
            "counts": self.counts(),
            "defects": [{"kind": k, "file": f, "line": ln, "message": m} for k, f, ln, m in self.sorted_defects()],
        }
        return json.dumps(data, ensure_ascii=False, indent=2) + "\n"

    def to_markdown(self) -> str:
        s = self.summary
        lines = ["# Import report", ""]
        for key, value in s.items():
            lines.append(f"- {key.replace('_', ' ')}: {value}")
        lines += ["", "## Defects by kind", ""]
        counts = self.counts()
        if not counts:
            lines.append("None.")
        for kind, n in counts.items():
            lines.append(f"- {kind}: {n} ({KINDS[kind]})")
        current = None
        for kind, file, line, message in self.sorted_defects():
            if kind != current:
                current = kind
                lines += ["", f"## {kind}: {KINDS[kind]}", ""]
            where = f"{file}:{line}" if file else "(repository)"
            lines.append(f"- `{where}` {_md_escape(message)}")
        return "\n".join(lines) + "\n"


def _md_escape(text: str) -> str:
    return text.replace("\n", " ").replace("|", "\\|")
