"""The Anki edition opened as what it is, a zip holding a SQLite collection: one note per question, GUIDs from the
question id (stable across builds and edits), tags from chapter/topics/difficulty, media that exist, no script,
and the same bytes for the same source."""

from __future__ import annotations

import contextlib
import html.parser
import io
import json
import re
import sqlite3
import zipfile
from pathlib import Path

import pytest

from conftest import copy_fixture, patch_file

pytest.importorskip("genanki")


def build_anki(root: Path, monkeypatch, *extra) -> dict:
    """Build the book at `root` as anki; {lang: .apkg bytes}."""
    from pipeline.cli import main
    monkeypatch.chdir(root)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()) as err:
        rc = main(["build", ".", "--format", "anki", "--quiet", *extra])
    assert rc == 0 or extra, err.getvalue()
    return {lang: (root / "build" / lang / "dl500.apkg").read_bytes() for lang in ("zh", "en")}


def open_apkg(data: bytes, tmp_path: Path) -> dict:
    """notes (guid → {tags, fields}), deck names and media (name → bytes) of an .apkg."""
    z = zipfile.ZipFile(io.BytesIO(data))
    db = tmp_path / f"collection-{len(list(tmp_path.iterdir()))}.anki2"
    db.write_bytes(z.read("collection.anki2"))
    conn = sqlite3.connect(str(db))
    try:
        notes = {guid: {"tags": tags.split(), "fields": flds.split("\x1f"), "mid": mid}
                 for guid, tags, flds, mid in conn.execute("SELECT guid, tags, flds, mid FROM notes")}
        cards = conn.execute("SELECT count(*) FROM cards").fetchone()[0]
        decks = json.loads(conn.execute("SELECT decks FROM col").fetchone()[0])
        models = json.loads(conn.execute("SELECT models FROM col").fetchone()[0])
    finally:
        conn.close()
    index = json.loads(z.read("media"))
    media = {name: z.read(number) for number, name in index.items()}
    return {"notes": notes, "cards": cards, "decks": {d["name"]: int(i) for i, d in decks.items()},
            "models": models, "media": media, "entries": z.infolist()}


@pytest.fixture
def tagged(tmp_path):
    return copy_fixture("tags_book", tmp_path / "book")


def test_one_note_per_question_with_tags_media_and_subdecks(tagged, monkeypatch, tmp_path):
    from pipeline.load import load_book
    book, _ = load_book(tagged / "source")
    qids = [ref.qid for _, ref in book.questions()]
    apkgs = build_anki(tagged, monkeypatch)
    for lang, data in apkgs.items():
        deck = open_apkg(data, tmp_path)
        assert len(deck["notes"]) == len(qids) == deck["cards"]
        assert sorted(n["fields"][0] for n in deck["notes"].values()) == sorted(qids)
        by_id = {n["fields"][0]: n for n in deck["notes"].values()}
        kernel = by_id["kernel-size"]
        assert {"dl500::topic::cnn", "dl500::topic::optimization", "dl500::difficulty::2",
                "dl500::asked_in::ml-fundamentals"} <= set(kernel["tags"])
        assert any(t.startswith("dl500::chapter::") for t in kernel["tags"])
        assert "dl500::difficulty::3" in by_id["lr-warmup"]["tags"]
        answer = kernel["fields"][3]
        assert "\\(k" in answer and 'class="highlight"' in answer and '<span class="k">def</span>' in answer
        sources = re.findall(r'<img src="([^"]+)"', "".join(f for n in deck["notes"].values() for f in n["fields"]))
        assert sources and all(s in deck["media"] for s in sources), (sources, list(deck["media"]))
        assert deck["media"][sources[0]] == (tagged / "source/ch01/img/kernel.png").read_bytes()
        title = book.title[lang]
        assert f"{title}::1 {book.chapters[0].title[lang]}" in deck["decks"]
        assert all(e.date_time == (1980, 1, 1, 0, 0, 0) for e in deck["entries"])
    zh, en = (open_apkg(apkgs[lang], tmp_path) for lang in ("zh", "en"))
    assert not set(zh["notes"]) & set(en["notes"]), "both editions in one collection must not overwrite each other"
    assert not set(zh["decks"].values()) & set(en["decks"].values()) - {1}


def test_same_source_same_bytes_and_guids_survive_an_edit(tmp_path, monkeypatch):
    first = build_anki(copy_fixture("tags_book", tmp_path / "a"), monkeypatch)
    second_root = copy_fixture("tags_book", tmp_path / "b")
    second = build_anki(second_root, monkeypatch)
    assert first == second, "two builds of the same source differ"

    # An edit elsewhere, and a reordering that changes every number: each note keeps its GUID.
    patch_file(second_root, "source/ch01/lr-warmup.zh.md", "可避免发散。", "可避免发散。新增一句说明。")
    patch_file(second_root, "source/ch01/chapter.yaml", None,
               (second_root / "source/ch01/chapter.yaml").read_text("utf-8").replace("kernel-size", "@K@")
               .replace("lr-warmup", "kernel-size").replace("@K@", "lr-warmup"))
    third = build_anki(second_root, monkeypatch)
    for lang in ("zh", "en"):
        before, after = open_apkg(first[lang], tmp_path), open_apkg(third[lang], tmp_path)
        assert set(before["notes"]) == set(after["notes"])
        for guid, note in before["notes"].items():
            assert after["notes"][guid]["fields"][0] == note["fields"][0]
            assert after["notes"][guid]["mid"] == note["mid"]
        assert before["decks"] == after["decks"]
        changed = {after["notes"][g]["fields"][0]: after["notes"][g]["fields"][1] for g in after["notes"]}
        assert changed == {"lr-warmup": "1.1", "kernel-size": "1.2"}
    assert "新增一句说明" in "".join(n["fields"][3] for n in open_apkg(third["zh"], tmp_path)["notes"].values())


def test_contributor_markup_never_reaches_a_card(tagged, monkeypatch, tmp_path):
    patch_file(tagged, "source/ch01/lr-warmup.zh.md", "title: 为什么要做学习率预热？",
               'title: "<script>alert(1)</script> 预热 <img src=x onerror=alert(2)>"')
    patch_file(tagged, "source/ch01/lr-warmup.zh.md", "可避免发散。",
               '可避免发散。[点我](javascript:alert(3)){onclick="alert(4)"} $\\text{<script>}x$')
    # the checks refuse this book; a maintainer who publishes anyway (--keep-going) still ships inert cards
    deck = open_apkg(build_anki(tagged, monkeypatch, "--keep-going")["zh"], tmp_path)
    text = "".join(f for n in deck["notes"].values() for f in n["fields"])
    assert "&lt;script&gt;alert(1)" in text
    found = ActiveMarkup()
    found.feed(text)
    assert found.tags and "script" not in found.tags and not found.risky, found.risky
    assert all(src in deck["media"] for src in re.findall(r'<img src="([^"]*)"', text))


class ActiveMarkup(html.parser.HTMLParser):
    """Elements, and attributes that could run script, in a card field."""

    def __init__(self):
        super().__init__()
        self.tags, self.risky = set(), []

    def handle_starttag(self, tag, attrs):
        self.tags.add(tag)
        for name, value in attrs:
            if name.startswith("on") or (value or "").strip().lower().startswith("javascript:"):
                self.risky.append((tag, name, value))
