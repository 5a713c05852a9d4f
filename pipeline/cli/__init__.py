"""Command line: arguments → library calls → exit code.

Exit codes: 0 success; 1 the book has errors (diagnostics printed); 2 usage or environment error.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from .. import __version__
from ..diagnostics import FORMATTERS, has_errors
from .build_view import cmd_build
from .common import EXIT_ERRORS, EXIT_OK, EXIT_USAGE, emit, load_or_exit

def cmd_check(args) -> int:
    from ..validate import validate
    book, diags = load_or_exit(args.path, args.format)
    only = None
    if args.changed_since:
        from ..changes import affected_files
        try:
            only = affected_files(book, args.changed_since)
        except RuntimeError as e:
            print(f"dl500: {e}", file=sys.stderr)
            return EXIT_USAGE
        diags = [d for d in diags if d.file in only]
        from ..changes import changed_since_diagnostics
        diags += changed_since_diagnostics(book, args.changed_since)
    diags += validate(book, only_files=only)
    if not args.no_claims:
        from ..claims import run_claims
        claims = run_claims(book, device="cpu", cache_only=True, quiet=True)  # reads the cache, runs nothing
        diags += [d for d in claims.diagnostics if only is None or d.file in only]
        diags += claims_not_run(book, claims, args.strict)
    if args.online:
        from ..validate.online import check_urls
        diags += check_urls(book)
    emit(diags, args.format, args.quiet)
    if args.changed_since and os.environ.get("GITHUB_STEP_SUMMARY"):
        from ..changes import write_step_summary
        write_step_summary(diags, os.environ["GITHUB_STEP_SUMMARY"])
    return EXIT_ERRORS if has_errors(diags) else EXIT_OK


def claims_not_run(book, claims, strict: bool) -> list:
    """DL723 when the book has claims or runnable blocks and the cache holds no result for any of them:
    then "0 errors" would say nothing about the numbers."""
    if claims.cached or not (claims.claims or claims.blocks):
        return []
    from ..diagnostics import ERROR, WARNING, diag
    from ..load import display_path
    return [diag("DL723", display_path(book.root / "book.yaml", book.root), 1, 1,
                 f"claims were not run: none of the {claims.claims} claim(s) and {claims.blocks} runnable "
                 "block(s) has a result here, so no number in the book was checked",
                 "run `dl500 claims` (results are cached; `dl500 check` then reports them), or pass --no-claims "
                 "to check the text alone", ERROR if strict else WARNING)]


def cmd_claims(args) -> int:
    from ..claims import gpu_present, run_claims
    from ..claims.memo import remember, replay
    from ..diagnostics import Diagnostic
    from ..load import find_book_root
    root = find_book_root(Path(args.path))
    memo_ok = root is not None and not (args.no_cache or args.update_outputs or args.verify_cache)
    options = {"device": args.device, "require": args.require, "require_sandbox": args.require_sandbox,
               "jobs": args.jobs, "gpu": gpu_present()}
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


def cmd_status(args) -> int:
    if args.stamp:
        from ..translation_stamp import stamp_files
        book, _ = load_or_exit(args.path, "text")
        return print_stamped(stamp_files(book, args.stamp))
    from .status_view import run_status
    return run_status(args)


def print_stamped(stamped) -> int:
    for s in stamped:
        if s.source_hash is None:
            print(f"dl500: {s.path}: not a translation with an original", file=sys.stderr)
        else:
            print(f"{s.path}: {s.source_hash}")
    return 1 if any(s.source_hash is None for s in stamped) else 0


def cmd_review(args) -> int:
    from ..review import ReviewRefused, book_root_of, check_reviewer, parse_review_date, review_file
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
    from .serve_view import run
    return run(args)


def cmd_doctor(args) -> int:
    """What the build needs, what is here, and the install command for each missing piece; 2 when a required
    piece is missing."""
    import json

    from ..doctor import examine
    findings = examine()
    if args.format == "json":
        sys.stdout.write(json.dumps([{"name": f.requirement.name, "needed_for": f.requirement.needed_for,
                                      "required": f.requirement.required, "found": f.found,
                                      "install": None if f.ok else f.requirement.install} for f in findings],
                                    ensure_ascii=False, indent=2) + "\n")
    else:
        for f in findings:
            mark = "ok     " if f.ok else ("MISSING" if f.requirement.required else "absent ")
            print(f"{mark} {f.requirement.name}: {f.found if f.ok else f.requirement.needed_for}")
            if not f.ok:
                print(f"        install: {f.requirement.install}")
        missing = [f for f in findings if not f.ok and f.requirement.required]
        print(f"{len(missing)} required piece(s) missing" if missing else "everything the build needs is here")
    return EXIT_USAGE if any(not f.ok and f.requirement.required for f in findings) else EXIT_OK


def bash_completion(parser: argparse.ArgumentParser) -> str:
    """A bash completion script generated from the parser itself: commands, then each command's options,
    then file names."""
    commands = next(a.choices for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    lines = ["# bash completion for dl500: source <(dl500 completion bash)", "_dl500() {",
             '  local cur=${COMP_WORDS[COMP_CWORD]} opts',
             '  if [[ $COMP_CWORD -eq 1 ]]; then',
             f'    COMPREPLY=($(compgen -W "{" ".join(commands)} --help --version" -- "$cur")); return',
             '  fi', '  case ${COMP_WORDS[1]} in']
    for name, sp in commands.items():
        opts = " ".join(sorted(o for a in sp._actions for o in a.option_strings))
        lines.append(f'    {name}) opts="{opts}" ;;')
    lines += ['    *) opts="" ;;', '  esac', '  if [[ $cur == -* ]]; then',
              '    COMPREPLY=($(compgen -W "$opts" -- "$cur"))', '  else',
              '    COMPREPLY=($(compgen -f -- "$cur"))', '  fi', '}', 'complete -o filenames -F _dl500 dl500']
    return "\n".join(lines) + "\n"


def cmd_completion(args) -> int:
    sys.stdout.write(bash_completion(build_parser()))
    return EXIT_OK


def cmd_clean(args) -> int:
    from .clean_view import run_clean
    return run_clean(args)


def cmd_import(args) -> int:
    from .import_view import run_import
    return run_import(args)


# Shown at the end of `dl500 COMMAND --help`: commands a reader can copy as they are.
EXAMPLES = {
    "check": "dl500 check                      # the book in this folder\n"
             "dl500 check --changed-since origin/main --format github\n"
             "dl500 check --strict             # claims that were never run are an error",
    "claims": "dl500 claims                     # every check, cached by content\n"
              "dl500 claims --device cpu --jobs 2\n"
              "dl500 claims --require cuda      # on a GPU machine: fail if CUDA is missing",
    "build": "dl500 build                      # both languages, PDF and EPUB\n"
             "dl500 build --lang en --format pdf\n"
             "dl500 build --format html --keep-going",
    "status": "dl500 status\n"
              "dl500 status --since v0.1.0 --no-history\n"
              "dl500 status --stamp source/ch01-math/math-clt-lln.en.md",
    "review": "dl500 review source/ch01-math/math-clt-lln.en.md --by 'Jane Doe-Example University'",
    "serve": "dl500 serve                      # http://127.0.0.1:8500/\n"
             "dl500 serve --lang zh --port 9000",
    "import": "dl500 import ../DeepLearning-500-questions --out imported\n"
              "dl500 import ../DeepLearning-500-questions --out imported --update --dry-run\n"
              "dl500 import ../DeepLearning-500-questions --out imported --chapters 1-3",
    "clean": "dl500 clean                      # the whole cache of the book in this folder\n"
             "dl500 clean --older-than 30      # only what no build used for 30 days",
    "doctor": "dl500 doctor\n"
              "dl500 doctor --format json",
    "completion": "dl500 completion bash > ~/.local/share/bash-completion/completions/dl500\n"
                  "source <(dl500 completion bash)    # this shell only",
}


def add_command(sub, name: str, help: str, func):
    """A subcommand whose --help ends with examples."""
    sp = sub.add_parser(name, help=help, description=help[0].upper() + help[1:] + ".",
                        epilog="examples:\n" + "\n".join("  " + line for line in EXAMPLES[name].splitlines()),
                        formatter_class=argparse.RawDescriptionHelpFormatter)
    sp.set_defaults(func=func)
    return sp


def common_arguments(sp, formats=True):
    """PATH and -q for a command that reads a book; --format where it prints diagnostics."""
    sp.add_argument("path", nargs="?", default=".", help="project folder or the folder holding book.yaml")
    sp.add_argument("-q", "--quiet", action="store_true", help="print only problems")
    if formats:
        sp.add_argument("--format", choices=sorted(FORMATTERS), default="text",
                        help="how diagnostics are printed: text (default, on stderr), github (workflow "
                             "annotations), json or junit (on stdout)")


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="dl500", description="Check, run and publish Deep Learning 500 Questions.",
                                epilog="`dl500 COMMAND --help` shows each command's options and examples.")
    p.add_argument("--version", action="version", version=f"dl500 {__version__}", help="print the version")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for add in (add_check, add_claims, add_build, add_status, add_review, add_serve, add_import, add_clean,
                add_doctor, add_completion):
        add(sub)
    return p


def add_check(sub) -> None:
    c = add_command(sub, "check", "validate the source of record", cmd_check)
    common_arguments(c)
    c.add_argument("--changed-since", metavar="REF", help="check only what changed since a git ref and what it affects")
    c.add_argument("--no-claims", action="store_true", help="do not report cached claim results")
    c.add_argument("--online", action="store_true", help="also check external URLs (cached; never by default)")
    c.add_argument("--strict", action="store_true",
                   help="make claims that were never run an error (DL723) instead of a warning")


def add_claims(sub) -> None:
    cl = add_command(sub, "claims", "run the checks behind numeric claims and runnable code", cmd_claims)
    common_arguments(cl)
    cl.add_argument("--device", choices=["cpu", "cuda", "all"], default="all",
                    help="where to run: cpu, cuda or all (default: all; cuda is skipped without a GPU)")
    cl.add_argument("--jobs", type=int, default=0, help="worker processes (default: the core count)")
    cl.add_argument("--require", choices=["cuda"], help="fail when the named device is missing")
    cl.add_argument("--no-cache", action="store_true", help="run every check again")
    cl.add_argument("--update-outputs", action="store_true", help="rewrite .output blocks from a real CPU run")
    cl.add_argument("--require-sandbox", action="store_true",
                    help="refuse to run contributor code without the bubblewrap sandbox (CI uses this)")
    cl.add_argument("--verify-cache", type=int, default=0, metavar="N",
                    help="run N results that came from the cache again and report any that disagree (-1: all)")


def add_build(sub) -> None:
    b = add_command(sub, "build", "build the PDF and EPUB editions and the translation report", cmd_build)
    common_arguments(b, formats=False)
    b.add_argument("--lang", action="append", help="zh or en (repeatable; default: all)")
    from ..render.registry import FORMATS
    b.add_argument("--format", dest="formats", action="append", choices=list(FORMATS),
                   help="pdf, epub, html or anki (repeatable; default: pdf and epub)")
    b.add_argument("--jobs", type=int, default=0, help="PDF parts laid out at once (default: the core count)")
    b.add_argument("--keep-going", action="store_true", help="publish despite validation errors, and say what")
    b.add_argument("--pdf-layout", choices=["parts", "single"], default=None,
                   help="parts (default): chapters laid out in parallel and joined; single: one document")
    b.add_argument("--out", default=None, help="output folder (default: build/ beside source/)")
    b.add_argument("--no-claims", action="store_true",
                   help="html: do not run the claims first (cached); the site's claim marks then say \"not run yet\"")


def add_status(sub) -> None:
    s = add_command(sub, "status", "translation status report", cmd_status)
    common_arguments(s, formats=False)
    s.add_argument("--since", metavar="REF", help="what changed since a git ref")
    s.add_argument("--stamp", metavar="FILE", action="append", help="record the original's current hash in a translation")
    s.add_argument("--out", default=None,
                   help="folder for translation-status.{html,json,md} and the badge (default: build/)")
    s.add_argument("--no-history", action="store_true", help="skip the chart computed from git history")
    s.add_argument("--by-topic", action="store_true", help="also print questions, translated and reviewed per topic")


def add_review(sub) -> None:
    rv = add_command(sub, "review", "record that a second person reviewed a question file", cmd_review)
    rv.add_argument("files", nargs="+", metavar="FILE", help="question files (<id>.<lang>.md)")
    rv.add_argument("--by", required=True, metavar="NAME", help="the reviewer, as Name-Affiliation")
    rv.add_argument("--on", metavar="YYYY-MM-DD", help="the review date (default: today)")
    rv.add_argument("--book", metavar="PATH", help="the book folder (default: found above each file)")


def add_serve(sub) -> None:
    sv = add_command(sub, "serve", "preview the web edition, rebuilding what changed on save", cmd_serve)
    sv.add_argument("path", nargs="?", default=".", help="project folder or the folder holding book.yaml")
    sv.add_argument("--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1, this machine)")
    sv.add_argument("--port", type=int, default=8500, help="port to listen on (default: 8500)")
    sv.add_argument("--lang", action="append", help="zh or en (repeatable; default: all)")
    sv.add_argument("-q", "--quiet", action="store_true", help="print only problems")


def add_import(sub) -> None:
    i = add_command(sub, "import", "import a legacy Markdown book", cmd_import)
    i.add_argument("legacy", help="the legacy repository (chNN_<title>/ chapter folders at its top)")
    i.add_argument("--out", required=True, metavar="DIR",
                   help="where the book goes: an empty or absent folder, or an earlier import with --update")
    i.add_argument("--chapters", metavar="SPEC", help="chapter numbers to take, e.g. 1-18 or 1,3,5")
    i.add_argument("--variants", metavar="FILE", help="YAML mapping chapter number -> folder, for doubled chapters")
    i.add_argument("--update", action="store_true",
                   help="re-import into an earlier import: keep its ids and the maintainers' edits; stop with a "
                        "list when both sides changed a file")
    i.add_argument("--dry-run", action="store_true",
                   help="print what would be created, updated, deleted or is in conflict; write nothing")
    i.add_argument("--resolve", choices=["mine", "legacy"],
                   help="with --update, for files both sides changed: keep the edited file (mine) or take the "
                        "legacy text (legacy); default: stop and list them")
    i.add_argument("-q", "--quiet", action="store_true", help="print nothing on success")


def add_clean(sub) -> None:
    from .clean_view import days as clean_days
    cn = add_command(sub, "clean", "remove cached results (.dl500-cache) and say how much was freed", cmd_clean)
    cn.add_argument("path", nargs="?", default=".", help="project folder or the folder holding book.yaml")
    cn.add_argument("--older-than", type=clean_days, metavar="DAYS",
                    help="remove only entries no build used for DAYS days (default: everything)")


def add_doctor(sub) -> None:
    d = add_command(sub, "doctor", "list what the build needs, what is missing and how to install it", cmd_doctor)
    d.add_argument("--format", choices=["text", "json"], default="text", help="text (default) or json")


def add_completion(sub) -> None:
    co = add_command(sub, "completion", "print a shell completion script", cmd_completion)
    co.add_argument("shell", choices=["bash"], help="the shell to complete in (bash)")


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except SystemExit as e:
        if isinstance(e.code, int):
            return e.code
        if e.code:  # a message: say it (it used to vanish, leaving a bare exit 2)
            print(e.code, file=sys.stderr)
        return EXIT_USAGE
    except NotImplementedError as e:
        print(f"dl500 {args.command}: {e}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        return 130


def run() -> None:
    """The `dl500` command: main(), then out without tearing the interpreter down. A build holds the whole book,
    its editions and their HTML; freeing them object by object took ~0.13 s of every build, after its work was
    done. Output is flushed first; the pools and the forkserver are gone by then (each ends with its build), and
    an exception still leaves the ordinary way, with its traceback."""
    code = main()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # a closed pipe (`dl500 … | head`), a closed stream: nothing more to say
            pass
    os._exit(code if isinstance(code, int) else 0)
