"""The history chart's points are cached by commit (a commit never changes): a later report reads only the new
commits' trees, and gets the points a full read would (issue 21: the translation report in every build)."""

from __future__ import annotations

import json
import shutil

import pytest
from test_status_support import CHAPTER, commit, edit, make_repo

from pipeline import status
from pipeline.load import load_book


@pytest.fixture
def repo(tmp_path):
    return make_repo(tmp_path)


def cache_files(fx) -> list:
    return sorted((fx["repo"] / ".dl500-cache" / "status-history").glob("*.json"))


def uncached_points(fx) -> list:
    book, _ = load_book(fx["source"])
    return status.commit_points(book, fx["repo"], "source", status.sampled_commits(fx["repo"], "source", 30))


def trees_read(monkeypatch) -> list:
    """The commits whose tree a report lists (git ls-tree)."""
    seen, git = [], status._git

    def spy(top, *args):
        if args[0] == "ls-tree":
            seen.append(args[2])
        return git(top, *args)
    monkeypatch.setattr(status, "_git", spy)
    return seen


def test_a_second_report_reads_no_tree_and_gets_the_same_points(repo, monkeypatch):
    first = status.build_report(load_book(repo["source"])[0])["history"]
    assert first == uncached_points(repo) and len(cache_files(repo)) == 3
    seen = trees_read(monkeypatch)
    again = status.build_report(load_book(repo["source"])[0])["history"]
    assert again == first and seen == []


def test_a_new_commit_reads_only_its_own_tree(repo, monkeypatch):
    status.build_report(load_book(repo["source"])[0])
    shutil.copy(repo["repo"] / CHAPTER / "beta.en.md", repo["repo"] / CHAPTER / "epsilon.en.md")
    edit(repo["repo"] / CHAPTER / "epsilon.en.md", "id: beta", "id: epsilon")
    new = commit(repo["repo"], "epsilon translated (not stamped: stale)", 1_700_300_000)
    seen = trees_read(monkeypatch)
    hist = status.build_report(load_book(repo["source"])[0])["history"]
    assert seen == [new]
    assert hist == uncached_points(repo)
    assert hist[-1]["commit"] == new and hist[-1]["languages"]["en"]["stale"] == 2


@pytest.mark.parametrize("planted", ['{"commit": "x"}', "[]", "not json",
                                     '{"commit": "a", "date": "b", "subject": "c", "questions": "5", "languages": {}}'])
def test_a_planted_entry_of_the_wrong_shape_is_a_miss(repo, planted):
    first = status.build_report(load_book(repo["source"])[0])["history"]
    for path in cache_files(repo):
        path.write_text(planted, "utf-8")
    assert status.build_report(load_book(repo["source"])[0])["history"] == first


def test_a_point_for_other_languages_is_a_miss(repo):
    first = status.build_report(load_book(repo["source"])[0])["history"]
    entry = cache_files(repo)[0]
    point = json.loads(entry.read_text("utf-8"))
    point["languages"] = {"fr": {"translated": 1, "reviewed": 0, "stale": 0}}
    entry.write_text(json.dumps(point), "utf-8")
    assert status.build_report(load_book(repo["source"])[0])["history"] == first
