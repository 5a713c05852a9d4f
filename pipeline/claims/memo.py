"""A whole `dl500 claims` run remembered under the hash of every input, so an unchanged book answers at once.

The key covers every byte the run reads: the book's folder (text, YAML, figures), the checks, this pipeline's
own code, the numpy/torch versions, the sandbox kind, the GPU's presence and the run's options. Any change to
any of them, the text included, misses the memo and runs the real comparison; a hit replays the diagnostics
that exact input produced. Nothing here imports torch, parses YAML or starts a worker.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

MEMO_VERSION = "1"
SKIP_DIRS = {"__pycache__", ".git", ".dl500-cache", "build"}


def _hash_tree(h, folder: Path) -> None:
    if not folder.is_dir():
        h.update(b"missing\0" + str(folder).encode())
        return
    for root, dirs, files in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if d not in SKIP_DIRS)
        for name in sorted(files):
            p = os.path.join(root, name)
            h.update(os.path.relpath(p, folder).encode() + b"\0")
            try:
                with open(p, "rb") as f:
                    h.update(hashlib.sha256(f.read()).digest())
            except OSError:
                h.update(b"unreadable")


def run_key(book_root: Path, checks_dir: Path | None, options: dict) -> str:
    from . import versions
    from ..sandbox import sandbox_kind
    h = hashlib.sha256(f"{MEMO_VERSION}\0{versions()}\0{sandbox_kind()}\0".encode())
    h.update(json.dumps(options, sort_keys=True).encode())
    for folder in (book_root, checks_dir, Path(__file__).resolve().parents[1]):
        if folder is not None:
            h.update(b"\0tree\0")
            _hash_tree(h, folder)
    return h.hexdigest()


def memo_path(book_root: Path) -> Path:
    return book_root.parent / ".dl500-cache" / "claims-run.json"


def replay(book_root: Path, options: dict):
    """(diagnostics as dicts, summary line) of the last identical run, or None."""
    from ..cache import read_small_file
    data = read_small_file(memo_path(book_root), 64 * 1024 * 1024)
    try:
        memo = json.loads(data) if data is not None else None
    except ValueError:
        return None
    if not isinstance(memo, dict) or not isinstance(memo.get("counts"), dict):
        return None
    checks = Path(memo["checks_dir"]) if memo.get("checks_dir") else None
    if memo.get("key") != run_key(book_root, checks, options):
        return None
    record = book_root.parent / "build" / "claims.json"
    if not record.is_file() and memo.get("record"):
        record.parent.mkdir(parents=True, exist_ok=True)
        record.write_text(memo["record"], "utf-8")
    c = memo["counts"]
    summary = (f"claims: {c['claims']} claim(s), {c['blocks']} runnable block(s); nothing changed since the last "
               f"run: 0 task(s) run, {c['tasks']} from cache; {c['errors']} error(s)")
    return memo["diagnostics"], summary


def remember(book_root: Path, checks_dir: Path, options: dict, diagnostics: list, result) -> None:
    from dataclasses import asdict
    record = book_root.parent / "build" / "claims.json"
    memo = {"key": run_key(book_root, checks_dir, options), "checks_dir": str(checks_dir),
            "diagnostics": [asdict(d) for d in diagnostics],
            "counts": {"claims": result.claims, "blocks": result.blocks, "tasks": result.ran + result.cached,
                       "errors": sum(1 for d in diagnostics if d.severity == "error")},
            "record": record.read_text("utf-8") if record.is_file() else None}
    path = memo_path(book_root)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}")
    tmp.write_text(json.dumps(memo), "utf-8")
    os.replace(tmp, path)
