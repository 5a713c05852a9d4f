"""Review records: by a second person, present where a translation claims `reviewed`, and not stale."""

from __future__ import annotations

import datetime

from ..diagnostics import WARNING, diag
from ..model import source_hash


def review_state(qt, original) -> str:
    """reviewed, stale (the original changed since the review) or unreviewed; for either language."""
    if qt.reviewed is None or original is None:
        return "unreviewed"
    return "reviewed" if qt.reviewed.against == source_hash(original) else "stale"


def _pos(qt, key: str):
    return qt.positions.get(key) or qt.positions.get(key.split(".")[0]) or qt.reviewed.pos


def reviewer_diagnostics(qt) -> list:
    from ..review import is_author
    if not is_author(qt.reviewed.by, qt):
        return []
    p = _pos(qt, "reviewed.by")
    return [diag("DL610", qt.rel, p.line, p.col, f"'{qt.reviewed.by}' reviewed a file they wrote or translated",
                 "a review is by a second person: ask someone not among contributors/translators")]


def stale_diagnostics(qt, original) -> list:
    if review_state(qt, original) != "stale":
        return []
    p = _pos(qt, "reviewed.against")
    return [diag("DL612", qt.rel, p.line, p.col,
                 f"review of {qt.reviewed.on} is stale: {original.rel} changed since ({qt.reviewed.against} → "
                 f"{source_hash(original)})",
                 f"review the file again: dl500 review {qt.rel} --by NAME", WARNING)]


def future_date_diagnostics(qt, today: datetime.date) -> list:
    try:
        on = datetime.date.fromisoformat(qt.reviewed.on)
    except ValueError:
        return []  # the schema already rejects what is not YYYY-MM-DD; an impossible date is reported here
    if on <= today + datetime.timedelta(days=1):  # one day of slack for time zones
        return []
    p = _pos(qt, "reviewed.on")
    return [diag("DL613", qt.rel, p.line, p.col, f"review date {qt.reviewed.on} is in the future",
                 "write the day the review was done (YYYY-MM-DD)")]


def impossible_date_diagnostics(qt) -> list:
    try:
        datetime.date.fromisoformat(qt.reviewed.on)
        return []
    except ValueError:
        p = _pos(qt, "reviewed.on")
        return [diag("DL613", qt.rel, p.line, p.col, f"review date {qt.reviewed.on} is not a real date",
                     "write the day the review was done (YYYY-MM-DD)")]


def unrecorded_review_diagnostics(qt) -> list:
    if qt.status != "reviewed" or "reviewed" in qt.meta:  # a malformed record is the schema's DL104
        return []
    p = qt.positions.get("translation") or qt.positions.get("id")
    return [diag("DL611", qt.rel, p.line if p else 1, p.col if p else 1,
                 "translation.status is 'reviewed' but there is no reviewed: record",
                 f"let the reviewer run: dl500 review {qt.rel} --by NAME (or set status: draft)")]


def check(book, body_of) -> list:
    out = []
    today = datetime.datetime.now(datetime.timezone.utc).date()
    for (qid, lang), qt in sorted(book.texts.items()):
        if lang != book.primary:
            out += unrecorded_review_diagnostics(qt)
        if qt.reviewed is None:
            continue
        out += reviewer_diagnostics(qt)
        out += impossible_date_diagnostics(qt) or future_date_diagnostics(qt, today)
        out += stale_diagnostics(qt, book.text(qid, book.primary))
    return out
