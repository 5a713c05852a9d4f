"""Hostile books (issue 18): every attack of the issue is a case with its code, file and line; none crashes or hangs.

Each case patches a copy of the minimal fixture book (files, YAML, file kinds) and runs `dl500 check` in-process.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from conftest import diagnostics_json, patch_file

Q3 = "source/ch02/conv-params.zh.md"
Q1 = "source/ch01/sigmoid-grad.zh.md"
BOOK = "source/book.yaml"
CH1 = "source/ch01/chapter.yaml"
TIME_LIMIT_S = 10  # per check of a six-file book; the attacks of the issue took minutes or forever


def billion_laughs(levels: int = 9) -> str:
    lines = ['lol0: &l0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for i in range(1, levels):
        refs = ", ".join([f"*l{i - 1}"] * 9)
        lines.append(f"lol{i}: &l{i} [{refs}]")
    return "\n".join(lines) + "\n"


def replace_path(root: Path, rel: str, make) -> None:
    """Put something else where the file `rel` was: `make(path)` creates it."""
    p = root / rel
    p.unlink()
    make(p)


def sparse_file(size: int):
    def make(p: Path):
        with open(p, "wb") as f:
            f.truncate(size)
    return make


def symlink_to(target):
    def make(p: Path):
        os.symlink(target, p)
    return make


def outside_question(p: Path):
    outside = p.parents[3] / "outside"
    outside.mkdir()
    (outside / "conv-params.zh.md").write_text(
        "---\nid: conv-params\ntitle: 外面的文件\ncontributors: [甲-乙]\n---\n\n/etc 里的秘密。\n", "utf-8")
    os.symlink(outside / "conv-params.zh.md", p)


# (case, patches, file kind change or None, code, file, line)
# a patch is (file, old, new) as in test_check_diagnostics; a kind change is (file, maker)
CASES = [
    # tracebacks of the issue
    ("deep-yaml-front-matter", [(Q3, "title: 卷积层有多少参数？", "title: " + "[" * 1000 + "]" * 1000)], None,
     "DL123", Q3, 3),
    ("yaml-40-levels", [(Q3, "title: 卷积层有多少参数？", "title: " + "[" * 40 + "]" * 40)], None, "DL123", Q3, 3),
    ("yaml-40-levels-with-anchor", [(Q3, "title: 卷积层有多少参数？", "title: &t " + "[" * 40 + "]" * 40)], None,
     "DL123", Q3, 3),
    ("deep-yaml-book", [(BOOK, "version: 0.0.1", "version: " + "{a: " * 1000 + "x" + "}" * 1000)], None, "DL123", BOOK, 4),
    ("options-list", [(BOOK, "chapters: [ch01, ch02]", "chapters: [ch01, ch02]\noptions: [1, 2]")], None,
     "DL104", BOOK, 9),
    ("chapters-int", [(BOOK, "chapters: [ch01, ch02]", "chapters: 7")], None, "DL104", BOOK, 8),
    ("question-is-directory", [], (Q3, lambda p: p.mkdir()), "DL126", Q3, 1),
    ("symlink-to-itself", [], (Q3, symlink_to("conv-params.zh.md")), "DL128", Q3, 1),
    ("huge-integer", [(Q3, "id: conv-params", "id: " + "9" * 5000)], None, "DL101", Q3, 2),
    # hangs of the issue
    ("billion-laughs", [(Q3, "contributors: [王五-某研究院]\n", "contributors: [王五-某研究院]\n" + billion_laughs())],
     None, "DL124", Q3, 9),
    ("alias-inside-itself", [(Q3, "contributors: [王五-某研究院]", "contributors: &c [王五-某研究院, *c]")], None,
     "DL124", Q3, 4),
    ("fifo", [], (Q3, os.mkfifo), "DL126", Q3, 1),
    ("50-MB-file", [], (Q3, sparse_file(50 * 1024 * 1024)), "DL120", Q3, 1),
    ("200-KB-line", [(Q3, "个参数。", "个参数。" + "a" * 200_000)], None, "DL121", Q3, 7),
    # exit 0 where it must fail
    ("nul-byte", [(Q3, "个参数。", "个参\x00数。")], None, "DL122", Q3, 7),
    ("yaml-escaped-nul", [(Q3, "title: 卷积层有多少参数？", 'title: "卷积\\x00层"')], None, "DL122", Q3, 3),
    ("yaml-lone-surrogate", [(Q3, "title: 卷积层有多少参数？", 'title: "\\uD800"')], None, "DL122", Q3, 3),
    ("link-file-url", [(Q3, "个参数。", "个参数，见 [密码](file:///etc/passwd)。")], None, "DL420", Q3, 7),
    ("image-file-url", [(Q3, "个参数。", "个参数。\n\n![图](file:///etc/passwd)")], None, "DL420", Q3, 9),
    ("link-absolute-path", [(Q3, "个参数。", "个参数，见 [密码](/etc/passwd)。")], None, "DL421", Q3, 7),
    ("image-absolute-path", [(Q3, "个参数。", "个参数。\n\n![图](/etc/passwd)")], None, "DL421", Q3, 9),
    ("autolink-file-url", [(Q3, "个参数。", "个参数。\n\n<file:///etc/passwd>")], None, "DL420", Q3, 9),
    ("reference-definition", [(Q3, "个参数。", "个参数，见 [密码][p]。\n\n[p]: file:///etc/passwd")], None,
     "DL420", Q3, 9),
    ("javascript-entity", [(Q3, "个参数。", '个参数。\n\n<a href="&#106;avascript:alert(1)">点</a>')], None,
     "DL420", Q3, 9),
    ("data-image", [(Q3, "个参数。", "个参数。\n\n![图](data:image/png;base64,iVBORw0KGgo=)")], None,
     "DL420", Q3, 9),
    ("link-leaves-book", [(Q3, "个参数。", "个参数，见 [密码](../../../../etc/passwd)。")], None, "DL422", Q3, 7),
    ("checks-outside", [(BOOK, "checks: ../checks", "checks: /etc")], None, "DL130", BOOK, 6),
    ("chapter-outside", [(BOOK, "chapters: [ch01, ch02]", "chapters: [ch01, ch02, ../..]")], None, "DL130", BOOK, 8),
    ("symlink-outside", [], (Q3, outside_question), "DL127", Q3, 1),
]


@pytest.mark.parametrize("case,patches,kind,code,file,line", CASES, ids=[c[0] for c in CASES])
def test_hostile_input_gives_code_at_file_and_line(book, capsys, case, patches, kind, code, file, line):
    for rel, old, new in patches:
        patch_file(book, rel, old, new)
    if kind is not None:
        replace_path(book, kind[0], kind[1])
    start = time.monotonic()
    rc, diags = diagnostics_json(capsys, "check", ".", "--no-claims")
    assert time.monotonic() - start < TIME_LIMIT_S
    hits = [d for d in diags if d["code"] == code]
    assert any(d["file"] == file and d["line"] == line for d in hits), (hits, diags)
    assert all(d["hint"] for d in hits), "every diagnostic carries a hint"
    assert rc == 1


def test_nul_byte_is_reported_at_its_column(book, capsys):
    patch_file(book, Q3, "个参数。", "个参\x00数。")
    _, diags = diagnostics_json(capsys, "check", ".", "--no-claims")
    line7 = (book / Q3).read_text("utf-8").split("\n")[6]
    [hit] = [d for d in diags if d["code"] == "DL122"]
    assert hit["col"] == line7.index("\x00") + 1


def test_refused_question_file_is_not_loaded(book):
    """The symlinked file outside the book never reaches the model, so no renderer can put it in the EPUB."""
    from pipeline.load import load_book
    replace_path(book, Q3, outside_question)
    loaded, diags = load_book(book)
    assert ("conv-params", "zh") not in loaded.texts
    assert not any("/etc 里的秘密" in qt.body for qt in loaded.texts.values())
    assert any(d.code == "DL202" and "conv-params" in d.message for d in _validate(loaded)), \
        "the outline entry reports the missing file"


def test_symlink_inside_the_book_is_read(book):
    from pipeline.load import load_book
    (book / "source/ch02/shared").mkdir()
    (book / Q3).rename(book / "source/ch02/shared/conv-params.zh.md")
    os.symlink("shared/conv-params.zh.md", book / Q3)
    loaded, diags = load_book(book)
    assert ("conv-params", "zh") in loaded.texts
    assert not [d for d in diags if d.code.startswith("DL12")]


def test_checks_outside_falls_back_to_the_default_folder(book):
    from pipeline.load import load_book
    patch_file(book, BOOK, "checks: ../checks", "checks: /etc")
    loaded, _ = load_book(book)
    assert loaded.checks_dir == (book / "checks").resolve()


def test_too_many_files_stops_reading(book, capsys, monkeypatch):
    import pipeline.load
    monkeypatch.setattr(pipeline.load, "MAX_BOOK_FILES", 2)
    rc, diags = diagnostics_json(capsys, "check", ".", "--no-claims")
    [hit] = [d for d in diags if d["code"] == "DL125"]
    assert (hit["file"], hit["line"]) == (BOOK, 8)
    assert rc == 1


def test_hostile_front_matter_cache_entry_is_a_miss(book, capsys):
    """The cache lives in the working tree, so a pull request can edit it: a malformed entry is ignored."""
    import json

    from pipeline.load import FrontMatterCache, split_front_matter
    rc, _ = diagnostics_json(capsys, "check", ".", "--no-claims")
    assert rc == 0
    cache = book / ".dl500-cache" / "frontmatter.json"
    yaml_text = split_front_matter((book / Q3).read_text("utf-8"))[0]
    cache.write_text(json.dumps({FrontMatterCache.key(yaml_text): [{"id": 7, "title": [1]}, {"id": "x"}]}), "utf-8")
    rc, diags = diagnostics_json(capsys, "check", ".", "--no-claims")
    assert rc == 0, diags


@pytest.mark.parametrize("content", ["/dev/zero", "fifo", "[" * 100_000, "[1, 2]"])
def test_hostile_front_matter_cache_file_is_ignored(book, capsys, content):
    cache = book / ".dl500-cache" / "frontmatter.json"
    cache.parent.mkdir()
    if content == "/dev/zero":
        os.symlink("/dev/zero", cache)
    elif content == "fifo":
        os.mkfifo(cache)
    else:
        cache.write_text(content, "utf-8")
    start = time.monotonic()
    rc, diags = diagnostics_json(capsys, "check", ".", "--no-claims")
    assert rc == 0, diags
    assert time.monotonic() - start < TIME_LIMIT_S


def test_reused_yaml_anchor_prints_no_warning(book, capsys):
    """Only cli.py prints: ruamel's ReusedAnchorWarning would reach stderr through the warnings module."""
    import warnings
    patch_file(book, Q3, "contributors: [王五-某研究院]", "contributors: &a [王五-某研究院]\ntags: &a [x]")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        diagnostics_json(capsys, "check", ".", "--no-claims")
    assert not [w for w in caught if "anchor" in str(w.message)]


def _validate(book):
    from pipeline.validate import validate
    return validate(book)


# --- the scanner: linear in the length of a line -------------------------------------------------------------

HOSTILE_LINES = {
    "prose": "ReLU 的导数在正半轴恒为 1，$x^2$ 与 [链接](#a) 以及 `code` 和 [0.25]{.claim check=\"a.b\"}。",
    "dollars": "$a ",
    "attribute-word": "[x](#a){" + "a" * 50 + " ",
    "claim-attrs": "[a]{.claim .claim ",
    "backtick-lengths": "`a``a```a````a",
    "html-no-close": "<img a ",
    "link-parts": "[x](",
}


@pytest.mark.parametrize("name", sorted(HOSTILE_LINES))
def test_a_1_MB_line_scans_in_linear_time(name):
    """The old scanner took 34 s on a 200 KB line; quadratic behaviour at 1 MB would take many minutes."""
    from pipeline.validate.body_scanner import Body, headings
    unit = HOSTILE_LINES[name]
    line = (unit * (1_000_000 // len(unit) + 1))[:1_000_000]
    start = time.process_time()  # CPU time: other jobs on a shared machine do not count
    body = Body(line, 7)
    spans = body.spans()
    headings(body)
    elapsed = time.process_time() - start
    assert elapsed < (1.0 if name == "prose" else 3.0), f"{name}: {elapsed:.2f} s"
    assert all(s.line == 7 for s in spans)


def test_scanner_positions_are_exact_on_a_long_line():
    from pipeline.validate.body_scanner import Body
    pad = "字" * 300_000
    body = Body(f"第一行\n{pad}$x^2$ [a](#b) [1]{{.claim check=\"m.f\"}}\n", 5)
    by_kind = {s.kind: s for s in body.spans()}
    assert (by_kind["math-inline"].line, by_kind["math-inline"].col) == (6, 300_001)
    assert by_kind["link"].col == 300_001 + len("$x^2$ ")
    assert by_kind["claim"].col == by_kind["link"].col + len("[a](#b) ")


@pytest.mark.parametrize("url,kind,code", [
    ("https://example.com/a", "link", None),
    ("HTTPS://example.com/a", "link", None),
    ("mailto:someone@example.com", "link", None),
    ("#sigmoid-grad", "link", None),
    ("img/a.png", "image", None),
    ("JaVaScRiPt:alert(1)", "link", "DL420"),
    (" javascript:alert(1)", "link", "DL420"),
    ("java\tscript:alert(1)", "link", "DL420"),
    ("&#x6A;avascript:alert(1)", "link", "DL420"),
    ("vbscript:x", "link", "DL420"),
    ("data:text/html,<script>", "link", "DL420"),
    ("file:/etc/passwd", "image", "DL420"),
    ("C:\\Windows\\win.ini", "link", "DL421"),
    ("c:/Windows/win.ini", "image", "DL421"),
    ("\\\\server\\share\\x", "link", "DL421"),
    ("~/secret", "link", "DL421"),
    ("/etc/passwd#x", "link", "DL421"),
    ("%2e%2e/%2e%2e/%2e%2e/%2e%2e/etc/passwd", "link", "DL422"),
    ("..\\..\\..\\..\\etc\\passwd", "link", "DL422"),
])
def test_containment_of_link_targets(tmp_path, url, kind, code):
    from pipeline.validate.containment import containment_diagnostic
    chapter = tmp_path / "book" / "source" / "ch01"
    chapter.mkdir(parents=True)
    found = containment_diagnostic("q.md", 3, 5, url, kind, chapter, chapter.parent)
    assert (found.code if found else None) == code
    if found:
        assert (found.line, found.col) == (3, 5) and found.hint
