"""Command line: arguments → library calls → exit code.

Exit codes: 0 success; 1 the book has errors (diagnostics printed); 2 usage or environment error.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from . import __version__
from .diagnostics import FORMATTERS, has_errors

EXIT_OK, EXIT_ERRORS, EXIT_USAGE = 0, 1, 2


def emit(diags, fmt: str, quiet: bool = False) -> None:
    """Diagnostics go to stderr in text form, to stdout in machine formats (they are the result)."""
    if fmt == "text":
        if diags or not quiet:
            sys.stderr.write(FORMATTERS["text"](diags))
    else:
        sys.stdout.write(FORMATTERS[fmt](diags))


def load_or_exit(path, fmt):
    from .load import LoadError, load_book
    try:
        return load_book(Path(path))
    except LoadError as e:
        emit(e.diagnostics, fmt)
        raise SystemExit(EXIT_USAGE if e.diagnostics and e.diagnostics[0].code == "DL208" else EXIT_ERRORS) from None


def cmd_check(args) -> int:
    from .validate import validate
    book, diags = load_or_exit(args.path, args.format)
    only = None
    if args.changed_since:
        from .gate import affected_files
        try:
            only = affected_files(book, args.changed_since)
        except RuntimeError as e:
            print(f"dl500: {e}", file=sys.stderr)
            return EXIT_USAGE
        diags = [d for d in diags if d.file in only]
        from .gate import changed_since_diagnostics
        diags += changed_since_diagnostics(book, args.changed_since)
    diags += validate(book, only_files=only)
    if not args.no_claims:
        from .claims import cached_claim_diagnostics
        diags += [d for d in cached_claim_diagnostics(book) if only is None or d.file in only]
    if args.online:
        from .validate.online import check_urls
        diags += check_urls(book)
    emit(diags, args.format, args.quiet)
    if args.changed_since and os.environ.get("GITHUB_STEP_SUMMARY"):
        from .gate import write_step_summary
        write_step_summary(diags, os.environ["GITHUB_STEP_SUMMARY"])
    return EXIT_ERRORS if has_errors(diags) else EXIT_OK


def cmd_claims(args) -> int:
    from .claims import run_claims
    from .claims.memo import remember, replay
    from .diagnostics import Diagnostic
    from .load import find_book_root
    root = find_book_root(Path(args.path))
    memo_ok = root is not None and not (args.no_cache or args.update_outputs or args.verify_cache)
    options = {"device": args.device, "require": args.require, "require_sandbox": args.require_sandbox,
               "jobs": args.jobs, "gpu": os.path.exists("/dev/nvidiactl")}
    hit = replay(root, options) if memo_ok else None
    if hit is not None:
        diags = [Diagnostic(**d) for d in hit[0]]
        emit(diags, args.format, args.quiet)
        if not args.quiet:
            sys.stdout.write(hit[1] + "\n")
        return EXIT_ERRORS if has_errors(diags) else EXIT_OK
    book, diags = load_or_exit(args.path, args.format)
    result = run_claims(book, device=args.device, jobs=args.jobs, require_cuda=args.require == "cuda",
                        use_cache=not args.no_cache, quiet=args.quiet, update_outputs=args.update_outputs,
                        require_sandbox=args.require_sandbox, verify_cache=args.verify_cache)
    diags = [d for d in diags if d.severity == "error"] + result.diagnostics
    if memo_ok and not has_errors(diags):  # a failure may depend on the machine (a timeout): always re-run it
        remember(book.root, book.checks_dir, options, diags, result)
    emit(diags, args.format, args.quiet)
    if not args.quiet:
        sys.stdout.write(result.summary() + "\n")
    return EXIT_ERRORS if has_errors(diags) else EXIT_OK


def cmd_build(args) -> int:
    from .build import build_book
    book, diags = load_or_exit(args.path, "text")
    return build_book(book, diags, args)


def cmd_status(args) -> int:
    if args.stamp:
        from .stamp import stamp_files
        book, _ = load_or_exit(args.path, "text")
        return stamp_files(book, args.stamp)
    from .status import run_status
    return run_status(args)


def cmd_review(args) -> int:
    from .review import ReviewRefused, book_root_of, check_reviewer, parse_review_date, review_file
    why = check_reviewer(args.by)
    try:
        on = parse_review_date(args.on)
    except ValueError as e:
        why = why or str(e)
    if why:
        print(f"dl500 review: {why}", file=sys.stderr)
        return EXIT_USAGE
    books, bad = {}, 0
    for f in args.files:
        path = Path(f)
        root = Path(args.book) if args.book else book_root_of(path)
        if root is None or not path.is_file():
            print(f"dl500 review: {f}: not a file inside a book (no book.yaml above it)", file=sys.stderr)
            bad += 1
            continue
        if root not in books:
            books[root] = load_or_exit(root, "text")[0]
        try:
            result = review_file(books[root], path, args.by, on)
        except ReviewRefused as e:
            print(f"dl500 review: {f}: {e}", file=sys.stderr)
            bad += 1
            continue
        print(f"{f}: {result.against}")
    return EXIT_ERRORS if bad else EXIT_OK


def cmd_serve(args) -> int:
    from .serve import run_serve
    return run_serve(args)


def cmd_import(args) -> int:
    from .importer import run_import
    return run_import(args)


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="dl500", description="Check, run and publish Deep Learning 500 Questions.")
    p.add_argument("--version", action="version", version=f"dl500 {__version__}")
    sub = p.add_subparsers(dest="command", required=True)

    def common(sp, formats=True):
        sp.add_argument("path", nargs="?", default=".", help="project folder or the folder holding book.yaml")
        sp.add_argument("-q", "--quiet", action="store_true", help="print only problems")
        if formats:
            sp.add_argument("--format", choices=sorted(FORMATTERS), default="text")

    c = sub.add_parser("check", help="validate the source of record")
    common(c)
    c.add_argument("--changed-since", metavar="REF", help="check only what changed since a git ref and what it affects")
    c.add_argument("--no-claims", action="store_true", help="do not report cached claim results")
    c.add_argument("--online", action="store_true", help="also check external URLs (cached; never by default)")
    c.set_defaults(func=cmd_check)

    cl = sub.add_parser("claims", help="run the checks behind numeric claims and runnable code")
    common(cl)
    cl.add_argument("--device", choices=["cpu", "cuda", "all"], default="all")
    cl.add_argument("--jobs", type=int, default=0, help="worker processes (default: the core count)")
    cl.add_argument("--require", choices=["cuda"], help="fail when the named device is missing")
    cl.add_argument("--no-cache", action="store_true", help="run every check again")
    cl.add_argument("--update-outputs", action="store_true", help="rewrite .output blocks from a real CPU run")
    cl.add_argument("--require-sandbox", action="store_true",
                    help="refuse to run contributor code without the bubblewrap sandbox (CI uses this)")
    cl.add_argument("--verify-cache", type=int, default=0, metavar="N",
                    help="run N results that came from the cache again and report any that disagree (-1: all)")
    cl.set_defaults(func=cmd_claims)

    b = sub.add_parser("build", help="build the PDF and EPUB editions and the translation report")
    common(b, formats=False)
    b.add_argument("--lang", action="append", help="zh or en (repeatable; default: all)")
    b.add_argument("--format", dest="formats", action="append", choices=["pdf", "epub", "html", "anki"],
                   help="pdf, epub, html or anki (repeatable; default: pdf and epub)")
    b.add_argument("--jobs", type=int, default=0)
    b.add_argument("--keep-going", action="store_true", help="publish despite validation errors, and say what")
    b.add_argument("--pdf-layout", choices=["parts", "single"], default=None,
                   help="parts (default): chapters laid out in parallel and joined; single: one document")
    b.add_argument("--out", default=None, help="output folder (default: build/ beside source/)")
    b.set_defaults(func=cmd_build)

    s = sub.add_parser("status", help="translation status report")
    common(s, formats=False)
    s.add_argument("--since", metavar="REF", help="what changed since a git ref")
    s.add_argument("--stamp", metavar="FILE", action="append", help="record the original's current hash in a translation")
    s.add_argument("--out", default=None)
    s.add_argument("--no-history", action="store_true", help="skip the chart computed from git history")
    s.add_argument("--by-topic", action="store_true", help="also print questions, translated and reviewed per topic")
    s.set_defaults(func=cmd_status)

    rv = sub.add_parser("review", help="record that a second person reviewed a question file")
    rv.add_argument("files", nargs="+", metavar="FILE", help="question files (<id>.<lang>.md)")
    rv.add_argument("--by", required=True, metavar="NAME", help="the reviewer, as Name-Affiliation")
    rv.add_argument("--on", metavar="YYYY-MM-DD", help="the review date (default: today)")
    rv.add_argument("--book", metavar="PATH", help="the book folder (default: found above each file)")
    rv.set_defaults(func=cmd_review)

    sv = sub.add_parser("serve", help="preview the web edition, rebuilding what changed on save")
    sv.add_argument("path", nargs="?", default=".")
    sv.add_argument("--host", default="127.0.0.1")
    sv.add_argument("--port", type=int, default=8500)
    sv.add_argument("--lang", action="append")
    sv.add_argument("-q", "--quiet", action="store_true")
    sv.set_defaults(func=cmd_serve)

    i = sub.add_parser("import", help="import a legacy Markdown book")
    i.add_argument("legacy", help="the legacy repository")
    i.add_argument("--out", required=True)
    i.add_argument("--chapters", help="chapter numbers to take, e.g. 1-18 or 1,3,5")
    i.add_argument("--variants", help="YAML mapping chapter number -> folder, for doubled chapters")
    i.add_argument("--update", action="store_true", help="re-import into an existing tree, keeping its ids")
    i.add_argument("--dry-run", action="store_true",
                   help="print what would be created, updated, deleted or is in conflict; write nothing")
    i.add_argument("--resolve", choices=["mine", "legacy"],
                   help="with --update, for files both sides changed: keep the edited file (mine) or take the "
                        "legacy text (legacy); default: stop and list them")
    i.add_argument("-q", "--quiet", action="store_true")
    i.set_defaults(func=cmd_import)
    return p


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except SystemExit as e:
        return e.code if isinstance(e.code, int) else EXIT_USAGE
    except NotImplementedError as e:
        print(f"dl500 {args.command}: {e}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        return 130
