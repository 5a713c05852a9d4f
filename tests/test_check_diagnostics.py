"""Every validation diagnostic code: a bad book in, the code at the right file and line out, exit 1 (or 0 for warnings)."""

from __future__ import annotations

import pytest

from conftest import diagnostics_json, patch_file, run_cli

Q3 = "source/ch02/conv-params.zh.md"
Q1 = "source/ch01/sigmoid-grad.zh.md"
Q1EN = "source/ch01/sigmoid-grad.en.md"
CH1 = "source/ch01/chapter.yaml"
CLAIM_LINE = "一个 $3\\times 3$、输入 64 通道、输出 128 通道的卷积层有 [73,856]{.claim check=\"act.conv_params\"} 个参数。"

# (code, [(file, old, new)], expected file, expected line)
CASES = [
    ("DL101", [(CH1, "title: {zh: 基础, en: Basics}", "title: {zh: 基础, en: Basics")], CH1, 3),
    ("DL102", [(Q3, "title: 卷积层有多少参数？\n", "")], Q3, 2),
    ("DL103", [(Q3, "contributors: [王五-某研究院]\n", "contributors: [王五-某研究院]\nauthor: x\n")], Q3, 5),
    ("DL104", [(Q3, "contributors: [王五-某研究院]", "contributors: 王五-某研究院")], Q3, 4),
    ("DL104", [(CH1, "      - relu-why", "      - 42")], CH1, 8),
    ("DL105", [(Q3, None, "没有 front matter 的文件\n")], Q3, 1),
    ("DL106", [(Q3, "id: conv-params", "id: conv-param")], Q3, 2),
    ("DL201", [("source/ch02/chapter.yaml", "      - conv-params", "      - conv-params\n      - sigmoid-grad")],
     "source/ch02/chapter.yaml", 8),
    ("DL201", [("source/ch02/chapter.yaml", "section: conv", "section: activations")], "source/ch02/chapter.yaml", 4),
    ("DL202", [(CH1, "      - relu-why", "      - relu-why\n      - ghost")], CH1, 9),
    ("DL203", [("source/ch02/orphan.zh.md", None, "---\nid: orphan\ntitle: 孤儿\ncontributors: [甲-乙]\n---\n\n正文。\n")],
     "source/ch02/orphan.zh.md", 1),
    ("DL203", [("source/ch02/notes.md", None, "随手记\n")], "source/ch02/notes.md", 1),
    ("DL204", [("source/ch02/lonely.en.md", None,
                "---\nid: lonely\ntitle: Lonely\ntranslation: {status: draft, source_hash: sha256:0000000000000000}\n"
                "---\n\nText.\n")], "source/ch02/lonely.en.md", 1),
    ("DL205", [(CH1, "      - relu-why", "      - relu-why\n      - section: deeper\n        title: {zh: 深, en: Deep}\n"
                "        items:\n          - section: deepest\n            title: {zh: 更深, en: Deeper}\n"
                "            items: [relu-why]")], CH1, 12),
    ("DL206", [(CH1, "      - relu-why", "      - relu-why\n      - section: empty\n        title: {zh: 空, en: Empty}\n"
                "        items: []")], CH1, 9),
    ("DL207", [(Q1, "相关问题见", "## 小结\n\n相关问题见")], Q1EN, 10),
    ("DL208", [("source/book.yaml", "chapters: [ch01, ch02]", "chapters: [ch01, ch02, ch03]")], "source/book.yaml", 8),
    ("DL301", [(Q3, "title: 卷积层有多少参数？", "title: 2.1.1 卷积层有多少参数？")], Q3, 3),
    ("DL301", [(CH1, "{zh: 激活函数, en: Activations}", "{zh: 1.1 激活函数, en: Activations}")], CH1, 4),
    ("DL302", [(Q3, "个参数。", "个参数，见 [见 9.9.9](#sigmoid-grad)。")], Q3, 7),
    ("DL302", [(Q3, "个参数。", "个参数，详见第 7.7.7 节。")], Q3, 7),
    ("DL401", [(Q3, "个参数。", "个参数，见 [](#no-such-question)。")], Q3, 7),
    ("DL402", [(Q3, "个参数。", "个参数。\n\n![图](img/missing.png)")], Q3, 9),
    ("DL402", [(Q3, "个参数。", "个参数。\n\n![图](figures/not-drawn.svg)")], Q3, 9),
    ("DL403", [(Q3, "个参数。", "个参数。\n\n![图](../../../outside.png)")], Q3, 9),
    ("DL404", [(Q3, "个参数。", "个参数。\n\n![图](https://example.com/a.png)")], Q3, 9),
    ("DL405", [(Q3, "个参数。", "个参数，参考 [论文](http://)。")], Q3, 7),
    ("DL406", [(Q3, "个参数。", "个参数，见 [](#fig:nothing)。")], Q3, 7),
    ("DL501", [(Q3, "个参数。", "个参数。\n\n价格是 $x 而已。")], Q3, 9),
    ("DL501", [(Q3, "个参数。", "个参数。\n\n$$\nx^2\n")], Q3, 9),
    ("DL502", [(Q3, "个参数。", "个参数。\n\n公式 $\\frac{1}{2$ 不对。")], Q3, 9),
    ("DL503", [(Q3, "个参数。", "个参数。\n\n公式 $\\left( x$ 不对。")], Q3, 9),
    ("DL504", [(Q3, "个参数。", "个参数。\n\n$$\n\\begin{aligned} x &= 1\n$$")], Q3, 9),
    ("DL505", [(Q3, "个参数。", "个参数。\n\n数字 $ 4 $ 不是公式。")], Q3, 9),
    ("DL506", [(Q3, "个参数。", "个参数。\n\n利用率 $U=\\text{利用率}$ 不能画。")], Q3, 9),
    ("DL601", [(Q3, "contributors: [王五-某研究院]", "contributors: [王五]")], Q3, 4),
]


@pytest.mark.parametrize("code,patches,file,line", CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)])
def test_bad_input_gives_code_at_file_and_line(book, capsys, code, patches, file, line):
    for rel, old, new in patches:
        patch_file(book, rel, old, new)
    rc, diags = diagnostics_json(capsys, "check", ".", "--no-claims")
    hits = [d for d in diags if d["code"] == code]
    assert hits, f"no {code} in {diags}"
    assert any(d["file"] == file and d["line"] == line for d in hits), hits
    assert all(d["hint"] for d in hits), "every diagnostic carries a hint"
    if any(d["severity"] == "error" for d in diags):
        assert rc == 1
    else:
        assert rc == 0


def test_clean_book_exits_zero(book, capsys):
    rc, out, err = run_cli(capsys, "check", ".", "--no-claims")
    assert rc == 0, err
    assert "0 error(s)" in err


def test_typed_reference_matching_a_number_is_a_warning_with_the_id_as_hint(book, capsys):
    patch_file(book, Q3, "个参数。", "个参数，见 1.1.1。")
    rc, diags = diagnostics_json(capsys, "check", ".", "--no-claims")
    [d] = [d for d in diags if d["code"] == "DL303"]
    assert (d["file"], d["line"], d["severity"]) == (Q3, 7, "warning")
    assert "[](#sigmoid-grad)" in d["hint"]
    assert rc == 0


def test_missing_title_translation_is_a_warning(book, capsys):
    patch_file(book, CH1, "{zh: 激活函数, en: Activations}", "{zh: 激活函数}")
    rc, diags = diagnostics_json(capsys, "check", ".", "--no-claims")
    [d] = [d for d in diags if d["code"] == "DL209"]
    assert (d["file"], d["line"], d["severity"]) == (CH1, 4, "warning")
    assert rc == 0


def test_non_utf8_file(book, capsys):
    (book / Q3).write_bytes("---\nid: conv-params\ntitle: x\n---\n".encode() + b"\xff\xfe bad\n")
    rc, diags = diagnostics_json(capsys, "check", ".", "--no-claims")
    assert any(d["code"] == "DL107" and d["file"] == Q3 for d in diags)
    assert rc == 1


def test_github_format_prints_workflow_commands(book, capsys):
    patch_file(book, Q3, "个参数。", "个参数，见 [](#no-such-question)。")
    rc, out, _ = run_cli(capsys, "check", ".", "--no-claims", "--format", "github")
    assert rc == 1
    assert f"::error file={Q3},line=7,col=" in out
    assert "title=DL401::" in out


def test_junit_format_has_a_failure_per_error(book, capsys):
    import xml.etree.ElementTree as ET
    patch_file(book, Q3, "个参数。", "个参数，见 [](#no-such-question)。")
    rc, out, _ = run_cli(capsys, "check", ".", "--no-claims", "--format", "junit")
    root = ET.fromstring(out)
    failures = root.findall(".//failure")
    assert rc == 1 and len(failures) == 1
    assert failures[0].get("type") == "DL401"


def test_text_format_groups_by_file_with_hints(book, capsys):
    patch_file(book, Q3, "个参数。", "个参数，见 [](#no-such-questoin)。")
    rc, _, err = run_cli(capsys, "check", ".", "--no-claims")
    assert rc == 1
    assert f"{Q3}:7:" in err and "error DL401" in err
    assert "hint:" in err


def test_no_book_is_a_usage_error(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    rc, _, err = run_cli(capsys, "check", ".")
    assert rc == 2
    assert "no book.yaml" in err


def test_unbuilt_commands_say_so(book, capsys):
    rc = 0
    from pipeline.cli import main
    rc = main(["import", "nowhere", "--out", "x"])
    assert rc == 2


def test_numbers_are_derived_from_the_outline(book):
    from pipeline.load import load_book
    from pipeline.model import number_index
    b, diags = load_book(book)
    idx = number_index(b)
    assert idx["sigmoid-grad"][1] == "1.1.1"
    assert idx["relu-why"][1] == "1.1.2"
    assert idx["conv-params"][1] == "2.1.1"
    assert idx["activations"][1] == "1.1"
    assert idx["nets"][1] == "2"


def test_every_code_is_documented():
    from pathlib import Path

    from pipeline.diagnostics import CODES
    doc = (Path(__file__).parents[1] / "docs/diagnostics.md").read_text("utf-8")
    for code in CODES:
        assert f"`{code}`" in doc, code
