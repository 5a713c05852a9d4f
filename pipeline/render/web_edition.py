"""The web edition's renderer (render.site builds the pages; this runs the claims first so the marks tell the
truth, and hands the site what prepare made)."""

from __future__ import annotations

from .registry import Rendered, RenderTarget


def render(prepared, options, target: RenderTarget) -> Rendered:
    from .site import pagefind_available, write_site
    from .site_claims import claims_for_site
    book = prepared.book
    if not pagefind_available():
        target.on_event("dl500: the web edition is built without search: install pagefind[extended]")
    claims = claims_for_site(book, run=options.run_claims, jobs=options.jobs, quiet=True)
    target.on_event(claims.summary)
    target.on_event("web edition")
    claim_files = [options.out_dir / "claims.json", book.root.parent / "build" / "claims.json"]
    files = write_site(prepared, list(options.langs), target.staging / "site", claim_files,
                       claim_states=claims.states) or []
    return Rendered(files=list(files), diagnostics=list(claims.diagnostics))
