"""The web edition's renderer (render.site builds the pages; this runs the claims first so the marks tell the
truth, and hands the site what prepare made)."""

from __future__ import annotations

from .registry import Rendered, RenderTarget


def render(prepared, options, target: RenderTarget) -> Rendered:
    from .site import pagefind_available, write_site
    from .site_claims import claims_for_site
    target.gate()  # the claims run the book's code: only once the book has passed validation
    book = prepared.book
    search = pagefind_available()
    if not search:
        target.on_event("dl500: the web edition is built without search: install pagefind[extended]")
    early = early_indexer(book, target.staging / "site") if search else None
    try:
        claims = claims_for_site(book, run=options.run_claims, jobs=options.jobs, quiet=True)
        target.on_event(claims.summary)
        target.on_event("web edition")
        claim_files = [options.out_dir / "claims.json", book.root.parent / "build" / "claims.json"]
        files = write_site(prepared, list(options.langs), target.staging / "site", claim_files,
                           claim_states=claims.states, early_indexer=early) or []
    finally:
        if early is not None:
            early.close()
    return Rendered(files=list(files), diagnostics=list(claims.diagnostics))


def early_indexer(book, site):
    """The search index's process, started now (site_search.EarlyIndexer) where the site is built cold (a fresh
    staging folder: its index is made in any case) and processes fork."""
    import multiprocessing

    from .site_search import EarlyIndexer, words_cache_path
    if site.exists() or "fork" not in multiprocessing.get_all_start_methods():
        return None
    return EarlyIndexer(words_cache_path(book))
