"""`dl500 import`: golden trees and reports, text preservation, idempotence, --update, check and build afterwards."""

from __future__ import annotations

import hashlib
import html as htmllib
import json
import os
import re
import shutil
from pathlib import Path

import pytest

from pipeline.cli import main
from pipeline.load import load_book
from pipeline.validate.body_scanner import Body, headings
from pipeline.model import iter_groups, iter_question_refs, source_hash

HERE = Path(__file__).parent
FIXTURES = HERE / "fixtures"
GOLDEN = HERE / "golden" / "import"
UPDATE_GOLDEN = os.environ.get("DL500_UPDATE_GOLDEN") == "1"


def run_import(legacy, out, *extra) -> int:
    return main(["import", str(legacy), "--out", str(out), "-q", *map(str, extra)])


def dump_tree(root: Path) -> str:
    """Every file of an imported tree in one text: contents for text, a hash for images."""
    parts = []
    for p in sorted(root.rglob("*")):
        if not p.is_file():
            continue
        rel = p.relative_to(root).as_posix()
        if p.suffix in (".md", ".yaml", ".json"):
            parts.append(f"=== {rel}\n{p.read_text('utf-8')}")
        else:
            parts.append(f"=== {rel} sha256:{hashlib.sha256(p.read_bytes()).hexdigest()[:16]}\n")
    return "".join(parts)


def tree_bytes(root: Path) -> dict:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def assert_golden(name: str, text: str) -> None:
    path = GOLDEN / name
    if UPDATE_GOLDEN:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, "utf-8")
    assert path.is_file(), f"no golden file {path}; run with DL500_UPDATE_GOLDEN=1 once and review it"
    assert text == path.read_text("utf-8"), f"{name} differs; if intended, regenerate with DL500_UPDATE_GOLDEN=1"


CASES = {
    "basic": ("legacy_basic", []),
    "basic-variant": ("legacy_basic", ["--chapters", "2-3,19", "--variants", "VARIANTS"]),
    "small": ("legacy_small", []),
    "defects": ("legacy_defects", []),
}


@pytest.fixture
def variants_file(tmp_path):
    p = tmp_path / "variants.yaml"
    p.write_text("3: ch03_深度学习基础\n", "utf-8")
    return p


@pytest.mark.parametrize("case", sorted(CASES))
def test_golden_tree_and_report(case, tmp_path, variants_file):
    fixture, extra = CASES[case]
    extra = [variants_file if x == "VARIANTS" else x for x in extra]
    out = tmp_path / "out"
    assert run_import(FIXTURES / fixture, out, *extra) == 0
    assert_golden(f"{case}.txt", dump_tree(out))


@pytest.fixture(scope="module")
def basic(tmp_path_factory):
    out = tmp_path_factory.mktemp("import") / "book"
    assert run_import(FIXTURES / "legacy_basic", out) == 0
    return out


# --- text preservation -----------------------------------------------------------------------------------

LEGACY_NUMBER = re.compile(r"^\s*\**\s*(?:第[一二三四五六七八九十\d]+章|chapter\s*\d+|\d+(?:\s*[.．]\s*\d+)*\s*[.．、]?)",
                           re.I)
CREDIT = re.compile(r"[（(]\s*(?:贡献者|contributors?)\s*[:：][^）)]*[)）]", re.I)


def strip_markup(text: str, headings_numbered: bool) -> str:
    """What a reader reads, minus layout: no whitespace, emphasis, image paths, [TOC], credits, typed numbers."""
    out, fence = [], False
    for line in text.replace("\r\n", "\n").split("\n"):
        if re.match(r"^\s*(```|~~~)", line):
            fence = not fence
        elif not fence and re.match(r"^#{1,6}(?=[\s*\d]|$)", line):
            line = line.lstrip("#")
            if headings_numbered:
                line = LEGACY_NUMBER.sub("", line.strip(), count=1)
        out.append(line)
    text = "\n".join(out)
    text = CREDIT.sub("", text)
    text = re.sub(r"\[TOC\]", "", text, flags=re.I)
    text = re.sub(r"!\[([^\]]*)\]\([^)]*\)(?:\{[^}]*\})?", r"\1", text)  # an image reads as its alt text
    text = re.sub(r"<img\b[^>]*?(?:\balt=\"([^\"]*)\")?[^>]*>", lambda m: m.group(1) or "", text)
    text = re.sub(r"</?center>|<div align=\"?center\"?>|</div>", "", text)
    text = re.sub(r"</?(?:table|tbody|thead|tr|td|th)\b[^>]*>", "", text)  # an HTML table, or its pipe table
    text = re.sub(r"^\|(?:-+\|)+$", "", text, flags=re.M).replace("\\|", "|").replace("|", "")
    text = text.replace("（无标题）", "")
    return re.sub(r"[\s\u200b\ufeff\u00a0*]", "", text)


def imported_text(out: Path, folder: str, lang: str) -> str:
    """The chapter as a reader meets it: chapter title, then section titles and question titles and bodies."""
    book, _ = load_book(out)
    ch = next(c for c in book.chapters if c.folder == folder)
    parts = [ch.title.get(lang, "")]

    def walk(items):
        for it in items:
            if hasattr(it, "gid"):
                parts.append(it.title.get(lang, ""))
                walk(it.items)
            else:
                qt = book.text(it.qid, lang)
                if qt is None:
                    continue
                if not it.qid.endswith("-intro") and not _is_intro(out, it.qid):
                    parts.append(qt.title)
                parts.append(qt.body)
    walk(ch.items)
    return "\n".join(parts)


def _is_intro(out: Path, qid: str) -> bool:
    data = json.loads((out / "import-map.json").read_text("utf-8"))
    return any(e["id"] == qid and e["kind"].startswith("intro") for e in data["entries"])


@pytest.mark.parametrize("legacy_rel,folder", [
    ("ch01_数学基础/第一章_数学基础.md", "ch01-mathematical-basis"),
    ("ch02_机器学习基础/ch2.md", "ch02-machine-learning-basics"),
    ("ch03_神经网络基础/第三章_神经网络基础.md", "ch03-shenjing-wangluo-jichu"),
])
def test_chinese_text_is_preserved(basic, legacy_rel, folder):
    legacy = (FIXTURES / "legacy_basic" / legacy_rel).read_text("utf-8-sig")
    assert strip_markup(imported_text(basic, folder, "zh"), False) == strip_markup(legacy, True)


def test_fully_matched_english_text_is_preserved(basic):
    legacy = (FIXTURES / "legacy_basic/English version/ch02_MachineLearning/Chapter 2_MachineLearning.md")
    assert strip_markup(imported_text(basic, "ch02-machine-learning-basics", "en"), False) == \
        strip_markup(legacy.read_text("utf-8"), True)


# --- idempotence and --update ----------------------------------------------------------------------------

def test_same_input_gives_same_bytes(basic, tmp_path):
    again = tmp_path / "again"
    assert run_import(FIXTURES / "legacy_basic", again) == 0
    assert tree_bytes(again) == tree_bytes(basic)


def test_update_without_changes_gives_same_bytes(tmp_path):
    out = tmp_path / "book"
    assert run_import(FIXTURES / "legacy_basic", out) == 0
    before = tree_bytes(out)
    assert run_import(FIXTURES / "legacy_basic", out, "--update") == 0
    assert tree_bytes(out) == before


def test_non_empty_out_needs_update(basic, capsys):
    assert run_import(FIXTURES / "legacy_basic", basic) == 2
    assert "--update" in capsys.readouterr().err


def outline_ids(out: Path) -> dict[str, str]:
    """Chinese title -> id for every question of the imported book."""
    book, _ = load_book(out)
    return {book.text(ref.qid, "zh").title: ref.qid for _, ref in book.questions()}


def test_update_keeps_ids_when_legacy_changes(tmp_path):
    legacy = tmp_path / "legacy"
    shutil.copytree(FIXTURES / "legacy_basic", legacy)
    out = tmp_path / "book"
    assert run_import(legacy, out) == 0
    before = outline_ids(out)
    ch3 = legacy / "ch03_神经网络基础" / "第三章_神经网络基础.md"
    text = ch3.read_text("utf-8").replace("## 3.1 感知机是什么？", "## 3.1 新加的一个问题？\n\n新的回答。\n\n## 3.2 感知机是什么？")
    ch3.write_text(text.replace("## 3.2 激活函数", "## 3.3 激活函数"), "utf-8")
    assert run_import(legacy, out, "--update") == 0
    after = outline_ids(out)
    assert {t: after[t] for t in before} == before
    assert "新加的一个问题？" in after
    book, diags = load_book(out)
    ch = next(c for c in book.chapters if c.folder == "ch03-shenjing-wangluo-jichu")
    assert [r.number for r in iter_question_refs(ch.items)] == ["3.1", "3.2", "3.3"]
    assert not [d for d in diags if d.code.startswith("DL1")]


def test_update_keeps_an_id_renamed_by_hand(tmp_path):
    out = tmp_path / "book"
    assert run_import(FIXTURES / "legacy_basic", out) == 0
    old = outline_ids(out)["感知机是什么？"]
    folder = out / "ch03-shenjing-wangluo-jichu"
    for f in folder.glob(f"{old}.*.md"):
        f.rename(folder / f.name.replace(old, "perceptron"))
        (folder / f.name.replace(old, "perceptron")).write_text(
            (folder / f.name.replace(old, "perceptron")).read_text("utf-8").replace(f"id: {old}", "id: perceptron"),
            "utf-8")
    cy = folder / "chapter.yaml"
    cy.write_text(cy.read_text("utf-8").replace(old, "perceptron"), "utf-8")
    assert run_import(FIXTURES / "legacy_basic", out, "--update") == 0
    assert outline_ids(out)["感知机是什么？"] == "perceptron"
    assert not list(folder.glob(f"{old}.*"))


# --- the imported book is a valid source of record --------------------------------------------------------

STRUCTURAL = re.compile(r"^DL(1\d\d|20[1-68])$")


@pytest.mark.parametrize("fixture", ["legacy_basic", "legacy_small"])
def test_check_reports_no_schema_or_structure_error(fixture, tmp_path, capsys):
    out = tmp_path / "book"
    assert run_import(FIXTURES / fixture, out) == 0
    capsys.readouterr()
    code = main(["check", str(out), "--no-claims", "--format", "json"])
    data = json.loads(capsys.readouterr().out)
    bad = [d for d in data["diagnostics"] if STRUCTURAL.match(d["code"])]
    assert bad == []
    assert code in (0, 1)


def test_translations_carry_the_hash_of_their_original(basic):
    book, _ = load_book(basic)
    translations = [qt for (qid, lang), qt in book.texts.items() if lang == "en"]
    assert translations
    for qt in translations:
        assert qt.status == "draft"
        assert qt.source_hash == source_hash(book.text(qt.qid, "zh"))


def test_contributors_become_name_affiliation(basic):
    book, _ = load_book(basic)
    people = {p for qt in book.texts.values() for p in qt.contributors}
    assert {"张三-示例大学", "李四-示例学院", "王五-示例研究所", "Zhang San-Example University"} <= people
    assert not any("贡献者" in qt.body or "Contributor" in qt.body for qt in book.texts.values())


def test_no_typed_numbers_remain_in_titles(basic):
    book, _ = load_book(basic)
    for qt in book.texts.values():
        assert not re.match(r"^\s*\**\s*\d+[.．]\d", qt.title), qt.title
        for _, _, text in headings(Body(qt.body)):  # headings outside code blocks
            assert not re.match(r"^\d+(\.\d+)+", text), text


def test_map_links_each_legacy_number_to_an_id_and_a_derived_number(basic):
    data = json.loads((basic / "import-map.json").read_text("utf-8"))
    by_number = {(e["legacy_file"], e["legacy_number"]): e for e in data["entries"] if e["legacy_number"]}
    rand = by_number[("ch02_机器学习基础/ch2.md", "2.2.5")]  # the foreign-prefix question, now in section 4
    assert rand["number"] == "2.4.2" and rand["kind"] == "question"
    inner = by_number[("ch02_机器学习基础/ch2.md", "2.2.2.2.1")]
    assert inner["kind"] == "inner-heading" and inner["id"] == by_number[("ch02_机器学习基础/ch2.md", "2.2.2.2")]["id"]


def test_report_lists_each_defect_kind_with_file_and_line(basic):
    data = json.loads((basic / "import-report.json").read_text("utf-8"))
    kinds = {d["kind"] for d in data["defects"]}
    expected = {"duplicate", "gap", "out-of-order", "foreign-prefix", "wrong-depth", "missing-number", "trailing-dot",
                "extra-space", "bold-number", "full-width-number", "credit-in-heading", "math-repaired",
                "math-unrepaired", "missing-image", "remote-image", "invisible-character", "tab-indent", "toc-marker",
                "bom", "crlf", "unmatched-translation", "variant-skipped", "extra-file", "section-intro"}
    assert expected <= kinds
    dup = next(d for d in data["defects"] if d["kind"] == "duplicate")
    assert (dup["file"], dup["line"]) == ("ch02_机器学习基础/ch2.md", 12)
    assert (basic / "import-report.md").read_text("utf-8").startswith("# Import report")


def test_images_are_copied_and_paths_rewritten(basic):
    ch1 = basic / "ch01-mathematical-basis"
    assert sorted(p.name for p in (ch1 / "img" / "ch1").iterdir()) == ["1-1-2.png", "1-1.png", "1-2.png", "1-3.png"]
    bodies = "".join(p.read_text("utf-8") for p in ch1.glob("*.md"))
    assert "./img" not in bodies and "../img" not in bodies
    assert "https://example.com/remote.png" in bodies  # listed, kept, never fetched


def test_build_of_an_imported_book(basic, tmp_path, capsys):
    """import → build: the fixture has a missing and a remote image on purpose, hence --keep-going."""
    out = tmp_path / "build"
    code = main(["build", str(basic), "-q", "--keep-going", "--out", str(out)])
    err = capsys.readouterr().err
    if code == 2 and "not built yet" in err:
        pytest.skip("dl500 build is not available yet (NotImplementedError)")
    assert code in (0, 1), err
    for lang in ("zh", "en"):
        assert (out / lang / "dl500.pdf").stat().st_size > 0
        assert (out / lang / "dl500.epub").stat().st_size > 0


# --- readable ids ----------------------------------------------------------------------------------------

HASH_ID = re.compile(r"^(?:[qs]-[0-9a-f]{8}|ch\d+)(?:-\d+)?$")


@pytest.mark.parametrize("fixture", ["legacy_basic", "legacy_small", "legacy_defects"])
def test_ids_are_readable_wherever_there_is_a_title(fixture, tmp_path):
    out = tmp_path / "book"
    assert run_import(FIXTURES / fixture, out) == 0
    book, _ = load_book(out)
    data = json.loads((out / "import-map.json").read_text("utf-8"))
    assert not [c["id"] for c in data["chapters"] if HASH_ID.match(c["id"])]
    titled = []
    for ch in book.chapters:
        for g in iter_groups(ch.items):
            titled.append((g.gid, g.title["zh"]))
        for ref in iter_question_refs(ch.items):
            titled.append((ref.qid, book.text(ref.qid, "zh").title))
    hashed = [(i, t) for i, t in titled if HASH_ID.match(i) and re.search(r"[A-Za-z\u4e00-\u9fff]", t)
              and t != "（无标题）"]
    assert hashed == []


def test_chinese_only_chapters_take_an_acronym_or_pinyin(tmp_path):
    out = tmp_path / "book"
    assert run_import(FIXTURES / "legacy_defects", out) == 0
    data = json.loads((out / "import-map.json").read_text("utf-8"))
    assert [(c["id"], c["folder"]) for c in data["chapters"]] == [("cnn", "ch04-cnn"), ("rnn", "ch05-rnn")]
    ids = {e["id"] for e in data["entries"]}
    assert {"1x1-juanji", "resnet-vgg", "rnn-tidu-xiaoshi", "cnn-intro"} <= ids


def test_reimport_of_the_defects_fixture_changes_no_id(tmp_path):
    out = tmp_path / "book"
    assert run_import(FIXTURES / "legacy_defects", out) == 0
    before = tree_bytes(out)
    assert run_import(FIXTURES / "legacy_defects", out, "--update") == 0
    assert tree_bytes(out) == before


def set_map_id(out: Path, old: str, new: str) -> None:
    path = out / "import-map.json"
    data = json.loads(path.read_text("utf-8"))
    for e in data["entries"]:
        if e["id"] == old and e["kind"] != "inner-heading":
            e["id"] = new
    path.write_text(json.dumps(data, ensure_ascii=False, indent=2), "utf-8")


def test_import_map_overrides_an_id(tmp_path):
    out = tmp_path / "book"
    assert run_import(FIXTURES / "legacy_small", out) == 0
    old = outline_ids(out)["卷积层做什么？"]
    set_map_id(out, old, "what-a-conv-layer-does")
    assert run_import(FIXTURES / "legacy_small", out, "--update") == 0
    assert outline_ids(out)["卷积层做什么？"] == "what-a-conv-layer-does"
    folder = out / "ch05-juanji-wangluo"
    assert not list(folder.glob(f"{old}.*")) and (folder / "what-a-conv-layer-does.zh.md").is_file()
    _, diags = load_book(out)
    assert not [d for d in diags if STRUCTURAL.match(d.code)]
    assert run_import(FIXTURES / "legacy_small", out, "--update") == 0  # and it stays
    assert outline_ids(out)["卷积层做什么？"] == "what-a-conv-layer-does"


def test_import_map_overrides_a_chapter_id(tmp_path):
    out = tmp_path / "book"
    assert run_import(FIXTURES / "legacy_small", out) == 0
    path = out / "import-map.json"
    data = json.loads(path.read_text("utf-8"))
    assert data["chapters"][0]["id"] == "juanji-wangluo"
    data["chapters"][0]["id"] = "convolutional-networks"
    path.write_text(json.dumps(data, ensure_ascii=False), "utf-8")
    assert run_import(FIXTURES / "legacy_small", out, "--update") == 0
    book, diags = load_book(out)
    assert [c.cid for c in book.chapters] == ["convolutional-networks"]
    assert not [d for d in diags if STRUCTURAL.match(d.code)]


@pytest.mark.parametrize("new_id,message", [("Not An Id", "not a valid id"), ("chihuaceng", "two headings")])
def test_bad_override_is_a_usage_error(new_id, message, tmp_path, capsys):
    out = tmp_path / "book"
    assert run_import(FIXTURES / "legacy_small", out) == 0
    set_map_id(out, outline_ids(out)["卷积层做什么？"], new_id)
    before = tree_bytes(out)
    assert run_import(FIXTURES / "legacy_small", out, "--update") == 2
    assert message in capsys.readouterr().err
    assert tree_bytes(out) == before


@pytest.mark.parametrize("field,value", [("files", "../outside.txt"), ("files", "/etc/hostname"),
                                         ("folder", "../elsewhere"), ("json", "{not json")])
def test_a_hostile_import_map_cannot_reach_outside_the_book(field, value, tmp_path, capsys):
    out = tmp_path / "book"
    assert run_import(FIXTURES / "legacy_small", out) == 0
    outside = tmp_path / "outside.txt"
    outside.write_text("keep me", "utf-8")
    path = out / "import-map.json"
    data = json.loads(path.read_text("utf-8"))
    if field == "files":
        data["files"][value] = "sha256:0000000000000000"
    elif field == "folder":
        data["chapters"][0]["folder"] = value
    path.write_text(value if field == "json" else json.dumps(data), "utf-8")
    assert run_import(FIXTURES / "legacy_small", out, "--update") == 2
    err = capsys.readouterr().err
    assert "import-map.json" in err and "Traceback" not in err
    assert outside.read_text("utf-8") == "keep me"
    assert not (tmp_path / "elsewhere").exists()


# --- re-import over a maintained book: three-way, dry run -------------------------------------------------

def small_pair(tmp_path):
    """A legacy copy and its import; returns (legacy chapter file, imported folder)."""
    legacy = tmp_path / "legacy"
    shutil.copytree(FIXTURES / "legacy_small", legacy)
    out = tmp_path / "book"
    assert run_import(legacy, out) == 0
    return legacy, out


def test_update_keeps_a_maintainers_edit_when_the_legacy_text_did_not_change(tmp_path):
    legacy, out = small_pair(tmp_path)
    q = out / "ch05-juanji-wangluo" / "chihuaceng.zh.md"
    q.write_text(q.read_text("utf-8") + "\n维护者补充的一段。\n", "utf-8")
    md = legacy / "ch05_卷积网络" / "ch5.md"
    md.write_text(md.read_text("utf-8").replace("同一组权重", "同一组共享权重"), "utf-8")
    assert run_import(legacy, out, "--update") == 0
    assert "维护者补充的一段。" in q.read_text("utf-8")  # kept
    assert "同一组共享权重" in (out / "ch05-juanji-wangluo" / "juanjiceng-2.zh.md").read_text("utf-8")  # updated


def test_update_stops_on_a_conflict_and_writes_nothing(tmp_path, capsys):
    legacy, out = small_pair(tmp_path)
    q = out / "ch05-juanji-wangluo" / "chihuaceng.zh.md"
    q.write_text(q.read_text("utf-8") + "\n维护者补充的一段。\n", "utf-8")
    md = legacy / "ch05_卷积网络" / "ch5.md"
    md.write_text(md.read_text("utf-8").replace("池化层缩小", "池化层通常缩小"), "utf-8")
    before = tree_bytes(out)
    capsys.readouterr()
    assert run_import(legacy, out, "--update") == 1
    err = capsys.readouterr().err
    assert "chihuaceng.zh.md" in err and "--resolve" in err and "Traceback" not in err
    assert tree_bytes(out) == before
    assert main(["import", str(legacy), "--out", str(out), "--update", "--dry-run"]) == 1
    printed = capsys.readouterr().out
    assert re.search(r"^conflict +\S*chihuaceng\.zh\.md", printed, re.M)
    assert "+池化层通常缩小特征图的尺寸。" in printed and "-维护者补充的一段。" in printed  # the diff to merge
    assert run_import(legacy, out, "--update", "--resolve", "mine") == 0
    assert "维护者补充的一段。" in q.read_text("utf-8")
    assert run_import(legacy, out, "--update") == 0  # resolved: the record now holds the legacy side
    md.write_text(md.read_text("utf-8").replace("池化层通常缩小", "池化层总是缩小"), "utf-8")
    assert run_import(legacy, out, "--update", "--resolve", "legacy") == 0
    assert "总是缩小" in q.read_text("utf-8") and "维护者" not in q.read_text("utf-8")


def test_dry_run_prints_the_plan_and_writes_nothing(tmp_path, capsys):
    out = tmp_path / "book"
    assert main(["import", str(FIXTURES / "legacy_small"), "--out", str(out), "--dry-run"]) == 0
    printed = capsys.readouterr().out
    assert not out.exists()
    assert "create" in printed and "chihuaceng.zh.md" in printed and "nothing written" in printed
    legacy, out = small_pair(tmp_path)
    md = legacy / "ch05_卷积网络" / "ch5.md"
    md.write_text(md.read_text("utf-8").replace("池化层缩小", "池化层通常缩小"), "utf-8")
    before = tree_bytes(out)
    capsys.readouterr()
    assert main(["import", str(legacy), "--out", str(out), "--update", "--dry-run"]) == 0
    printed = capsys.readouterr().out
    assert re.search(r"^update +\S*chihuaceng\.zh\.md", printed, re.M)
    assert tree_bytes(out) == before


# --- the defects fixture: every kind the importer reports ---------------------------------------------------

def test_defects_fixture_reproduces_every_kind_and_its_report_is_golden(tmp_path):
    from pipeline.importer.report import KINDS
    out = tmp_path / "book"
    assert run_import(FIXTURES / "legacy_defects", out) == 0
    data = json.loads((out / "import-report.json").read_text("utf-8"))
    assert {d["kind"] for d in data["defects"]} == set(KINDS)
    assert_golden("defects-report.md", (out / "import-report.md").read_text("utf-8"))


def test_check_on_the_imported_defects_reports_only_the_legacy_defects(tmp_path, capsys):
    """The legacy book's real defects (an unclosed $, a \\left without \\right, a broken reference, a missing and
    a remote image, an HTML table) and the missing English titles; nothing the importer made (its HTML <img> became
    a Markdown image)."""
    out = tmp_path / "book"
    assert run_import(FIXTURES / "legacy_defects", out) == 0
    capsys.readouterr()
    assert main(["check", str(out), "--no-claims", "--format", "json"]) == 1
    data = json.loads(capsys.readouterr().out)
    codes = sorted({d["code"] for d in data["diagnostics"] if d["severity"] == "error"})
    # DL430: the HTML table (reported as html-table); DL450: the legacy <img> had no alt text
    assert codes == ["DL401", "DL402", "DL404", "DL430", "DL450", "DL501", "DL503"]
    others = {d["code"] for d in data["diagnostics"] if d["severity"] != "error"}
    assert others <= {"DL209"}


MARKERS = {"DL401": "'#41-cnn-基础' names no", "DL402": "image 'img/ch4/missing.png' does not exist",
           "DL404": "remote image 'https://example.com/remote.png'", "DL506": "formula cannot be rendered"}


def markers_in(text: str) -> dict[str, int]:
    return {code: len(re.findall(re.escape(f"[{code}: {what}"), text)) for code, what in MARKERS.items()}


@pytest.fixture(scope="module")
def defects_build(tmp_path_factory):
    """The imported defects fixture built with --keep-going: every format (the PDF in Chinese only, for time)."""
    base = tmp_path_factory.mktemp("defects")
    book = base / "book"
    assert run_import(FIXTURES / "legacy_defects", book) == 0
    out = base / "build"
    code = main(["build", str(book), "-q", "--keep-going", "--out", str(out), "--format", "epub", "--format",
                 "html"])
    assert code in (0, 1)
    code = main(["build", str(book), "-q", "--keep-going", "--out", str(base / "pdf"), "--format", "pdf",
                 "--lang", "zh"])
    assert code in (0, 1)
    return out, base / "pdf"


def test_defects_show_as_markers_in_the_epub(defects_build):
    import zipfile
    with zipfile.ZipFile(defects_build[0] / "zh" / "dl500.epub") as z:
        text = "".join(z.read(n).decode("utf-8") for n in z.namelist() if n.endswith(".xhtml"))
    assert markers_in(htmllib.unescape(text)) == dict.fromkeys(MARKERS, 1)


def test_defects_show_as_markers_on_the_site(defects_build):
    pages = [p for p in (defects_build[0] / "site" / "zh").rglob("*.html")]
    found = markers_in(htmllib.unescape("".join(p.read_text("utf-8") for p in pages)))
    assert all(found[code] >= 1 for code in MARKERS), found


def test_defects_show_as_markers_in_the_pdf(defects_build):
    if not shutil.which("pdftotext"):
        pytest.skip("pdftotext (poppler-utils) is not installed")
    import subprocess
    text = subprocess.run(["pdftotext", str(defects_build[1] / "zh" / "dl500.pdf"), "-"], capture_output=True,
                          text=True, check=True).stdout
    found = {code: text.count(f"[{code}:") for code in MARKERS}
    assert found == dict.fromkeys(MARKERS, 1), found


# --- bad input --------------------------------------------------------------------------------------------

def test_missing_folder_is_a_clear_usage_error(tmp_path, capsys):
    assert run_import(tmp_path / "nope", tmp_path / "out") == 2
    err = capsys.readouterr().err
    assert "no such folder" in err and "Traceback" not in err


def test_folder_without_chapters_is_not_a_legacy_layout(tmp_path, capsys):
    (tmp_path / "legacy").mkdir()
    (tmp_path / "legacy" / "notes.md").write_text("# hi\n", "utf-8")
    assert run_import(tmp_path / "legacy", tmp_path / "out") == 2
    assert "not a legacy layout" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("extra,message", [
    (["--chapters", "x-2"], "--chapters"),
    (["--chapters", "7"], "no chapter 7"),
    (["--variants", "/nonexistent/variants.yaml"], "--variants"),
])
def test_bad_options_are_usage_errors(extra, message, tmp_path, capsys):
    assert run_import(FIXTURES / "legacy_basic", tmp_path / "out", *extra) == 2
    assert message in capsys.readouterr().err


def test_variant_that_does_not_exist(tmp_path, capsys):
    v = tmp_path / "v.yaml"
    v.write_text("3: ch03_nothing\n", "utf-8")
    assert run_import(FIXTURES / "legacy_basic", tmp_path / "out", "--variants", v) == 2
    assert "ch03_神经网络基础" in capsys.readouterr().err


def test_odd_files_lose_no_text(tmp_path, capsys):
    """An empty chapter, text before the first heading, a lone '#', a GB18030 file: imported, checkable."""
    legacy = tmp_path / "legacy"
    (legacy / "ch01_空章").mkdir(parents=True)
    (legacy / "ch01_空章" / "第一章_空章.md").write_text("", "utf-8")
    (legacy / "ch02_编码").mkdir()
    (legacy / "ch02_编码" / "第二章_编码.md").write_bytes("# 第二章 编码\n\n## 2.1 问题？\n\n内容。\n".encode("gb18030"))
    (legacy / "ch03_无题").mkdir()
    (legacy / "ch03_无题" / "ch3.md").write_text("只有正文，没有标题。\n\n#\n\n## \n\n```\n# 不是标题\n```\n", "utf-8")
    out = tmp_path / "out"
    assert run_import(legacy, out) == 0
    book, diags = load_book(out)
    assert not [d for d in diags if STRUCTURAL.match(d.code)]
    bodies = "".join(qt.body for qt in book.texts.values())
    assert "只有正文，没有标题。" in bodies and "# 不是标题" in bodies and "内容。" in bodies
    kinds = {d["kind"] for d in json.loads((out / "import-report.json").read_text("utf-8"))["defects"]}
    assert {"encoding", "empty-title", "chapter-preamble"} <= kinds
