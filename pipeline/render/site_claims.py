"""The state of every claim for the web edition, so each mark in a page says passed, failed, CUDA only or not run
yet, with the check, the value computed, the tolerance and when.

`claims_for_site` runs the claims stage first, exactly as `dl500 claims` does (the sandbox, the result cache and
the run memo, so an unchanged book answers at once), then `read_claim_states` reads the states from the claim cache.
"""

from __future__ import annotations

import html as htmllib
import re
from dataclasses import astuple, dataclass, field, fields, replace

PASSED, FAILED, CUDA_ONLY, NOT_RUN = "passed", "failed", "cuda-only", "not-run"

# What pipeline/render/html.py leaves of a claim: its text and the check (module.function) or code variable it cites.
SITE_CLAIM = re.compile(r'<span class="claim"(?: title="guarded by ([^"]+)")?>(.*?)</span>', re.S)


@dataclass(frozen=True)
class ClaimState:
    """One claim of one question text, as the last `dl500 claims` left it."""

    name: str  # the check (module.function) or the variable of the question's runnable code
    state: str  # PASSED, FAILED, CUDA_ONLY, NOT_RUN
    value: str = ""  # what the check or code computed, as shown
    tolerance: str = ""  # ± what the text may differ by
    when: str = ""  # YYYY-MM-DD the check last ran, where the cache knows
    device: str = ""
    problem: str = ""  # why it failed


# The options of a plain `dl500 claims`: the build and that command share one run memo.
MEMO_OPTIONS = {"device": "all", "require": None, "require_sandbox": False, "jobs": 0}


@dataclass
class SiteClaims:
    """What the web edition shows of the claims, and what the build says about them."""

    states: dict  # (qid, lang) -> [ClaimState]
    diagnostics: list = field(default_factory=list)
    summary: str = ""


def claims_for_site(book, run: bool = True, jobs: int = 0, quiet: bool = True) -> SiteClaims:
    """The claim states the site marks. With `run`, the claims stage runs first (see `run_claims_stage`); a claim
    that fails is a warning of the build (the page shows it as failed), never a reason to publish nothing."""
    if not run:
        return SiteClaims(read_claim_states(book), [], "claims: not run (--no-claims); marks say \"not run yet\"")
    diags, summary, replayed = run_claims_stage(book, jobs, quiet)
    from ..diagnostics import ERROR, NOTE, WARNING
    shown = [replace(d, severity=WARNING) if d.severity == ERROR else d for d in diags if d.severity != NOTE]
    return SiteClaims(remembered_claim_states(book) if replayed else read_claim_states(book), shown, summary)


def run_claims_stage(book, jobs: int = 0, quiet: bool = True) -> tuple:
    """(diagnostics, summary line, replayed) of `dl500 claims` on `book`: replayed from the run memo when no input
    changed, else run (contributor code in the sandbox; without bubblewrap with the DL721 warning) and remembered."""
    from ..claims import gpu_present, run_claims
    from ..claims.memo import remember, replay
    from ..diagnostics import Diagnostic, has_errors
    options = {**MEMO_OPTIONS, "gpu": gpu_present()}
    hit = replay(book.root, options)
    if hit is not None:
        return [Diagnostic(**d) for d in hit[0]], hit[1], True
    result = run_claims(book, device="all", jobs=jobs, quiet=quiet, write_record=False)
    if not has_errors(result.diagnostics):  # as `dl500 claims`: a failure may depend on the machine, re-run it
        remember(book.root, book.checks_dir, options, result.diagnostics, result)
    return result.diagnostics, result.summary().split("\n")[0], False


STATES_FORMAT = "dl500 claim states/1"


def claim_states_key(book) -> str | None:
    """What the claim states are a function of, once the run memo was replayed: the memo's bytes (its key covers
    every input of the claims run: the book, the checks, this pipeline's code, the versions, the options) and the
    claim cache folder's identity and last change (writing, replacing or removing an entry changes it; a hit
    writes nothing). None when either cannot be read."""
    import os

    from ..cache import key, read_small_file
    from ..claims import cache_dir
    from ..claims.memo import memo_path
    memo = read_small_file(memo_path(book.root), 64 * 1024 * 1024)
    try:
        st = os.stat(cache_dir(book) / "claims")
    except OSError:
        return None
    return None if memo is None else key(STATES_FORMAT, memo, f"{st.st_dev} {st.st_ino} {st.st_mtime_ns}")


def remembered_claim_states(book) -> dict:
    """read_claim_states(book), kept in the content cache (claim-states) under claim_states_key: an unchanged book
    whose claims were replayed reads one file. An entry of the wrong shape is a miss."""
    from ..cache import ContentCache
    from ..claims import cache_dir
    k = claim_states_key(book)
    cache = ContentCache(cache_dir(book) / "claim-states")
    states = states_from_json(cache.get_json(k)) if k else None
    if states is None:
        states = read_claim_states(book)
        if k:
            cache.put_json(k, [[qid, lang, [list(astuple(st)) for st in sts]] for (qid, lang), sts in states.items()])
    return states


def states_from_json(value) -> dict | None:
    """The states of remembered_claim_states' entry, or None unless every field is where it belongs."""
    width = len(fields(ClaimState))
    try:
        out = {}
        for qid, lang, sts in value:
            if not (isinstance(qid, str) and isinstance(lang, str) and isinstance(sts, list)):
                return None
            if not all(isinstance(st, list) and len(st) == width and all(isinstance(v, str) for v in st)
                       and st[1] in MARK_SYMBOL for st in sts):
                return None
            out[(qid, lang)] = [ClaimState(*st) for st in sts]
        return out
    except (TypeError, ValueError):
        return None


def read_claim_states(book) -> dict:
    """(qid, lang) → [ClaimState] in the order the claims stand in the text. Reads the claim cache only."""
    from ..claims import run_claims
    from ..claims.discover import find_claims
    from ..validate import parsed_body
    res = run_claims(book, cache_only=True, quiet=True)
    claims, _ = find_claims(book, parsed_body)
    failures = {(d.file, d.line, d.col): d.message for d in res.diagnostics if d.severity == "error"}
    checks = {}
    for r in res.records:
        checks.setdefault(r["check"], {})[r["device"]] = r
    code, cuda_units = _cached_code_results(book)
    out: dict = {}
    for c in claims:
        problem = failures.get((c.rel, c.line, c.col))
        if c.check:
            st = _check_claim_state(c, checks.get(c.check, {}), problem)
        else:
            st = _code_claim_state(c, code.get((c.qid, c.lang)), problem, (c.qid, c.lang) in cuda_units)
        out.setdefault((c.qid, c.lang), []).append(st)
    return out


def _cached_code_results(book) -> tuple:
    """((qid, lang) → the cached CPU result of the question's runnable blocks where there is one, the (qid, lang)
    whose blocks run on CUDA only)."""
    from .. import claims as cl
    from ..claims.discover import find_code_units
    from ..validate import parsed_body
    units, _ = find_code_units(book, parsed_body)
    cache = cl.Cache(cl.cache_dir(book) / "claims")
    found = cl._run_code(book, units, ["cpu"], cache, None, cl.task_limits(book), cl.ClaimsResult(), True)
    cuda_units = {(u.qid, u.lang) for u in units if u.device == "cuda"}
    return {(qid, lang): rep for (qid, lang, dev), rep in found.items() if dev == "cpu"}, cuda_units


def _check_claim_state(c, by_device: dict, problem) -> ClaimState:
    ok = [r for dev, r in sorted(by_device.items()) if r.get("status") == "ok"]
    if problem:
        r = ok[0] if ok else next(iter(by_device.values()), {})
        return ClaimState(c.check, FAILED, *_value_and_tolerance(c, r.get("value")), _day(r.get("passed_at")),
                          r.get("device", ""), problem)
    if ok:
        r = ok[-1] if len(ok) > 1 and ok[-1]["device"] == "cuda" else ok[0]
        return ClaimState(c.check, PASSED, *_value_and_tolerance(c, r.get("value")), _day(r.get("passed_at")),
                          r["device"])
    if any(r.get("status") == "not-applicable" for r in by_device.values()):
        return ClaimState(c.check, CUDA_ONLY)
    return ClaimState(c.check, NOT_RUN)


def _code_claim_state(c, rep, problem, cuda_only=False) -> ClaimState:
    if problem:
        val = (rep or {}).get("variables", {}).get(c.var)
        return ClaimState(c.var, FAILED, *_value_and_tolerance(c, val), device="cpu", problem=problem)
    if rep and rep.get("status") == "done" and c.var in rep.get("variables", {}):
        return ClaimState(c.var, PASSED, *_value_and_tolerance(c, rep["variables"][c.var]),
                          _day(rep.get("at")), "cpu")
    return ClaimState(c.var, CUDA_ONLY if cuda_only else NOT_RUN)


def _value_and_tolerance(c, value) -> tuple:
    """(value shown, tolerance shown) of the numbers the claim compares, as the comparison reads them."""
    from ..claims.numbers import _fmt, flatten_result, pick
    if value is None:
        return ("", "")
    try:
        vals = pick(flatten_result(value), c.index)
    except (TypeError, ValueError, IndexError):
        return (str(value)[:60], "")
    shown = ", ".join(_fmt(v) for v in vals[:4]) + (" …" if len(vals) > 4 else "")
    tols = [max(half, float(c.atol or 0), float(c.rtol or 0) * abs(a)) for (_w, half), a in zip(c.written, vals)]
    return (shown, "±" + _fmt(max(tols)) if tols else "")


def _day(stamp) -> str:
    if isinstance(stamp, (int, float)):
        import time
        return time.strftime("%Y-%m-%d", time.gmtime(stamp))
    return str(stamp or "")[:10]


def claims_key(states: list) -> str:
    """A short text that changes whenever a question's claim states change (part of its render key)."""
    return repr(states)


LABELS = {
    "zh": {"sep": "；", "passed": "✓ 通过：{what}", "failed": "✗ 未通过：{what}",
           "cuda-only": "◇ {what} 只在 CUDA 上运行，本机未运行", "not-run": "? {what} 尚未运行",
           "check": "检查 {name}", "var": "本题代码的变量 {name}", "value": "计算值 {value}", "tolerance": "容差 {tolerance}",
           "when": "最近运行 {when}"},
    "en": {"sep": "; ", "passed": "✓ passed: {what}", "failed": "✗ failed: {what}",
           "cuda-only": "◇ {what} runs on CUDA only; not run on this device", "not-run": "? {what} not run yet",
           "check": "check {name}", "var": "the variable {name} of this question's code", "value": "computed {value}",
           "tolerance": "tolerance {tolerance}", "when": "last ran {when}"},
}
MARK_SYMBOL = {PASSED: "✓", FAILED: "✗", CUDA_ONLY: "◇", NOT_RUN: "?"}


def describe(st: ClaimState, lang: str) -> str:
    """The words a mark carries (tooltip and accessible name)."""
    lab = LABELS.get(lang, LABELS["en"])
    what = lab["check" if "." in st.name else "var"].format(name=st.name)
    facts = [lab[k].format(**{k: v}) for k, v in (("value", st.value), ("tolerance", st.tolerance)) if v]
    if st.when:
        facts.append(lab["when"].format(when=st.when + (f" ({st.device})" if st.device else "")))
    if st.problem:
        facts.append(st.problem)
    return lab[st.state].format(what=what) + "".join(lab["sep"] + f for f in facts)


def mark_claims(html: str, states: list, lang: str) -> str:
    """Each claim span of a rendered question becomes a mark of its state; a failed claim also shows why, in the
    text. `states` are the question text's claims in order; a span takes the next state of the same name."""
    queue = list(states)

    def take(name):
        for i, st in enumerate(queue):
            if st.name == name:
                return queue.pop(i)
        return ClaimState(name, NOT_RUN)

    def mark(m):
        name, text = m.group(1), m.group(2)
        if not name:
            return m.group(0)
        name = htmllib.unescape(name)
        st = take(name)
        tip = describe(st, lang)
        e = htmllib.escape
        out = (f'<span class="claim claim-{st.state}" data-check="{e(name)}" data-state="{st.state}">{text}'
               f'<sup class="claim-mark" title="{e(tip)}"><span aria-hidden="true">{MARK_SYMBOL[st.state]}</span>'
               f'<span class="visually-hidden">{e(tip)}</span></sup></span>')
        if st.state == FAILED:
            out += f'<span class="claim-failure" role="note">{e(tip)}</span>'
        return out
    return SITE_CLAIM.sub(mark, html)
