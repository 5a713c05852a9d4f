"""The contributor gate: what a change since a git ref touches, the renumbering guard, the CI job summary."""

from __future__ import annotations

import io
import re
import subprocess
import tarfile
import tempfile
from collections import defaultdict
from contextlib import contextmanager
from pathlib import Path

from ruamel.yaml import YAML

from .diagnostics import ERROR, NOTE, WARNING, Diagnostic, counts, diag
from .load import QUESTION_FILE
from .model import iter_question_refs

FIGURE_ID = re.compile(r"\{#(fig:[^\s}]+)")
ID_LINK = re.compile(r"\]\(#([^)\s]+)\)")
MAX_TABLE_ROWS = 25


# --- git -------------------------------------------------------------------------------------------------

def git(repo: Path, *args: str, check: bool = True, text: bool = True):
    """Run git in `repo`; return stdout (str, or bytes with text=False). Raises RuntimeError when it fails."""
    try:
        r = subprocess.run(["git", "-C", str(repo), *args], capture_output=True, text=text, check=False)
    except FileNotFoundError as e:
        raise RuntimeError("git is not installed") from e
    if check and r.returncode != 0:
        err = r.stderr if text else r.stderr.decode("utf-8", "replace")
        raise RuntimeError(f"git {' '.join(args)}: {err.strip()}")
    return r.stdout


def git_toplevel(path: Path) -> Path | None:
    """The work tree holding `path`, or None outside a git repository."""
    try:
        out = git(Path(path), "rev-parse", "--show-toplevel", check=True)
    except RuntimeError:
        return None
    return Path(out.strip()).resolve()


def repo_and_ref(book, ref: str) -> tuple[Path, str]:
    """The book's repository and `ref` resolved to a commit; RuntimeError with a clear message otherwise."""
    top = git_toplevel(book.root)
    if top is None:
        raise RuntimeError(f"{book.root} is not inside a git repository, so there is nothing to compare "
                           f"'{ref}' with")
    try:
        sha = git(top, "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}").strip()
    except RuntimeError:
        sha = ""
    if not sha:
        raise RuntimeError(f"'{ref}' is not a git ref in {top} (in CI, fetch the base branch first: "
                           "actions/checkout with fetch-depth: 0)")
    return top, sha


def show_file(top: Path, rev: str, path: str) -> str | None:
    """A file's text at a revision, or None when it did not exist there."""
    r = subprocess.run(["git", "-C", str(top), "show", f"{rev}:{path}"], capture_output=True, check=False)
    return r.stdout.decode("utf-8", "replace") if r.returncode == 0 else None


def repo_path(top: Path, path: Path) -> str:
    """A path as git names it: relative to the work tree, with forward slashes."""
    return Path(path).resolve().relative_to(top).as_posix()


@contextmanager
def book_at_ref(book, ref: str):
    """Load the book as it was at `ref` (from `git archive` into a temporary folder); yields None if absent."""
    from .load import LoadError, load_book
    top, sha = repo_and_ref(book, ref)
    root_rel = repo_path(top, book.root)
    with tempfile.TemporaryDirectory(prefix="dl500-ref-") as tmp:
        try:
            data = git(top, "archive", "--format=tar", sha, "--", root_rel, text=False)
        except RuntimeError:
            yield None  # the book folder did not exist at that ref
            return
        with tarfile.open(fileobj=io.BytesIO(data)) as tar:
            tar.extractall(tmp, filter="data")
        try:
            old, _ = load_book(Path(tmp) / root_rel)
        except LoadError:
            old = None
        yield old


# --- which files a change affects ------------------------------------------------------------------------

def changed_paths(top: Path, sha: str, root_rel: str) -> tuple[set[str], set[str]]:
    """(changed or added, deleted) paths under the book folder between `sha` and the working tree."""
    changed, deleted = set(), set()
    out = git(top, "diff", "--name-status", "--no-renames", sha, "--", root_rel)
    for line in out.splitlines():
        status, _, path = line.partition("\t")
        (deleted if status.startswith("D") else changed).add(path)
    untracked = git(top, "ls-files", "--others", "--exclude-standard", "--", root_rel)
    changed.update(p for p in untracked.splitlines() if p)
    return changed, deleted


def _outline_ids(yaml_text: str) -> set[str]:
    """Every id a chapter.yaml defines: the chapter, its sections, its questions."""
    try:
        data = YAML(typ="safe").load(yaml_text)
    except Exception:  # a broken file at the old ref: it defined nothing we can name
        return set()
    ids = set()
    if not isinstance(data, dict):
        return ids
    if isinstance(data.get("id"), str):
        ids.add(data["id"])

    def walk(items):
        for it in items or []:
            if isinstance(it, str):
                ids.add(it)
            elif isinstance(it, dict):
                if isinstance(it.get("section"), str):
                    ids.add(it["section"])
                walk(it.get("items") if isinstance(it.get("items"), list) else [])
    walk(data.get("outline") if isinstance(data.get("outline"), list) else [])
    return ids


def _question_ids(path: str, text: str) -> set[str]:
    m = QUESTION_FILE.match(Path(path).name)
    ids = {m["qid"]} if m else set()
    return ids | set(FIGURE_ID.findall(text))


def _ids_defined(path: str, text: str | None) -> set[str]:
    if text is None:
        return set()
    if Path(path).name == "chapter.yaml":
        return _outline_ids(text)
    if path.endswith(".md"):
        return _question_ids(path, text)
    return set()


def affected_files(book, ref: str) -> set[str]:
    """Display paths of the files changed since `ref` and of the files whose findings they can change.

    A changed question also affects its other languages (staleness, headings, claims and code are compared
    across them) and the chapter.yaml listing it; a changed or removed id affects every file that refers to
    it. A changed book.yaml affects everything.
    """
    top, sha = repo_and_ref(book, ref)
    root_rel = repo_path(top, book.root)
    changed, deleted = changed_paths(top, sha, root_rel)

    files = {}  # repo path -> display path, for every file of the current book
    for qt in book.texts.values():
        files[repo_path(top, qt.path)] = qt.rel
    for ch in book.chapters:
        files[repo_path(top, ch.directory / "chapter.yaml")] = ch.pos.file
    book_yaml = repo_path(top, book.root / "book.yaml")
    files[book_yaml] = book.pos.file

    if book_yaml in changed | deleted:
        return set(files.values())

    out = {files[p] for p in changed if p in files}
    ids = set()
    for p in changed | deleted:
        ids |= _ids_defined(p, show_file(top, sha, p))
        if p in files:
            ids |= _ids_defined(p, (top / p).read_text("utf-8", errors="replace"))
    qids = {QUESTION_FILE.match(Path(p).name)["qid"] for p in changed | deleted if QUESTION_FILE.match(Path(p).name)}

    for (qid, _), qt in book.texts.items():
        if qid in qids or ids & set(ID_LINK.findall(qt.body)):
            out.add(qt.rel)
    for ch in book.chapters:
        if qids & {r.qid for r in iter_question_refs(ch.items)}:
            out.add(ch.pos.file)
    return out


# --- renumbering guard -----------------------------------------------------------------------------------

def question_numbers(book) -> dict[str, tuple[str, object, object]]:
    """qid -> (derived number, chapter, QuestionRef), first occurrence wins."""
    out = {}
    for ch, ref in book.questions():
        out.setdefault(ref.qid, (ref.number, ch, ref))
    return out


def renumbering_diagnostics(old_book, new_book) -> list[Diagnostic]:
    """DL310 per chapter whose existing questions changed number; an error when numbering is frozen."""
    if old_book is None:
        return []
    old = question_numbers(old_book)
    new = question_numbers(new_book)
    moved = defaultdict(list)  # new chapter -> [(old number, new number, qid, ref)]
    for qid, (num, ch, ref) in new.items():
        if qid in old and old[qid][0] != num:
            moved[ch.cid].append((old[qid][0], num, qid, ref, ch))
    frozen = bool(new_book.options.get("freeze_numbering"))
    out = []
    for rows in moved.values():
        rows.sort(key=lambda r: [int(x) for x in r[1].split(".")])
        first = rows[0]
        ch, ref = first[4], first[3]
        width = max(len(r[0]) for r in rows)
        table = [f"  {r[0]:>{width}} -> {r[1]}  {r[2]}" for r in rows[:MAX_TABLE_ROWS]]
        if len(rows) > MAX_TABLE_ROWS:
            table.append(f"  ... and {len(rows) - MAX_TABLE_ROWS} more")
        msg = (f"{len(rows)} existing question(s) in chapter {ch.number} '{ch.cid}' change number "
               f"(old -> new):\n" + "\n".join(table))
        if frozen:
            hint = ("book.yaml sets options.freeze_numbering: this edition is published and readers cite its "
                    "numbers; add new questions at the end of their section or chapter instead")
        else:
            hint = ("readers and other books cite these numbers; if the move is wanted, say so in the pull "
                    "request; otherwise add new questions at the end of their section")
        out.append(diag("DL310", ref.pos.file, ref.pos.line, ref.pos.col, msg, hint,
                        ERROR if frozen else WARNING))
    return out


def changed_since_diagnostics(book, ref: str) -> list[Diagnostic]:
    """The gate's own findings for a change since `ref`: the renumbering guard."""
    with book_at_ref(book, ref) as old:
        return renumbering_diagnostics(old, book)


# --- CI job summary --------------------------------------------------------------------------------------

def _md_cell(s: str) -> str:
    return s.replace("|", "\\|").replace("\n", "<br>")


def format_step_summary(diags) -> str:
    c = counts(diags)
    icon = "❌" if c[ERROR] else ("⚠️" if c[WARNING] else "✅")
    lines = [f"### {icon} dl500 check", "",
             f"{c[ERROR]} error(s), {c[WARNING]} warning(s), {c[NOTE]} note(s) in the changed files and "
             "what they affect.", ""]
    if diags:
        lines += ["| where | severity | code | message |", "|---|---|---|---|"]
        ordered = sorted(diags, key=lambda d: ({ERROR: 0, WARNING: 1}.get(d.severity, 2), d.sort_key()))
        for d in ordered[:100]:
            msg = d.message + (f" — hint: {d.hint}" if d.hint else "")
            lines.append(f"| `{d.file}:{d.line}` | {d.severity} | {d.code} | {_md_cell(msg)} |")
        if len(ordered) > 100:
            lines.append(f"\n… and {len(ordered) - 100} more; see the job log.")
    return "\n".join(lines) + "\n\n"


def write_step_summary(diags, path) -> None:
    """Append a Markdown summary of the findings to $GITHUB_STEP_SUMMARY (GitHub shows it on the run page)."""
    with open(path, "a", encoding="utf-8") as f:
        f.write(format_step_summary(diags))


__all__ = ["affected_files", "renumbering_diagnostics", "changed_since_diagnostics", "write_step_summary",
           "book_at_ref", "git_toplevel", "show_file"]
