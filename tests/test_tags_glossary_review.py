"""Tags, glossary, review records and translation-pair checks; `dl500 review`."""

from __future__ import annotations

import re

from conftest import patch_file, run_cli

from pipeline.load import load_book
from pipeline.model import source_hash

EN = "source/ch01/sigmoid-grad.en.md"
ZH = "source/ch01/sigmoid-grad.zh.md"


def original_hash(root) -> str:
    book, _ = load_book(root)
    return source_hash(book.text("sigmoid-grad", "zh"))


def front_matter(path) -> str:
    return path.read_text("utf-8").split("\n---\n", 1)[0]


# --- dl500 review ---------------------------------------------------------------------------------------------

def test_review_writes_record_in_translation_and_marks_it_reviewed(book, capsys):
    patch_file(book, EN, "  status: reviewed\n", "  status: draft\n")
    patch_file(book, EN, "source_hash: sha256:882d6318158682b3", "source_hash: sha256:0000000000000000")
    before_body = (book / EN).read_bytes().split(b"\n---\n", 1)[1]
    rc, out, err = run_cli(capsys, "review", EN, "--by", "李四-某研究所", "--on", "2026-12-01")
    assert rc == 0, err
    h = original_hash(book)
    assert out.strip() == f"{EN}: {h}"
    fm = front_matter(book / EN)
    assert f"reviewed:\n  by: 李四-某研究所\n  on: 2026-12-01\n  against: {h}" in fm
    assert "  status: reviewed\n" in fm and f"  source_hash: {h}" in fm
    assert "  translators: [Jane Doe-Some University]\n" in fm
    assert (book / EN).read_bytes().split(b"\n---\n", 1)[1] == before_body
    loaded, diags = load_book(book)
    assert not [d for d in diags if d.severity == "error"]
    assert loaded.text("sigmoid-grad", "en").meta["reviewed"] == {"by": "李四-某研究所", "on": "2026-12-01",
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
    rc, out, err = run_cli(capsys, "review", EN, "--by", "Jane Doe-Some University")
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
    patch_file(book, EN, block, "translation: {status: draft, translators: [Jane Doe-Some University], "
                                "source_hash: sha256:0000000000000000}\n")
    assert run_cli(capsys, "review", EN, "--by", "Ann-X", "--on", "2026-12-04")[0] == 0
    loaded, diags = load_book(book)
    en = loaded.text("sigmoid-grad", "en")
    assert en.status == "reviewed" and en.translators == ("Jane Doe-Some University",)
    assert en.source_hash == original_hash(book)
