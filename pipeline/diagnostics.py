"""Diagnostics: what every stage reports about the user's input, and the formatters that print them."""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import asdict, dataclass
from xml.sax.saxutils import escape, quoteattr

ERROR = "error"
WARNING = "warning"
NOTE = "note"

# Stable codes. docs/diagnostics.md documents each; tests assert each.
CODES: dict[str, str] = {
    "DL101": "invalid YAML",
    "DL102": "missing required key",
    "DL103": "unknown key",
    "DL104": "wrong type or value",
    "DL105": "missing or malformed front matter",
    "DL106": "front-matter id differs from the file name",
    "DL107": "file cannot be read as UTF-8",
    "DL120": "file larger than the limit",
    "DL121": "line longer than the limit",
    "DL122": "control character in the text",
    "DL123": "YAML nested too deep",
    "DL124": "YAML aliases expand too far or refer to themselves",
    "DL125": "too many files",
    "DL126": "not a regular file",
    "DL127": "file resolves outside the book folder",
    "DL128": "broken or looping symbolic link",
    "DL129": "file cannot be read",
    "DL130": "folder named in book.yaml leaves the book",
    "DL201": "duplicate id",
    "DL202": "outline entry with no question file",
    "DL203": "question file in no outline",
    "DL204": "translation with no original",
    "DL205": "outline nested too deep",
    "DL206": "empty group",
    "DL207": "translation's heading outline differs from the original",
    "DL208": "chapter listed in book.yaml has no chapter.yaml",
    "DL209": "title missing for a language",
    "DL301": "number typed in a title",
    "DL302": "typed reference does not match the derived number",
    "DL303": "typed reference in prose",
    "DL310": "derived numbers of existing questions changed",
    "DL401": "cross-reference to an unknown id",
    "DL402": "missing image",
    "DL403": "image path leaves the book folder",
    "DL404": "remote image",
    "DL405": "malformed URL",
    "DL406": "unresolved anchor",
    "DL407": "external URL unreachable",
    "DL430": "raw HTML in a title or body",
    "DL431": "raw output block ({=html}, {=latex} …)",
    "DL432": "unsafe attribute in an attribute list",
    "DL433": "SVG image that could run script",
    "DL450": "image without alt text",
    "DL420": "link or image with a scheme that is not allowed",
    "DL421": "link or image to an absolute filesystem path",
    "DL422": "link leaves the book folder",
    "DL501": "unbalanced $",
    "DL502": "unbalanced braces in math",
    "DL503": "\\left without \\right",
    "DL504": "unclosed math environment",
    "DL505": "span pandoc will not read as math",
    "DL506": "formula cannot be rendered",
    "DL601": "contributor not in Name-Affiliation form",
    "DL610": "reviewer is one of the file's contributors or translators",
    "DL611": "translation marked reviewed without a review record",
    "DL612": "review is stale: the original changed since",
    "DL613": "review record in the future",
    "DL620": "unknown topic",
    "DL621": "unknown interview round",
    "DL622": "unknown difficulty",
    "DL623": "translation's tags differ from the original's",
    "DL624": "original without difficulty or topics",
    "DL625": "source/topics.yaml is invalid",
    "DL630": "source/glossary.yaml is invalid",
    "DL631": "translation uses a rendering the glossary avoids",
    "DL632": "original uses a Chinese variant the glossary avoids",
    "DL633": "glossary term listed twice",
    "DL640": "translation's formulas differ from the original's",
    "DL641": "translation's code blocks differ from the original's",
    "DL642": "translation's output blocks differ from the original's",
    "DL643": "translation's cross-references differ from the original's",
    "DL644": "translation's figures differ from the original's",
    "DL701": "claimed number differs from the check's result",
    "DL702": "claim cites a check that does not exist",
    "DL703": "check cited by no claim",
    "DL704": "check raised an exception",
    "DL705": "check exceeded its time limit",
    "DL706": "check crashed or exceeded its memory limit",
    "DL707": "check returned something that is not a number",
    "DL708": "CPU and CUDA results disagree",
    "DL709": "CUDA required but not available",
    "DL710": "claim cannot be read",
    "DL711": "claim skipped on an unavailable device",
    "DL712": "translation cites a different check or number than the original",
    "DL720": "contributor code broke the sandbox's rules",
    "DL721": "contributor code runs without the sandbox",
    "DL722": "a cached result disagrees with a fresh run",
    "DL723": "claims were not run: no result for this book is in the cache",
    "DL724": "the claims sandbox could not start a worker",
    "DL801": "code output differs from the output shown",
    "DL802": "code block raised an exception",
    "DL803": "code block exceeded its time limit",
    "DL804": "code block imports an undeclared package",
    "DL805": "translated code block drifted from the original",
    "DL806": "code block crashed or exceeded its memory limit",
    "DL807": "claim cites a variable no code block defined",
    "DL808": "runnable block without an output block",
    "DL901": "build input problem",
    "DL902": "a PDF part needs more memory than the limit",
    "DL910": "another build is writing the output folder",
    "DL911": "outputs not published: the build had errors",
}


@dataclass(frozen=True)
class Diagnostic:
    file: str
    line: int
    col: int
    severity: str
    code: str
    message: str
    hint: str = ""

    def sort_key(self):
        return (self.file, self.line, self.col, self.code, self.message)


def diag(code: str, file, line: int = 1, col: int = 1, message: str = "", hint: str = "",
         severity: str = ERROR) -> Diagnostic:
    assert code in CODES, code
    return Diagnostic(str(file), max(1, int(line)), max(1, int(col)), severity, code,
                      message or CODES[code], hint)


def has_errors(diags) -> bool:
    return any(d.severity == ERROR for d in diags)


def counts(diags) -> dict[str, int]:
    out = {ERROR: 0, WARNING: 0, NOTE: 0}
    for d in diags:
        out[d.severity] += 1
    return out


def format_text(diags) -> str:
    """Grouped by file, one finding per line, hint indented below it."""
    by_file = defaultdict(list)
    for d in sorted(diags, key=Diagnostic.sort_key):
        by_file[d.file].append(d)
    lines = []
    for file, items in by_file.items():
        lines.append(file)
        for d in items:
            lines.append(f"  {d.file}:{d.line}:{d.col}: {d.severity} {d.code}: {d.message}")
            if d.hint:
                lines.append(f"      hint: {d.hint}")
    c = counts(diags)
    lines.append(f"{c[ERROR]} error(s), {c[WARNING]} warning(s), {c[NOTE]} note(s)")
    return "\n".join(lines) + "\n"


def _gh_escape(s: str, prop: bool = False) -> str:
    s = s.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    if prop:
        s = s.replace(":", "%3A").replace(",", "%2C")
    return s


def format_github(diags) -> str:
    """GitHub Actions workflow commands: ::error file=F,line=L,col=C,title=CODE::message."""
    out = []
    level = {ERROR: "error", WARNING: "warning", NOTE: "notice"}
    for d in sorted(diags, key=Diagnostic.sort_key):
        msg = d.message + (f" (hint: {d.hint})" if d.hint else "")
        out.append(f"::{level[d.severity]} file={_gh_escape(d.file, True)},line={d.line},col={d.col},"
                   f"title={d.code}::{_gh_escape(msg)}")
    return "\n".join(out) + ("\n" if out else "")


def format_json(diags) -> str:
    return json.dumps({"diagnostics": [asdict(d) for d in sorted(diags, key=Diagnostic.sort_key)],
                       "counts": counts(diags)}, ensure_ascii=False, indent=2) + "\n"


def format_junit(diags, suite: str = "dl500") -> str:
    """One test case per file; a failure per error, so CI systems show them."""
    by_file = defaultdict(list)
    for d in sorted(diags, key=Diagnostic.sort_key):
        by_file[d.file].append(d)
    errors = sum(1 for d in diags if d.severity == ERROR)
    parts = [f'<?xml version="1.0" encoding="UTF-8"?>\n<testsuites>\n'
             f'<testsuite name={quoteattr(suite)} tests="{max(1, len(by_file))}" failures="{errors}">']
    if not by_file:
        parts.append('<testcase classname="dl500" name="book"/>')
    for file, items in by_file.items():
        parts.append(f'<testcase classname="dl500" name={quoteattr(file)}>')
        for d in items:
            text = f"{d.file}:{d.line}:{d.col}: {d.code} {d.message}" + (f"\nhint: {d.hint}" if d.hint else "")
            if d.severity == ERROR:
                parts.append(f'<failure type={quoteattr(d.code)} message={quoteattr(d.message)}>'
                             f'{escape(text)}</failure>')
            else:
                parts.append(f"<system-out>{escape(d.severity + ' ' + text)}</system-out>")
        parts.append("</testcase>")
    parts.append("</testsuite>\n</testsuites>\n")
    return "\n".join(parts)


FORMATTERS = {"text": format_text, "github": format_github, "json": format_json, "junit": format_junit}
