"""dl500 status: counts per state, the stale diff, --since, the report files and the HTML in a browser."""

from __future__ import annotations

import json
import re
import shutil
import struct
import subprocess
import zlib
from pathlib import Path
from xml.etree import ElementTree

import jsonschema
import pytest
from test_status_support import CHAPTER, commit, edit, make_repo

from pipeline.cli import main
from pipeline.load import load_book
from pipeline.status import (SINCE_LABELS, build_report, question_entries, since_changes, state_counts,
                             write_status_report)

DOCS = Path(__file__).resolve().parent.parent / "docs" / "status.md"
CHROMIUM = shutil.which("chromium") or ("/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None)


@pytest.fixture(scope="module")
def fx(tmp_path_factory):
    return make_repo(tmp_path_factory.mktemp("status"))


@pytest.fixture(scope="module")
def report_dir(fx, tmp_path_factory):
    book, _ = load_book(fx["source"])
    out = tmp_path_factory.mktemp("report")
    write_status_report(book, out)
    return out


def states(book) -> dict:
    return {(e.qid, e.lang): e.state for e in question_entries(book)}


def test_each_state_is_counted(fx):
    book, _ = load_book(fx["source"])
    assert states(book) == {("alpha", "en"): "reviewed", ("beta", "en"): "draft", ("gamma", "en"): "machine",
                            ("delta", "en"): "stale", ("epsilon", "en"): "missing"}
    c = state_counts(question_entries(book))
    assert c == {"questions": 5, "reviewed": 1, "draft": 1, "machine": 1, "stale": 1, "missing": 1,
                 "translated": 3, "percent_translated": 60.0, "percent_reviewed": 20.0}


def test_chapter_summary_and_translators(fx):
    report = build_report(load_book(fx["source"])[0], history=False)
    (ch,) = report["chapters"]
    assert ch["id"] == "basics" and ch["number"] == "1" and ch["questions"] == 5
    en = ch["languages"]["en"]
    assert (en["reviewed"], en["draft"], en["machine"], en["stale"], en["missing"]) == (1, 1, 1, 1, 1)
    assert en["translators"] == ["Jane Doe-MIT", "Li Hua-Zhejiang University"]  # Jane translated three


def test_stale_translation_shows_the_originals_diff(fx):
    report = build_report(load_book(fx["source"])[0], history=False)
    delta = next(q for q in report["questions"] if q["qid"] == "delta")
    assert delta["state"] == "stale"
    assert "-第二段说明。" in delta["diff"]
    assert "+第二段说明，现在多了一句新的解释。" in delta["diff"]
    assert fx["commits"][0][:10] in delta["diff_note"]  # the version translated was written in the first commit
    assert all(q["diff"] is None for q in report["questions"] if q["state"] != "stale")


def test_stale_diff_says_so_when_the_version_is_not_in_history(fx, tmp_path):
    shutil.copytree(fx["repo"], tmp_path / "repo")
    src = tmp_path / "repo" / "source"
    edit(src / "ch01-basics" / "beta.en.md", "source_hash: sha256:", "source_hash: sha256:ffff")
    text = (src / "ch01-basics" / "beta.en.md").read_text("utf-8")
    (src / "ch01-basics" / "beta.en.md").write_text(re.sub(r"(sha256:[0-9a-f]{16})[0-9a-f]+", r"\1", text), "utf-8")
    report = build_report(load_book(src)[0], history=False)
    beta = next(q for q in report["questions"] if q["qid"] == "beta")
    assert beta["state"] == "stale" and beta["diff"] is None
    assert "no version of the original" in beta["diff_note"]


def test_outside_git_there_is_no_history_and_no_diff(fx, tmp_path):
    shutil.copytree(fx["source"], tmp_path / "source")
    report = build_report(load_book(tmp_path / "source")[0])
    assert report["history"] == [] and report["commit"] is None
    delta = next(q for q in report["questions"] if q["qid"] == "delta")
    assert delta["diff"] is None and "not in a git repository" in delta["diff_note"]


def test_history_counts_each_sampled_commit(fx):
    report = build_report(load_book(fx["source"])[0])
    hist = report["history"]
    assert [p["commit"] for p in hist] == fx["commits"]
    assert [p["questions"] for p in hist] == [5, 5, 5]
    assert [p["languages"]["en"] for p in hist] == [
        {"translated": 0, "reviewed": 0, "stale": 0},
        {"translated": 4, "reviewed": 2, "stale": 0},
        {"translated": 3, "reviewed": 1, "stale": 1},
    ]


def test_since_reports_what_a_commit_changed(fx, tmp_path, monkeypatch, capsys):
    shutil.copytree(fx["repo"], tmp_path / "repo")
    repo = tmp_path / "repo"
    ch = repo / CHAPTER
    # One commit: epsilon translated, a new question added without translation, gamma's original edited.
    shutil.copy(ch / "beta.en.md", ch / "epsilon.en.md")
    edit(ch / "epsilon.en.md", "id: beta", "id: epsilon")
    edit(ch / "chapter.yaml", "  - epsilon\n", "  - epsilon\n  - zeta\n")
    shutil.copy(ch / "epsilon.zh.md", ch / "zeta.zh.md")
    edit(ch / "zeta.zh.md", "id: epsilon", "id: zeta")
    edit(ch / "gamma.zh.md", "第二段说明。", "第二段说明（修订）。")
    book, _ = load_book(repo / "source")
    from pipeline.translation_stamp import stamp_file
    stamp_file(book, (ch / "epsilon.en.md").resolve())
    commit(repo, "translate epsilon, add zeta, revise gamma", 1_700_259_200)

    monkeypatch.chdir(repo)
    out = tmp_path / "out"
    assert main(["status", "--since", "HEAD~1", "--out", str(out), "--no-history"]) == 0
    report = json.loads((out / "translation-status.json").read_text("utf-8"))
    jsonschema.validate(report, documented_schema(), cls=jsonschema.Draft202012Validator)
    since = report["since"]
    assert since["ref"] == "HEAD~1"
    assert [(i["id"], i["before"], i["now"]) for i in since["newly_translated"]] == [("epsilon", "missing", "draft")]
    assert [(i["id"], i["before"], i["now"]) for i in since["made_stale"]] == [("gamma", "machine", "stale")]
    assert [(i["id"], i["number"]) for i in since["added_without_translation"]] == [("zeta", "1.4")]
    printed = capsys.readouterr().out
    assert "newly translated: 1" in printed and "made stale: 1" in printed and "added without translation: 1" in printed
    md = (out / "translation-status.md").read_text("utf-8")
    assert "Since `HEAD~1`" in md and "made stale: 1.1.3 `gamma`" in md


def test_since_compares_two_books(fx):
    book, _ = load_book(fx["source"])
    same = since_changes(book, book, "HEAD")
    assert not any(same[k] for k in SINCE_LABELS) and same["renumbered"] == []


def test_since_flags_a_translation_added_without_a_stamp(fx, tmp_path):
    shutil.copytree(fx["source"], tmp_path / "source")
    ch = tmp_path / "source" / "ch01-basics"
    old, _ = load_book(tmp_path / "source")
    shutil.copy(fx["source"].parent / "source" / "ch01-basics" / "beta.en.md", ch / "epsilon.en.md")
    edit(ch / "epsilon.en.md", "id: beta", "id: epsilon")  # still beta's hash: not epsilon's original
    new, _ = load_book(tmp_path / "source")
    since = since_changes(old, new, "HEAD")
    assert [(i["id"], i["before"], i["now"]) for i in since["added_stale"]] == [("epsilon", "missing", "stale")]
    assert since["made_stale"] == [] and since["newly_translated"] == []


def test_since_with_an_unknown_ref_exits_2(fx, monkeypatch, capsys, tmp_path):
    monkeypatch.chdir(fx["repo"])
    assert main(["status", "--since", "no-such-ref", "--out", str(tmp_path)]) == 2
    assert "'no-such-ref' is not a git ref" in capsys.readouterr().err


def documented_schema() -> dict:
    block = re.search(r"```json\n(.*?)```", DOCS.read_text("utf-8"), re.S)
    schema = json.loads(block.group(1))
    jsonschema.Draft202012Validator.check_schema(schema)
    return schema


def test_report_matches_its_documented_schema(report_dir):
    schema = documented_schema()
    report = json.loads((report_dir / "translation-status.json").read_text("utf-8"))
    jsonschema.validate(report, schema, cls=jsonschema.Draft202012Validator)
    assert report["totals"]["en"]["stale"] == 1


def test_markdown_badge_and_html_are_written(report_dir):
    md = (report_dir / "translation-status.md").read_text("utf-8")
    assert "60.0% translated" in md and "| 1 | 1 | 1 | 1 | 1 |" in md
    badge = ElementTree.fromstring((report_dir / "translation-badge.svg").read_text("utf-8"))
    assert "en 60%" in "".join(badge.itertext())
    page = (report_dir / "translation-status.html").read_text("utf-8")
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", page), "the report must not load anything remote"
    assert "<link" not in page
    assert page.count("<svg") == 1 and "series-translated" in page
    # The missing and stale list links to the files, relatively.
    assert 'href="../' in page and "delta.en.md" in page and "epsilon.zh.md" in page
    assert "+第二段说明，现在多了一句新的解释。" in page


def test_status_command_prints_a_table_and_q_prints_nothing(fx, monkeypatch, capsys, tmp_path):
    monkeypatch.chdir(fx["repo"])
    assert main(["status", "--out", str(tmp_path / "a"), "--no-history"]) == 0
    out = capsys.readouterr().out
    assert "Translation status: zh → en" in out and "whole book" in out and "60.0%" in out
    assert main(["status", "-q", "--no-history"]) == 0
    assert capsys.readouterr().out == ""
    assert (fx["repo"] / "build" / "translation-status.html").is_file()  # default: build/ beside source/


# --- the HTML in a real browser ---------------------------------------------------------------------------

def png_pixels(data: bytes) -> tuple[int, int, list[bytes]]:
    """Decode an 8-bit RGB/RGBA PNG into rows of raw pixels (enough for Chromium's screenshots)."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat, width = 8, b"", 0
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        chunk = data[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            width, height, depth, colour = struct.unpack(">IIBB", chunk[:10])
            assert depth == 8 and colour in (2, 6), (depth, colour)
            bpp = 3 if colour == 2 else 4
        elif kind == b"IDAT":
            idat += chunk
        pos += 12 + length
    raw = zlib.decompress(idat)
    stride = width * bpp
    rows, prev = [], bytearray(stride)
    for y in range(height):
        f, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - bpp] if i >= bpp else 0
            b, c = prev[i], prev[i - bpp] if i >= bpp else 0
            if f == 1:
                line[i] = (line[i] + a) & 255
            elif f == 2:
                line[i] = (line[i] + b) & 255
            elif f == 3:
                line[i] = (line[i] + (a + b) // 2) & 255
            elif f == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        rows.append(bytes(line))
        prev = line
    return width, bpp, rows


@pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed")
def test_html_report_renders_in_headless_chromium(report_dir, tmp_path):
    shot = tmp_path / "status.png"
    subprocess.run([CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                    "--disable-component-update", "--no-first-run", f"--user-data-dir={tmp_path / 'profile'}",
                    f"--screenshot={shot}", "--window-size=1200,1600",
                    (report_dir / "translation-status.html").as_uri()],
                   capture_output=True, timeout=120, check=False)
    assert shot.is_file() and shot.stat().st_size > 10_000
    width, bpp, rows = png_pixels(shot.read_bytes())
    colours = set()
    for row in rows[::8]:
        for x in range(0, width * bpp, bpp * 8):
            colours.add(row[x:x + 3])
    assert len(colours) > 20, "the screenshot is blank"
    # The chart's and the bars' colours are on the page: reviewed green, translated blue, stale red.
    assert any(abs(c[0] - 0x2E) < 12 and abs(c[1] - 0x9D) < 12 and abs(c[2] - 0x4C) < 12 for c in colours)
    assert any(abs(c[0] - 0x2F) < 12 and abs(c[1] - 0x6F) < 12 and abs(c[2] - 0xD6) < 12 for c in colours)
    assert any(abs(c[0] - 0xD9) < 12 and abs(c[1] - 0x45) < 12 and abs(c[2] - 0x3D) < 12 for c in colours)
