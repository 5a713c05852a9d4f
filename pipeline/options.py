"""Typed options, built once by the CLI from its flags, book.yaml and the environment; stages read only these.

The one environment variable read elsewhere is SOURCE_DATE_EPOCH (pipeline.prepare.build_meta), by convention.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

@dataclass(frozen=True)
class BuildOptions:
    langs: tuple  # editions to build, in the book's order
    formats: tuple  # pdf, epub, html, anki
    jobs: int  # worker processes (PDF parts, formulas)
    out_dir: Path  # where the published set goes
    pdf_layout: str = "parts"  # parts: chapters laid out in parallel and joined; single: one document
    recto_chapters: bool = False  # chapters start on a recto page (PDF)
    pdf_tags: bool = True  # a tagged PDF (DL500_PDF_TAGS=0 turns it off, to measure its cost)
    pdf_part_limit_mib: int = 600  # a PDF part whose worker grew past this is a DL902 warning
    keep_going: bool = False  # publish despite errors
    run_claims: bool = True  # html: run the claims (cached) so the marks tell the truth
    lock_wait_s: float = 900.0  # how long a build waits for another one writing the same folder


class OptionsError(ValueError):
    """A flag or setting that cannot be used; the message says which and what is allowed."""


def build_options(book, *, langs=None, formats=None, jobs=0, out=None, pdf_layout=None, keep_going=False,
                  no_claims=False, environ=os.environ) -> BuildOptions:
    """Flags first, then book.yaml, then the environment (DL500_PDF_LAYOUT, DL500_PDF_RECTO, DL500_PDF_TAGS,
    DL500_PDF_PART_LIMIT_MIB, DL500_BUILD_LOCK_WAIT_S), then defaults."""
    chosen = [lang for lang in (langs or list(book.languages)) if lang in book.languages]
    if not chosen:
        raise OptionsError(f"--lang must be one of {', '.join(book.languages)}")
    layout = pdf_layout or environ.get("DL500_PDF_LAYOUT", "parts")
    recto = bool(book.options.get("recto_chapters")) or environ.get("DL500_PDF_RECTO") == "1"
    wait = _number(environ, "DL500_BUILD_LOCK_WAIT_S", "900", "a number of seconds")
    limit = int(_number(environ, "DL500_PDF_PART_LIMIT_MIB", "600", "a whole number of MiB"))
    return BuildOptions(langs=tuple(chosen), formats=tuple(formats or ("pdf", "epub")), jobs=jobs or os.cpu_count() or 1,
                        out_dir=Path(out).resolve() if out else book.root.parent / "build",
                        pdf_layout="single" if layout == "single" else "parts", recto_chapters=recto,
                        pdf_tags=environ.get("DL500_PDF_TAGS", "1") != "0", pdf_part_limit_mib=limit,
                        keep_going=keep_going, run_claims=not no_claims, lock_wait_s=wait)


def _number(environ, name: str, default: str, what: str) -> float:
    try:
        return float(environ.get(name, default))
    except ValueError:
        raise OptionsError(f"{name} must be {what}") from None
