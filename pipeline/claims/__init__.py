"""Numeric claims and runnable code (filled by the claims issue)."""


def cached_claim_diagnostics(book) -> list:
    return []


def run_claims(book, **kwargs):
    raise NotImplementedError("not built yet (issue 4)")
