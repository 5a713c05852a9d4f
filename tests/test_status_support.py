"""Helpers for the status and gate tests: the fixture book copied into a temporary git repo with history."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

from pipeline.load import load_book
from pipeline.translation_stamp import stamp_file

FIXTURE = Path(__file__).parent / "fixtures" / "status_book"
CHAPTER = "source/ch01-basics"


def git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True, text=True).stdout


def commit(repo: Path, message: str, when: int) -> str:
    """Commit everything with fixed dates, so history charts have distinct, known x positions."""
    git(repo, "add", "-A")
    env_date = f"{when} +0000"
    subprocess.run(["git", "-C", str(repo), "commit", "-q", "-m", message],
                   check=True, capture_output=True,
                   env={**os.environ, "GIT_AUTHOR_DATE": env_date, "GIT_COMMITTER_DATE": env_date})
    return git(repo, "rev-parse", "HEAD").strip()


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text("utf-8")
    assert old in text, (path, old)
    path.write_text(text.replace(old, new, 1), "utf-8")


def make_repo(tmp: Path) -> dict:
    """Three commits: originals only; translations stamped; delta's original edited (delta.en becomes stale).

    Final states of the English translations: alpha reviewed, beta draft, gamma machine, delta stale,
    epsilon missing.
    """
    repo = tmp / "repo"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    git(repo, "config", "user.email", "test@example.org")
    git(repo, "config", "user.name", "Test")
    shutil.copytree(FIXTURE / "source", repo / "source")
    translations = sorted((repo / CHAPTER).glob("*.en.md"))
    held = {p: p.read_text("utf-8") for p in translations}
    for p in translations:
        p.unlink()
    c1 = commit(repo, "originals", 1_700_000_000)
    for p, text in held.items():
        p.write_text(text, "utf-8")
    book, _ = load_book(repo / "source")
    for p in translations:
        assert stamp_file(book, p.resolve())
    c2 = commit(repo, "translate alpha to delta", 1_700_086_400)
    edit(repo / CHAPTER / "delta.zh.md", "第二段说明。", "第二段说明，现在多了一句新的解释。")
    c3 = commit(repo, "expand delta", 1_700_172_800)
    return {"repo": repo, "source": repo / "source", "commits": [c1, c2, c3]}
