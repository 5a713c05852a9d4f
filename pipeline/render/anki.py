"""The Anki edition: one .apkg per language, a subdeck per chapter, byte-identical for the same source.

Stable by design: deck and model ids are derived from the book id, every note's GUID from the book id, the
language and the question id (so re-importing next year's deck updates the cards a reader already studies and
keeps their review history), card ids and timestamps from the build date (SOURCE_DATE_EPOCH when set), and the zip
is written with fixed entry times. Cards carry no script: the answer is the sanitized fragment the other editions
show, math is left as TeX in `\\(…\\)` / `\\[…\\]` for Anki's own MathJax, figures and images travel as media.
"""

from __future__ import annotations

import hashlib
import html as htmllib
import itertools
import json
import re
import sqlite3
import tempfile
import zipfile
from pathlib import Path

from ..prepare.edition import demote_headings, inline_title, pick_text, title_of
from .html import RenderContext, finish_question_html, labels

ZIP_TIME = (1980, 1, 1, 0, 0, 0)  # the earliest a zip entry can carry: no build date leaks into the container
ID_LOW, ID_SPAN = 1 << 30, 1 << 30  # genanki's advice: ids in [2**30, 2**31)
XREF_LINK = re.compile(r'<a class="(xref[^"]*)" href="#[^"]*"([^>]*)>(.*?)</a>', re.S)
TAG_UNSAFE = re.compile(r"[^\w.\-]+")

CARD_CSS = """.card { font-family: system-ui, "Noto Sans CJK SC", "PingFang SC", "Microsoft YaHei", sans-serif;
  font-size: 18px; line-height: 1.6; text-align: left; color: #1d1d1f; background: #fdfdfc; padding: 0 .5em; }
.nightMode.card, .night_mode .card { color: #e6e6e3; background: #17181a; }
.number { color: #5f6368; margin-right: .3em; font-variant-numeric: tabular-nums; }
.question-title { font-size: 1.2em; font-weight: 600; }
.answer img { max-width: 100%; height: auto; }
.nightMode .answer img { filter: invert(1) hue-rotate(180deg); }
pre.highlight, pre.output { overflow-x: auto; padding: .6em .8em; background: #f3f4f1; border-radius: 6px;
  font-size: .85em; }
.nightMode pre.highlight, .nightMode pre.output { background: #f3f4f1; color: #1d1d1f; }
.output-label, .source, .note { color: #5f6368; font-size: .85em; }
table { border-collapse: collapse; } th, td { border: 1px solid #ccc; padding: .2em .5em; }
"""

FRONT = '<div class="question-title"><span class="number">{{Number}}</span> {{Question}}</div>'
BACK = ('{{FrontSide}}\n<hr id="answer">\n<div class="answer">{{Answer}}</div>\n'
        '<p class="source">{{Chapter}}</p>')


def stable_id(*parts: str) -> int:
    """An Anki id in [2**30, 2**31) from a hash of `parts`: the same book gives the same deck and model ids."""
    digest = hashlib.sha256("\0".join(parts).encode("utf-8")).digest()
    return ID_LOW + int.from_bytes(digest[:8], "big") % ID_SPAN


def note_guid(book_id: str, lang: str, qid: str) -> str:
    """genanki's GUID of (book, language, question id): stable across builds, edits and renumbering, and different
    per language, so importing both editions into one collection keeps two sets of notes."""
    import genanki
    return genanki.guid_for(book_id, lang, qid)


def anki_tag(*parts) -> str:
    """A hierarchical Anki tag (`dl500::topic::cnn`); tags cannot hold spaces, so anything unusual becomes `_`."""
    return "::".join(TAG_UNSAFE.sub("_", str(p)).strip("_") or "_" for p in parts)


def deck_name(*parts: str) -> str:
    """`::` separates deck levels in Anki: a title that holds it must not make a level of its own."""
    return "::".join(" ".join(p.replace("::", ":").split()) or "-" for p in parts)


def media_name(folder: str, url: str) -> str:
    """Anki keeps media in one flat folder shared by every deck: names unique to this book's image."""
    suffix = Path(url).suffix.lower()
    suffix = suffix if re.fullmatch(r"\.[a-z0-9]{1,5}", suffix) else ".svg"
    return "dl500-" + hashlib.sha256(f"{folder}/{url}".encode("utf-8")).hexdigest()[:20] + suffix


def anki_math(tex: str, display: bool) -> str:
    """TeX for Anki's MathJax, as escaped text (no markup from the formula reaches the card)."""
    tex = htmllib.escape(" ".join(tex.split()), quote=False)
    return f'<span class="math-tex">\\[{tex}\\]</span>' if display else f'<span class="math-tex">\\({tex}\\)</span>'


def unlink_xrefs(html: str) -> str:
    """A card cannot follow a link into the book: cross-references keep their number as text."""
    return XREF_LINK.sub(lambda m: f'<span class="{m.group(1)}">{m.group(3)}</span>', html)


def card_context(lang: str, ids: dict, media: dict) -> RenderContext:
    return RenderContext(lang, "html", {k: v[:2] for k, v in ids.items()}, {}, math={}, figures={},
                         images=dict(media), math_html=anki_math)


def question_tags(book, ch, qid: str) -> list:
    """Tags from the chapter, the original's topics, difficulty and interview rounds (translations inherit them)."""
    original = book.text(qid, book.primary)
    tags = [anki_tag("dl500", "chapter", f"{int(ch.number):02d}-{ch.cid}" if ch.number.isdigit() else ch.cid)]
    if original is not None:
        tags += [anki_tag("dl500", "topic", t) for t in original.topics]
        if original.difficulty is not None:
            tags.append(anki_tag("dl500", "difficulty", original.difficulty))
        tags += [anki_tag("dl500", "asked_in", r) for r in original.asked_in]
    return sorted(set(tags))


def media_files(figures: dict, static: dict) -> dict:
    """(chapter folder, url) → (media name, bytes) for every figure and image the editions show."""
    out = {}
    for (folder, url), svg in figures.items():
        out[(Path(folder).name, url)] = (media_name(Path(folder).name, url), svg.encode("utf-8"))
    for (folder, url), path in static.items():
        out[(folder, url)] = (media_name(folder, url), Path(path).read_bytes())
    return out


def build_notes(book, lang, fragments, ctx, model):
    """(chapter, [genanki.Note]) per chapter, in reading order; translations pending show the original."""
    import genanki
    book_id = str(book.meta.get("id") or "dl500")
    omit = book.options.get("untranslated") == "omit" and lang != book.primary
    lab = labels(lang)
    for ch in book.chapters:
        notes = []
        chapter_line = htmllib.escape(f'{lab["chapter"].format(ch.number)} {title_of(ch.title, lang, book.primary)}')
        from ..model import iter_question_refs
        for ref in iter_question_refs(ch.items):
            text, fallback = pick_text(book, ref.qid, lang)
            if text is None or (fallback and omit) or (ref.qid, text.lang) not in fragments:
                continue
            title_html, body_html = fragments[(ref.qid, text.lang)]
            folder = text.path.parent.name
            title = unlink_xrefs(finish_question_html(inline_title(title_html), ctx, folder))
            body = unlink_xrefs(finish_question_html(demote_headings(body_html, 2), ctx, folder))
            if fallback:
                body = f'<p class="note pending">{htmllib.escape(lab["pending"])}</p>\n{body}'
            fields = [htmllib.escape(ref.qid), htmllib.escape(ref.number), title, body, chapter_line]
            notes.append(genanki.Note(model=model, fields=fields, tags=question_tags(book, ch, ref.qid),
                                      guid=note_guid(book_id, lang, ref.qid), sort_field=ref.number))
        yield ch, notes


def card_model(book_id: str, lang: str, css: str):
    import genanki
    return genanki.Model(
        stable_id("dl500-model", book_id, lang), f"dl500 {book_id} ({lang})",
        fields=[{"name": "Id"}, {"name": "Number"}, {"name": "Question"}, {"name": "Answer"}, {"name": "Chapter"}],
        templates=[{"name": "Question → answer", "qfmt": FRONT, "afmt": BACK}], css=css, sort_field_index=1)


def anki_package(book, lang: str, fragments: dict, ids: dict, figures: dict, static: dict, meta: dict):
    """(genanki.Package, {media name: bytes}) of one language edition."""
    import genanki
    book_id = str(book.meta.get("id") or "dl500")
    media = media_files(figures, static)
    ctx = card_context(lang, ids, {k: name for k, (name, _) in media.items()})
    model = card_model(book_id, lang, CARD_CSS + (meta.get("pygments_css") or ""))
    book_title = title_of(book.title, lang, book.primary)
    width = len(str(len(book.chapters)))
    decks = [genanki.Deck(stable_id("dl500-deck", book_id, lang), deck_name(book_title),
                          description=htmllib.escape(f"{book_title} · {meta.get('date', '')}"))]
    for ch, notes in build_notes(book, lang, fragments, ctx, model):
        number = ch.number.zfill(width)
        deck = genanki.Deck(stable_id("dl500-deck", book_id, lang, ch.cid),
                            deck_name(book_title, f"{number} {title_of(ch.title, lang, book.primary)}"))
        deck.add_model(model)
        for note in notes:
            deck.add_note(note)
        decks.append(deck)
    return genanki.Package(decks), referenced_media(decks, media)


def referenced_media(decks, media: dict) -> dict:
    """{media name: bytes} of the images this edition's cards show (an image only the other language uses stays
    out)."""
    shown = "\n".join(f for deck in decks for note in deck.notes for f in note.fields)
    return {name: data for name, data in media.values() if f'src="{name}"' in shown}


def apkg_bytes(package, media: dict, timestamp: int) -> bytes:
    """The .apkg as bytes: genanki's collection written with a fixed timestamp and id sequence, zipped with fixed
    entry times and names sorted (genanki's own writer stamps the collection file's mtime into the zip)."""
    with tempfile.TemporaryDirectory(prefix="dl500-anki-") as tmp:
        db = Path(tmp) / "collection.anki2"
        conn = sqlite3.connect(str(db))
        try:
            package.write_to_db(conn.cursor(), float(timestamp), itertools.count(timestamp * 1000))
            conn.commit()
        finally:
            conn.close()
        collection = db.read_bytes()
    names = sorted(media)
    index = {str(i): name for i, name in enumerate(names)}
    out = Path(tempfile.mkstemp(prefix="dl500-apkg-")[1])
    try:
        with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as z:
            _write_entry(z, "collection.anki2", collection)
            _write_entry(z, "media", json.dumps(index, ensure_ascii=False, sort_keys=True).encode("utf-8"))
            for i, name in enumerate(names):
                _write_entry(z, str(i), media[name])
        return out.read_bytes()
    finally:
        out.unlink(missing_ok=True)


def _write_entry(z: zipfile.ZipFile, name: str, data: bytes) -> None:
    info = zipfile.ZipInfo(name, date_time=ZIP_TIME)
    info.compress_type = zipfile.ZIP_DEFLATED
    info.external_attr = 0o644 << 16
    z.writestr(info, data)


def write_anki(book, lang: str, fragments: dict, ids: dict, figures: dict, static: dict, meta: dict) -> bytes:
    """The .apkg of one language edition (see the module doc for what makes it stable)."""
    package, media = anki_package(book, lang, fragments, ids, figures, static, meta)
    return apkg_bytes(package, media, int(meta.get("epoch") or 0))


def render(prepared, options, target):
    """The Anki deck of each language into the staging folder (the registry's interface; render.registry)."""
    from .registry import Rendered, write_if_changed
    out = Rendered()
    for lang in options.langs:
        target.on_event(f"anki {lang}")
        data = write_anki(prepared.book, lang, dict(prepared.fragments), dict(prepared.ids), dict(prepared.figures),
                          dict(prepared.images), dict(prepared.meta))
        path = target.staging / lang / "dl500.apkg"
        write_if_changed(path, data)
        out.files.append(path)
    return out
