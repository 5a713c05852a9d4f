"""Tags, glossary, review records and translation-pair checks; `dl500 review`."""

from __future__ import annotations

import re

import pytest
from conftest import copy_fixture, diagnostics_json, patch_file, run_cli

from pipeline.load import load_book
from pipeline.model import source_hash

EN = "source/ch01/kernel-size.en.md"
ZH = "source/ch01/kernel-size.zh.md"
ZH2 = "source/ch01/lr-warmup.zh.md"


@pytest.fixture
def book(tmp_path, monkeypatch):
    """A copy of the tags_book fixture (clean: no diagnostics); the test runs inside it."""
    root = copy_fixture("tags_book", tmp_path / "book")
    monkeypatch.chdir(root)
    return root


def original_hash(root) -> str:
    book, _ = load_book(root)
    return source_hash(book.text("kernel-size", "zh"))


def front_matter(path) -> str:
    return path.read_text("utf-8").split("\n---\n", 1)[0]


def findings(capsys, code: str | None = None) -> list[dict]:
    _, diags = diagnostics_json(capsys, "check", ".", "--no-claims")
    return [d for d in diags if code is None or d["code"] == code]


def remove_review(root) -> None:
    text = (root / EN).read_text("utf-8")
    (root / EN).write_text(re.sub(r"reviewed:\n(  .*\n)+", "", text), "utf-8")


# --- dl500 review ---------------------------------------------------------------------------------------------

def test_review_writes_record_in_translation_and_marks_it_reviewed(book, capsys):
    remove_review(book)
    patch_file(book, EN, "  status: reviewed\n", "  status: draft\n")
    patch_file(book, EN, "source_hash: sha256:759cc6513636e46a", "source_hash: sha256:0000000000000000")
    before_body = (book / EN).read_bytes().split(b"\n---\n", 1)[1]
    rc, out, err = run_cli(capsys, "review", EN, "--by", "李四-某研究所", "--on", "2026-12-01")
    assert rc == 0, err
    h = original_hash(book)
    assert out.strip() == f"{EN}: {h}"
    fm = front_matter(book / EN)
    assert f"reviewed:\n  by: 李四-某研究所\n  on: 2026-12-01\n  against: {h}" in fm
    assert "  status: reviewed\n" in fm and f"  source_hash: {h}" in fm
    assert "  translators: [Jane Doe-MIT]\n" in fm
    assert (book / EN).read_bytes().split(b"\n---\n", 1)[1] == before_body
    loaded, diags = load_book(book)
    assert not [d for d in diags if d.severity == "error"]
    assert loaded.text("kernel-size", "en").meta["reviewed"] == {"by": "李四-某研究所", "on": "2026-12-01",
                                                                  "against": h}


def test_review_of_original_records_its_own_hash_and_defaults_to_today(book, capsys):
    import datetime
    before = (book / ZH).read_text("utf-8")
    rc, out, err = run_cli(capsys, "review", ZH, "--by", "Ann Lee-Reviewers Inc")
    assert rc == 0, err
    text = (book / ZH).read_text("utf-8")
    today = datetime.datetime.now(datetime.timezone.utc).date().isoformat()
    assert f"  on: {today}\n" in text and "translation:" not in text
    assert text.replace(re.search(r"reviewed:\n(  .*\n){3}", text).group(0), "") == before
    assert text.index("reviewed:") > text.index("asked_in:")
    assert out.strip().endswith(original_hash(book))


def test_review_again_replaces_the_record(book, capsys):
    assert run_cli(capsys, "review", ZH, "--by", "Ann Lee-Reviewers Inc", "--on", "2026-01-01")[0] == 0
    assert run_cli(capsys, "review", ZH, "--by", "Bo Li-Reviewers Inc", "--on", "2026-02-01")[0] == 0
    text = (book / ZH).read_text("utf-8")
    assert text.count("reviewed:") == 1 and "Bo Li-Reviewers Inc" in text and "Ann Lee" not in text


def test_review_refuses_the_writer_and_the_translator(book, capsys):
    before_zh, before_en = (book / ZH).read_bytes(), (book / EN).read_bytes()
    rc, out, err = run_cli(capsys, "review", ZH, "--by", "张三-另一所大学")
    assert rc == 1 and "contributor" in err and out == ""
    rc, out, err = run_cli(capsys, "review", EN, "--by", "jane  doe-Another Place")
    assert rc == 1 and "translator" in err
    assert (book / ZH).read_bytes() == before_zh and (book / EN).read_bytes() == before_en


def test_review_rejects_bad_arguments(book, capsys):
    assert run_cli(capsys, "review", ZH, "--by", "nobody")[0] == 2
    assert run_cli(capsys, "review", ZH, "--by", "Ann-X", "--on", "2026-13-01")[0] == 2
    rc, _, err = run_cli(capsys, "review", "source/book.yaml", "--by", "Ann-X")
    assert rc == 1 and "question file" in err


def test_review_keeps_crlf_and_bom(book, capsys):
    p = book / ZH
    p.write_bytes(b"\xef\xbb\xbf" + p.read_bytes().replace(b"\n", b"\r\n"))
    assert run_cli(capsys, "review", ZH, "--by", "Ann-X", "--on", "2026-12-04")[0] == 0
    raw = p.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf---\r\n") and b"\r\nreviewed:\r\n  by: Ann-X\r\n" in raw
    assert b"\n" not in raw.replace(b"\r\n", b"")


def test_review_rewrites_flow_style_translation_block(book, capsys):
    text = (book / EN).read_text("utf-8")
    block = re.search(r"translation:\n(  .*\n)+", text).group(0)
    patch_file(book, EN, block, "translation: {status: draft, translators: [Jane Doe-MIT], "
                                "source_hash: sha256:0000000000000000}\n")
    assert run_cli(capsys, "review", EN, "--by", "Ann-X", "--on", "2026-12-04")[0] == 0
    loaded, diags = load_book(book)
    en = loaded.text("kernel-size", "en")
    assert en.status == "reviewed" and en.translators == ("Jane Doe-MIT",)
    assert en.source_hash == original_hash(book)


# --- the fixture is clean ----------------------------------------------------------------------------------------

def test_fixture_book_has_no_findings(book, capsys):
    assert findings(capsys) == []


# --- tags --------------------------------------------------------------------------------------------------------

def test_unknown_topic_names_closest_and_valid_ones(book, capsys):
    patch_file(book, ZH, "topics: [cnn, optimization]", "topics: [cnn, optimisation]")
    [d] = findings(capsys, "DL620")
    assert (d["file"], d["line"], d["col"], d["severity"]) == (ZH, 6, 15, "error")
    assert "'optimisation'" in d["message"]
    assert "did you mean 'optimization'" in d["hint"] and "cnn, llm, optimization" in d["hint"]


def test_unknown_topic_in_capitals_gets_the_tag_diagnostic_not_a_schema_one(book, capsys):
    patch_file(book, ZH, "topics: [cnn, optimization]", "topics: [CNN, optimization]")
    diags = findings(capsys)
    assert [d["code"] for d in diags] == ["DL620"] and "did you mean 'cnn'" in diags[0]["hint"]


def test_unknown_round(book, capsys):
    patch_file(book, ZH, "asked_in: [ml-fundamentals]", "asked_in:\n  - system-desing")
    [d] = findings(capsys, "DL621")
    assert (d["line"], d["col"]) == (8, 5) and "ml-fundamentals, coding" in d["hint"]


def test_difficulty_missing_from_topics_yaml(book, capsys):
    patch_file(book, "source/topics.yaml", "  3: {zh: 高级, en: advanced}\n", "")
    [d] = findings(capsys, "DL622")
    assert (d["file"], d["line"]) == (ZH2, 5) and "valid: 1, 2" in d["hint"]


def test_translation_with_other_tags_is_a_warning(book, capsys):
    patch_file(book, EN, "contributors: [张三-某大学]\n", "contributors: [张三-某大学]\ndifficulty: 1\n")
    [d] = findings(capsys, "DL623")
    assert (d["file"], d["line"], d["severity"]) == (EN, 5, "warning")


def test_translation_repeating_the_same_tags_is_fine(book, capsys):
    patch_file(book, EN, "contributors: [张三-某大学]\n",
               "contributors: [张三-某大学]\ndifficulty: 2\ntopics: [optimization, cnn]\nasked_in: [ml-fundamentals]\n")
    assert findings(capsys) == []


def test_require_tags_makes_missing_tags_an_error(book, capsys):
    patch_file(book, ZH2, "difficulty: 3\ntopics: [llm, optimization]\n", "")
    assert findings(capsys, "DL624") == []
    patch_file(book, "source/book.yaml", "chapters: [ch01]", "chapters: [ch01]\noptions: {require_tags: true}")
    [d] = findings(capsys, "DL624")
    assert d["file"] == ZH2 and "difficulty" in d["message"] and "topics" in d["message"]


def test_invalid_topics_yaml_is_reported_at_its_line(book, capsys):
    patch_file(book, "source/topics.yaml", "  llm: {zh: 大语言模型, en: large language models}",
               "  llm: {zh: 大语言模型}")
    [d] = findings(capsys, "DL625")
    assert (d["file"], d["line"]) == ("source/topics.yaml", 10) and "en" in d["message"]


def test_topics_yaml_that_is_not_yaml(book, capsys):
    patch_file(book, "source/topics.yaml", "topics:\n", "topics: [\n")
    [d] = findings(capsys, "DL625")
    assert d["file"] == "source/topics.yaml" and d["line"] > 1


# --- glossary ----------------------------------------------------------------------------------------------------

def test_avoided_english_rendering_is_flagged_at_its_column(book, capsys):
    patch_file(book, EN, "A $k \\times k$ kernel", "A $k \\times k$ Convolution\n core")
    [d] = findings(capsys, "DL631")
    assert (d["file"], d["line"], d["col"]) == (EN, 15, 16) and "kernel" in d["hint"]
    assert "Convolution\n core" in d["message"]


def test_avoided_english_in_math_code_or_inside_words_is_not_flagged(book, capsys):
    patch_file(book, EN, "# count the parameters", "# convolution core")
    patch_file(book, EN, "A $k \\times k$ kernel", "A $k \\times k \\text{ convolution core}$ kernel (`convolution core`)")
    patch_file(book, EN, "parameters.\n", "parameters of a deconvolution cores.\n")
    assert findings(capsys, "DL631") == []


def test_avoided_english_needs_the_term_in_the_original(book, capsys):
    patch_file(book, EN, "For choosing the learning rate", "For choosing the study rate")
    assert findings(capsys, "DL631")
    patch_file(book, ZH, "学习率的选择见", "步长的选择见")
    assert findings(capsys, "DL631") == []


def test_avoided_chinese_variant_in_the_original(book, capsys):
    patch_file(book, ZH, "的卷积核、输入", "的卷积内核、输入")
    [d] = findings(capsys, "DL632")
    assert (d["file"], d["line"], d["col"]) == (ZH, 10, 17) and "卷积核" in d["hint"]


def test_invalid_and_duplicate_glossary_entries(book, capsys):
    patch_file(book, "source/glossary.yaml", "    en: learning rate\n", "")
    [d] = findings(capsys, "DL630")
    assert (d["file"], d["line"]) == ("source/glossary.yaml", 6)
    patch_file(book, "source/glossary.yaml", "  - zh: 学习率\n", "  - zh: 卷积核\n    en: kernel\n")
    [d] = findings(capsys, "DL633")
    assert (d["line"], d["severity"]) == (6, "warning")


# --- review records ----------------------------------------------------------------------------------------------

def test_reviewer_who_translated_the_file(book, capsys):
    patch_file(book, EN, "  by: 李四-某研究所", "  by: Jane Doe-Elsewhere")
    [d] = findings(capsys, "DL610")
    assert (d["file"], d["line"], d["col"], d["severity"]) == (EN, 10, 3, "error")


def test_reviewed_status_without_record(book, capsys):
    remove_review(book)
    [d] = findings(capsys, "DL611")
    assert (d["file"], d["line"], d["severity"]) == (EN, 5, "error")


def test_review_goes_stale_when_the_original_changes(book, capsys):
    patch_file(book, ZH2, "可避免发散", "可以避免发散")  # another question: nothing happens
    assert findings(capsys, "DL612") == []
    patch_file(book, ZH, "参数量为", "参数个数为")
    [d] = findings(capsys, "DL612")
    assert (d["file"], d["line"], d["severity"]) == (EN, 12, "warning")
    assert original_hash(book) in d["message"]
    rc, _, _ = run_cli(capsys, "review", EN, "--by", "李四-某研究所")
    assert rc == 0 and findings(capsys) == []


def test_review_dated_in_the_future_or_impossible(book, capsys):
    patch_file(book, EN, "  on: 2026-12-01", "  on: 2999-01-01")
    [d] = findings(capsys, "DL613")
    assert (d["line"], d["col"]) == (11, 3) and "future" in d["message"]
    patch_file(book, EN, "  on: 2999-01-01", "  on: 2026-02-30")
    [d] = findings(capsys, "DL613")
    assert "not a real date" in d["message"]


# --- translation pairs -------------------------------------------------------------------------------------------

def test_changed_formula_is_flagged_both_ways(book, capsys):
    patch_file(book, EN, "k^2 C_{in} C_{out} + C_{out}", "k^2 C_{in} C_{out}")
    [d] = findings(capsys, "DL640")
    assert (d["file"], d["line"]) == (EN, 17) and "differs from" in d["message"] and f"{ZH}:12" in d["message"]
    patch_file(book, EN, "parameters.\n", "parameters, and $b$ more.\n")
    patch_file(book, EN, "$C_{out}$ output", "output")
    diags = findings(capsys, "DL640")
    kinds = sorted("differs" if "differs" in d["message"] else "extra" if "not in the original" in d["message"]
                   else "missing" for d in diags)
    assert kinds == ["differs", "extra", "missing"]


def test_formula_spacing_and_trailing_punctuation_do_not_matter(book, capsys):
    patch_file(book, EN, "$C_{in}$", "$C_{ in }$")
    patch_file(book, EN, "k^2 C_{in} C_{out} + C_{out}", "k^2C_{in}C_{out}+C_{out} ,")
    assert findings(capsys, "DL640") == []


def test_changed_code_is_flagged_but_translated_comments_are_not(book, capsys):
    patch_file(book, EN, "# count the parameters", "# how many parameters")
    assert findings(capsys, "DL641") == []
    patch_file(book, EN, "    return k * k * cin * cout + cout", "    return k * k * cin * cout")
    [d] = findings(capsys, "DL641")
    assert (d["file"], d["line"]) == (EN, 25)


def test_changed_output_block(book, capsys):
    patch_file(book, EN, "73856", "73855")
    [d] = findings(capsys, "DL642")
    assert (d["file"], d["line"]) == (EN, 31)


def test_dropped_cross_reference(book, capsys):
    patch_file(book, EN, "see [](#lr-warmup)", "see the next question")
    [d] = findings(capsys, "DL643")
    assert d["file"] == EN and "#lr-warmup" in d["message"] and "missing" in d["message"]


def test_other_figure(book, capsys):
    (book / "source/ch01/img/other.png").write_bytes((book / "source/ch01/img/kernel.png").read_bytes())
    patch_file(book, EN, "(img/kernel.png)", "(img/other.png)")
    [d] = findings(capsys, "DL644")
    assert (d["file"], d["line"]) == (EN, 23) and "img/other.png" in d["message"]
    patch_file(book, EN, "(img/other.png)", "(./img/kernel.png)")
    assert findings(capsys, "DL644") == []


# --- status: reviews and tags ------------------------------------------------------------------------------------

def report_of(root) -> dict:
    from pipeline.status import build_report
    loaded, _ = load_book(root)
    return build_report(loaded, history=False, top=None)


def test_status_counts_reviews_and_shows_a_review_going_stale(book, capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "200")  # the terminal table's columns, whatever runs the tests
    assert run_cli(capsys, "review", ZH, "--by", "Ann Lee-Reviewers Inc", "--on", "2026-11-02")[0] == 0
    r = report_of(book)
    assert r["reviews"]["originals"] == {"reviewed": 1, "stale": 0, "unreviewed": 1, "oldest": "2026-11-02"}
    assert r["reviews"]["translations"]["en"] == {"reviewed": 1, "stale": 0, "unreviewed": 1, "oldest": "2026-12-01"}
    assert r["oldest_review"] == "2026-11-02" and r["chapters"][0]["oldest_review"] == "2026-11-02"
    patch_file(book, ZH, "参数量为", "参数个数为")
    r = report_of(book)
    assert r["reviews"]["originals"]["stale"] == 1 and r["reviews"]["translations"]["en"]["stale"] == 1
    assert r["chapters"][0]["reviews"]["originals"]["reviewed"] == 0
    [q] = [q for q in r["questions"] if q["qid"] == "kernel-size"]
    assert (q["state"], q["review"]) == ("stale", "stale")
    rc, out, _ = run_cli(capsys, "status", ".", "--no-history", "--out", str(book / "out"))
    assert rc == 0 and re.search(r"whole book\s+0\s+1\s+1\s+0\s+1\s+2026-11-02", out), out


def test_status_breaks_down_by_difficulty_and_topic(book, capsys):
    r = report_of(book)
    by_d = {row["id"]: row for row in r["by_difficulty"]}
    assert by_d["3"]["questions"] == 1 and by_d["3"]["languages"]["en"]["translated"] == 0
    assert by_d["2"]["languages"]["en"] == {"translated": 1, "reviewed": 1, "percent_translated": 100.0}
    assert "unrated" not in by_d
    by_t = {row["id"]: row for row in r["by_topic"]}
    assert by_t["optimization"]["questions"] == 2 and by_t["optimization"]["languages"]["en"]["percent_translated"] == 50
    assert by_t["llm"]["languages"]["en"]["translated"] == 0 and "untagged" not in by_t
    patch_file(book, ZH2, "difficulty: 3\ntopics: [llm, optimization]\n", "")
    r = report_of(book)
    assert [row["id"] for row in r["by_difficulty"]][-1] == "unrated"
    assert {row["id"]: row["questions"] for row in r["by_topic"]} == {"cnn": 1, "optimization": 1, "untagged": 1}
    rc, out, _ = run_cli(capsys, "status", ".", "--no-history", "--by-topic", "--out", str(book / "out"))
    assert rc == 0 and "By topic" in out and "untagged" in out
    md = (book / "out/translation-status.md").read_text("utf-8")
    assert "| unrated | 1 | 0 | 0 | 0 |" in md


def test_broken_topics_yaml_is_one_diagnostic_not_one_per_question(book, capsys):
    patch_file(book, "source/topics.yaml", None, "topics: 5\n")
    assert {d["code"] for d in findings(capsys)} == {"DL625"}


def test_review_by_a_name_yaml_would_misread_is_quoted(book, capsys):
    remove_review(book)
    rc, _, err = run_cli(capsys, "review", EN, "--by", "O'Brien: Jr #2-Some Lab", "--on", "2026-12-04")
    assert rc == 0, err
    loaded, _ = load_book(book)
    assert loaded.text("kernel-size", "en").reviewed.by == "O'Brien: Jr #2-Some Lab"
    assert findings(capsys) == []


def test_stamp_keeps_crlf_and_rewrites_a_flow_style_translation(book, capsys):
    text = (book / EN).read_text("utf-8")
    block = re.search(r"translation:\n(  .*\n)+", text).group(0)
    patch_file(book, EN, block, "translation: {status: draft, translators: [Jane Doe-MIT],\n"
                                "  source_hash: sha256:0000000000000000}\n")
    (book / EN).write_bytes((book / EN).read_bytes().replace(b"\n", b"\r\n"))
    rc, out, err = run_cli(capsys, "status", ".", "--stamp", EN)
    assert rc == 0, err
    raw = (book / EN).read_bytes()
    assert b"\n" not in raw.replace(b"\r\n", b"") and b"0000000000000000" not in raw
    loaded, diags = load_book(book)
    en = loaded.text("kernel-size", "en")
    assert (en.status, en.translators, en.source_hash) == ("draft", ("Jane Doe-MIT",), original_hash(book))
    assert not [d for d in diags if d.severity == "error"]
