"""Read the numbers people write (`61,706`, `60M`, `1.2亿`, `25%`, `4.1 GFLOPs`, `3×3×64`) and compare them with results."""

from __future__ import annotations

import math
import re
from decimal import Decimal, InvalidOperation

MULTIPLIERS = {
    "": 1, "K": 1e3, "k": 1e3, "M": 1e6, "G": 1e9, "B": 1e9, "T": 1e12,
    "Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40,
    "万": 1e4, "亿": 1e8, "thousand": 1e3, "million": 1e6, "billion": 1e9, "trillion": 1e12,
    "%": 1e-2, "‰": 1e-3,
}
NUMBER = re.compile(
    r"(?P<sign>[-−–+]?)\s*(?P<mant>\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?|\.\d+)"
    r"(?:\s*(?:[eE](?P<exp>[-−+]?\d+)|[×x]\s*10\^\{?(?P<exp2>[-−+]?\d+)\}?))?"
    r"\s*(?P<mult>Ki|Mi|Gi|Ti|thousand|million|billion|trillion|[KkMGBT](?![a-z])|[KkMGT](?=FLOP|MAC|B\b|bit)|万|亿|%|‰)?"
)
SEPARATOR = re.compile(r"^\s*(?:[×x*,，/]|,\s)\s*$")


class ClaimTextError(ValueError):
    pass


def parse_claim_numbers(text: str) -> list[tuple[float, float]]:
    """Each number written in the text as (value, half a unit of its last written digit)."""
    cleaned = text.replace("\u2009", " ").replace("\u00a0", " ")
    cleaned = re.sub(r"^\s*(约|大约|近|≈|~|about|approx\.?|roughly)\s*", "", cleaned)
    out = []
    pos = 0
    for m in NUMBER.finditer(cleaned):
        between = cleaned[pos:m.start()]
        if out and not SEPARATOR.match(between) and between.strip():
            break  # stop at prose after the number list (units, words)
        out.append(_value(m))
        pos = m.end()
    if not out:
        raise ClaimTextError(f"no number in claim text '{text}'")
    return out


def _value(m) -> tuple[float, float]:
    mant = m["mant"].replace(",", "")
    try:
        d = Decimal(mant)
    except InvalidOperation as e:  # pragma: no cover - the regex admits only digits
        raise ClaimTextError(str(e)) from e
    exp = m["exp"] or m["exp2"]
    scale = 10.0 ** int(exp.replace("−", "-")) if exp else 1.0
    mult = MULTIPLIERS[m["mult"] or ""]
    sign = -1.0 if m["sign"] in ("-", "−", "–") else 1.0
    half_unit = 0.5 * 10.0 ** d.as_tuple().exponent
    return sign * float(d) * scale * mult, half_unit * scale * mult


def flatten_result(value) -> list[float]:
    """A check's result as a flat list of floats; raises TypeError for anything that is not numeric."""
    if isinstance(value, bool):
        return [float(value)]
    if isinstance(value, (int, float)):
        return [float(value)]
    if hasattr(value, "tolist"):
        value = value.tolist()
    if isinstance(value, (list, tuple)):
        out = []
        for v in value:
            out += flatten_result(v)
        return out
    raise TypeError(f"{type(value).__name__} is not a number")


def pick(values: list[float], index) -> list[float]:
    if index is None:
        return values
    i = int(index)
    if not -len(values) <= i < len(values):
        raise IndexError(f"index={i} but the result has {len(values)} element(s)")
    return [values[i]]


def compare(written: list[tuple[float, float]], actual: list[float], rtol=None, atol=None) -> str | None:
    """None when the written numbers match the result within tolerance; else what differs."""
    if len(written) != len(actual):
        return (f"the text gives {len(written)} number(s) but the check returned {len(actual)}: "
                f"{_fmt_list(actual)}")
    for (w, half), a in zip(written, actual):
        if not math.isfinite(a):
            return f"the check returned {a}"
        # Rounding to the written precision: strictly inside half a unit (0.25 is not "0.3"), unless widened.
        diff = abs(w - a)
        widened = max(float(atol or 0), float(rtol or 0) * abs(a))
        allowed = max(half, widened)
        if not (diff < half * (1 - 1e-12) or diff <= half * 1e-9 or diff <= widened):
            return f"the text says {_fmt(w)} but the check computed {_fmt(a)} (tolerance ±{_fmt(allowed)})"
    return None


def agree(a: list[float], b: list[float], rtol: float = 1e-5, atol: float = 1e-8) -> bool:
    """Equal within tolerance; the same infinity agrees with itself (inf - inf is nan), and so does nan with nan
    (an fp16 overflow computed on CPU and on CUDA gives inf on both)."""
    return len(a) == len(b) and all(_close(x, y, rtol, atol) for x, y in zip(a, b))


def _close(x: float, y: float, rtol: float, atol: float) -> bool:
    if x == y or (math.isnan(x) and math.isnan(y)):
        return True
    if not (math.isfinite(x) and math.isfinite(y)):
        return False
    return abs(x - y) <= atol + rtol * abs(y)


def _fmt(x: float) -> str:
    if x == int(x) and abs(x) < 1e15:
        return f"{int(x):,}"
    return f"{x:.6g}"


def _fmt_list(xs) -> str:
    return ", ".join(_fmt(x) for x in xs[:8]) + (" …" if len(xs) > 8 else "")


def suggest_text(actual: list[float], written_text: str) -> str:
    """What to write instead, at the written precision where possible."""
    if len(actual) == 1:
        a = actual[0]
        m = re.search(r"\.(\d+)", written_text)
        if a == int(a):
            return f"{int(a):,}" if "," in written_text else str(int(a))
        return f"{a:.{len(m.group(1))}f}" if m else f"{a:.4g}"
    return "×".join(_fmt(a) for a in actual)
