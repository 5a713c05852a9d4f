"""Compare what a block printed with the output the book shows, and rewrite shown outputs on request."""

from __future__ import annotations

import difflib
import re

NUM = re.compile(r"[-+]?(?:\d+\.\d*|\.\d+|\d+)(?:[eE][-+]?\d+)?")
DEVICE_SUFFIX = re.compile(r",\s*device='cuda(?::\d+)?'")


def normalise_output(text: str) -> str:
    """Trailing spaces and trailing blank lines ignored; CUDA device suffixes in tensor reprs dropped."""
    text = DEVICE_SUFFIX.sub("", text.replace("\r\n", "\n"))
    lines = [line.rstrip() for line in text.split("\n")]
    while lines and not lines[-1]:
        lines.pop()
    while lines and not lines[0]:
        lines.pop(0)
    return "\n".join(lines)


def outputs_match(shown: str, real: str, rtol: float | None) -> bool:
    a, b = normalise_output(shown), normalise_output(real)
    if a == b:
        return True
    if rtol is None:
        return False
    if NUM.sub("#", a).split() != NUM.sub("#", b).split():
        return False
    na, nb = [float(x) for x in NUM.findall(a)], [float(x) for x in NUM.findall(b)]
    return len(na) == len(nb) and all(abs(x - y) <= rtol * max(abs(x), abs(y)) + 1e-12 for x, y in zip(na, nb))


def output_diff(shown: str, real: str) -> str:
    diff = difflib.unified_diff(normalise_output(shown).split("\n"), normalise_output(real).split("\n"),
                                "shown", "real", lineterm="", n=1)
    lines = list(diff)[2:]
    return "\n".join(lines[:12]) + ("\n…" if len(lines) > 12 else "")


def rewrite_outputs(path, replacements) -> bool:
    """Replace the lines of output blocks (fence lines excluded) and insert missing ones, bytes elsewhere kept.

    `replacements`: list of (run_block_end_line, output_block_or_None, new_text), 1-based file lines.
    """
    raw = path.read_bytes()
    text = raw.decode("utf-8")
    crlf = "\r\n" in text
    lines = text.split("\n")
    for end_line, out, new in sorted(replacements, key=lambda r: -(r[1].line if r[1] else r[0])):
        body = normalise_output(new).split("\n") if normalise_output(new) else []
        if crlf:
            body = [b + "\r" for b in body]
        if out is not None:
            lines[out.line:out.end_line - 1] = body
        else:
            fence = ["", "```{.output}", *body, "```"]
            lines[end_line:end_line] = [f + ("\r" if crlf and f else "") for f in fence]
    new_text = "\n".join(lines)
    if new_text != text:
        path.write_bytes(new_text.encode("utf-8"))
        return True
    return False
