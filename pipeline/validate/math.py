"""Math checks: `$` balanced, braces balanced, \\left/\\right paired, environments closed, spans pandoc reads."""

from __future__ import annotations

import re

from ..diagnostics import diag

BEGIN_END = re.compile(r"\\(begin|end)\{([^}]*)\}")
# Chinese characters and full-width punctuation: the math renderers draw them as empty boxes (also in \text{}).
HAN = re.compile(r"[\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uff00-\uffef]")


def check(book, body_of) -> list:
    out = []
    for (_, _), qt in sorted(book.texts.items()):
        for span in body_of(qt).spans({"math-inline", "math-display", "bad-math", "unbalanced"}):
            out += span_diagnostics(qt.rel, span)
    return out


def span_diagnostics(rel: str, span) -> list:
    if span.kind == "unbalanced":
        return [diag("DL501", rel, span.line, span.col, f"'{span.text}' opens math that never closes",
                     "close it in the same paragraph, or escape a literal dollar as \\$")]
    if span.kind == "bad-math":
        return [diag("DL505", rel, span.line, span.col,
                     f"'${span.text}$' has a space inside the dollars, so pandoc prints it as text",
                     f"write ${span.text.strip()}$")]
    return tex_diagnostics(rel, span.line, span.col, span.text)


def tex_diagnostics(rel: str, line: int, col: int, tex: str) -> list:
    out = []
    if HAN.search(tex):
        out.append(diag("DL506", rel, line, col, f"Chinese characters inside math are drawn as empty boxes: "
                        f"'{_short(tex)}'", "use a symbol in the formula and say in the prose what it means; "
                        "\\text{} in English is fine"))
    depth = 0
    i = 0
    while i < len(tex):
        c = tex[i]
        if c == "\\":
            i += 2
            continue
        if c == "{":
            depth += 1
        elif c == "}":
            depth -= 1
            if depth < 0:
                break
        i += 1
    if depth != 0:
        out.append(diag("DL502", rel, line, col, f"unbalanced braces in '{_short(tex)}' "
                        f"({'missing }' if depth > 0 else 'extra }'})", "count { and } in the formula"))
    lefts = len(re.findall(r"\\left(?![a-zA-Z])", tex))
    rights = len(re.findall(r"\\right(?![a-zA-Z])", tex))
    if lefts != rights:
        out.append(diag("DL503", rel, line, col, f"{lefts} \\left but {rights} \\right in '{_short(tex)}'",
                        "pair every \\left with a \\right (use \\right. for an invisible one)"))
    stack = []
    for m in BEGIN_END.finditer(tex):
        if m.group(1) == "begin":
            stack.append(m.group(2))
        elif stack and stack[-1] == m.group(2):
            stack.pop()
        else:
            out.append(diag("DL504", rel, line, col, f"\\end{{{m.group(2)}}} without a matching \\begin",
                            "check the environment names"))
            return out
    if stack:
        out.append(diag("DL504", rel, line, col, f"\\begin{{{stack[-1]}}} is never closed",
                        f"add \\end{{{stack[-1]}}}"))
    return out


def _short(tex: str) -> str:
    tex = " ".join(tex.split())
    return tex if len(tex) <= 40 else tex[:37] + "..."
