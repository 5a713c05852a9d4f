"""The PDF laid out in parts and joined: same pages, outline, TOC numbers and links as one WeasyPrint document."""

from __future__ import annotations

import re
import subprocess

import pytest

from conftest import copy_fixture, patch_file, run_cli


def _build(root, monkeypatch, capsys, mode: str, recto: bool = False, *extra) -> str:
    monkeypatch.chdir(root)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    monkeypatch.setenv("DL500_PDF_LAYOUT", mode)
    monkeypatch.setenv("DL500_PDF_RECTO", "1" if recto else "0")
    rc, _, err = run_cli(capsys, "build", ".", "--format", "pdf", *extra)
    assert rc == 0, err
    return err


def outline(reader):
    out = []

    def walk(items, depth):
        for it in items:
            if isinstance(it, list):
                walk(it, depth + 1)
            else:
                out.append((depth, it.title, reader.get_destination_page_number(it)))

    walk(reader.outline, 0)
    return out


def page_texts(pdf):
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    return [" ".join(p.split()) for p in text.split("\f")]


@pytest.fixture(scope="module", params=[False, True], ids=["plain", "recto"])
def both(request, tmp_path_factory):
    """The minimal fixture built twice, as one document and in parts (2 workers)."""
    mp = pytest.MonkeyPatch()
    import contextlib
    import io
    out = {}
    try:
        for mode in ("single", "parts"):
            root = copy_fixture("minimal", tmp_path_factory.mktemp(mode) / "book")
            mp.chdir(root)
            mp.setenv("SOURCE_DATE_EPOCH", "1700000000")
            mp.setenv("DL500_PDF_LAYOUT", mode)
            mp.setenv("DL500_PDF_RECTO", "1" if request.param else "0")
            from pipeline.cli import main
            with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()) as err:
                assert main(["build", ".", "--format", "pdf", "--jobs", "2"]) == 0, err.getvalue()
            out[mode] = root / "build"
    finally:
        mp.undo()
    return out


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_parts_match_the_single_document(both, lang):
    from pypdf import PdfReader
    single = PdfReader(str(both["single"] / lang / "dl500.pdf"))
    parts = PdfReader(str(both["parts"] / lang / "dl500.pdf"))
    assert len(parts.pages) == len(single.pages)
    assert outline(parts) == outline(single)
    assert len(outline(parts)) >= 6
    # every page prints the same text: TOC page numbers, running heads, page numbers, "见 2.1.1，第 N 页"
    assert page_texts(both["parts"] / lang / "dl500.pdf") == page_texts(both["single"] / lang / "dl500.pdf")
    assert parts.metadata.title == single.metadata.title


@pytest.mark.parametrize("mode", ["single", "parts"])
def test_stamped_page_numbers_are_on_the_right_pages(both, mode):
    """Page numbers are stamped after layout: the footer of every page but the cover (and blank versos) prints its
    own number, the TOC and "见 2.1.1，第 N 页" print the pages their targets are really on."""
    texts = page_texts(both[mode] / "zh" / "dl500.pdf")[:-1]  # pdftotext ends with a form feed
    for i, t in enumerate(texts):
        if i == 0 or not t:  # the cover; a blank verso
            assert not t.split() or not t.split()[-1].isdigit(), (i, t)
        else:
            assert t.split()[-1] == str(i + 1), (i, t)
    ch1 = next(i for i, t in enumerate(texts) if "第 1 章 基础" in t and i > 1)
    ch2 = next(i for i, t in enumerate(texts) if "2.1.1 卷积层有多少参数" in t)
    assert f"相关问题见 2.1.1，第 {ch2 + 1} 页" in texts[ch1]
    assert f"不会像 1.1.1，第 {ch1 + 1} 页" in texts[ch1]
    toc = texts[1]
    assert re.search(rf"1 基础[ .]*\.{ch1 + 1} ", toc) and re.search(rf"2 网络[ .]*\.{ch2 + 1} ", toc), toc


def test_part_html_holds_no_page_number(tmp_path):
    """A part's layout must not depend on its start page or on other parts' pages: its HTML has no counter-reset,
    no target-counter and no printed page, only placeholders."""
    import pipeline.render.pdf.document as pdf
    body = '<p>见 <a class="xref" href="#q-a">1.1.1</a>，<a class="xref" href="xref:fig:x">图 1</a></p>'
    out = pdf.page_refs(body, "zh")
    # the "，" after the reference is stamped with the number, so a short number leaves no gap before it
    assert '<span class="pg" data-pg="q-a" data-fmt="{} 页，">8888 页，</span></span></a><a' in out
    assert "fig:x" in out and out.count('class="pg"') == 1
    assert pdf.page_refs(out, "zh") == out
    from pipeline.templates import template_dir
    css = (template_dir() / "book.css").read_text("utf-8")
    assert "target-counter" not in css and "counter(page)" not in css


def test_cross_part_links_go_to_the_right_page(both):
    from pypdf import PdfReader
    reader = PdfReader(str(both["parts"] / "zh" / "dl500.pdf"))
    texts = page_texts(both["parts"] / "zh" / "dl500.pdf")
    ch2 = next(i for i, t in enumerate(texts) if "2.1.1 卷积层有多少参数" in t)
    ch1 = next(i for i, t in enumerate(texts) if "第 1 章 基础" in t and i > 1)
    gotos = []
    for i, page in enumerate(reader.pages):
        for annot in page.get("/Annots", []) or []:
            a = annot.get_object().get("/A")
            if a is None:
                continue
            a = a.get_object()
            assert not str(a.get("/URI", "")).startswith("xref:"), "an unresolved cross-part link"
            if a.get("/S") == "/GoTo" and not isinstance(a["/D"], str):
                target = reader.get_page_number(a["/D"][0].get_object())
                gotos.append((i, target))
    toc = 1
    assert (toc, ch1) in gotos and (toc, ch2) in gotos  # TOC entries
    assert (ch1, ch2) in gotos  # "相关问题见 2.1.1" in chapter 1 → chapter 2


def test_one_question_edit_lays_out_only_its_chapter(tmp_path, capsys, monkeypatch):
    root = copy_fixture("minimal", tmp_path / "book")
    err = _build(root, monkeypatch, capsys, "parts", False, "--lang", "zh", "--jobs", "2")
    # one pass, cold; the page numbers' templates are one small document
    assert "3 part(s), 3 laid out, 0 reused, 0 layout-only, 1 round(s), 1 stamp template document(s) laid out" in err
    err = _build(root, monkeypatch, capsys, "parts", False, "--lang", "zh")
    assert "0 PDF(s) laid out" in err or "nothing changed since the last build" in err
    patch_file(root, "source/ch02/conv-params.zh.md", "个参数。", "个参数（含偏置）。")
    err = _build(root, monkeypatch, capsys, "parts", False, "--lang", "zh", "--jobs", "2")
    # the edit moved no placeholder and no page number: the templates are reused too
    assert "3 part(s), 1 laid out, 2 reused, 0 layout-only, 1 round(s), 0 stamp template document(s) laid out" in err


def test_parts_are_byte_identical_from_scratch(tmp_path, capsys, monkeypatch):
    a = copy_fixture("minimal", tmp_path / "a")
    _build(a, monkeypatch, capsys, "parts", True, "--lang", "zh", "--jobs", "2")
    b = copy_fixture("minimal", tmp_path / "b")
    _build(b, monkeypatch, capsys, "parts", True, "--lang", "zh", "--jobs", "1")
    assert (a / "build/zh/dl500.pdf").read_bytes() == (b / "build/zh/dl500.pdf").read_bytes()


def embedded_font_programs(reader) -> list:
    """(PostScript name, bytes) of every distinct embedded font program of at least 20 kB."""
    import io

    from fontTools.ttLib import TTFont
    out, seen = [], set()
    for page in reader.pages:
        for ref in ((page.get("/Resources") or {}).get("/Font") or {}).values():
            font = ref.get_object()
            if font.get("/Subtype") != "/Type0":
                continue
            fd = font["/DescendantFonts"][0].get_object()["/FontDescriptor"].get_object()
            for key in ("/FontFile3", "/FontFile2"):
                if key in fd and fd.raw_get(key).idnum not in seen:
                    seen.add(fd.raw_get(key).idnum)
                    data = fd[key].get_object().get_data()
                    if len(data) >= 20_000:
                        out.append((TTFont(io.BytesIO(data), lazy=True)["name"].getDebugName(6), len(data)))
    return out


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_parts_share_one_copy_of_each_font(both, lang):
    """Each part embeds its own CJK subsets; the join keeps one program per font, so the file stays near the
    single document's size."""
    from pypdf import PdfReader
    names = [n for n, _ in embedded_font_programs(PdfReader(str(both["parts"] / lang / "dl500.pdf")))]
    assert names and len(names) == len(set(names)), names
    size = (both["parts"] / lang / "dl500.pdf").stat().st_size
    single = (both["single"] / lang / "dl500.pdf").stat().st_size
    assert size <= 1.2 * single, (size, single)


def test_page_number_boxes_are_as_wide_as_the_book_needs(tmp_path, capsys, monkeypatch):
    """Placeholders hold as many digits as the page count: estimated first, then taken from the last layout;
    a book that outgrows them is laid out again with wider boxes."""
    from pipeline.render import pdf as build
    from pipeline.load import load_book
    root = copy_fixture("minimal", tmp_path / "book")
    book, _ = load_book(root)
    cache = root / ".dl500-cache" / "render"
    assert build.page_digits_hint(book, "zh", cache) == 2
    monkeypatch.setattr(build, "page_digits_hint", lambda *a: 0)  # boxes too narrow for any number
    err = _build(root, monkeypatch, capsys, "parts", False, "--lang", "zh")
    assert "need 1-digit page numbers" in err
    from pypdf import PdfReader
    pages = len(PdfReader(str(root / "build/zh/dl500.pdf")).pages)
    monkeypatch.undo()
    assert build.page_digits_hint(book, "zh", cache) == len(str(pages))  # widened, and kept from now on


# ---- tagged PDF: the parts' structure trees merged at the join ------------------------------------------------------

def struct_tree(reader) -> dict:
    """Walk a PDF's structure tree: element types in order, each element's /Pg page index (None: not a page of
    this document), the ParentTree keys and the marked-content ids each page's content declares."""
    from pypdf.generic import ArrayObject, DictionaryObject

    from pipeline.render.pdf.structure import number_tree_items
    pages = {p.indirect_reference.idnum: i for i, p in enumerate(reader.pages)}
    root = reader.trailer["/Root"]["/StructTreeRoot"].get_object()
    out = {"types": [], "pg": [], "objr": [], "alts": [], "mcids": set()}

    def walk(ref, depth):
        assert depth < 200
        obj = ref.get_object()
        if isinstance(obj, int):
            return
        if obj.get("/Type") in ("/MCR", "/OBJR"):
            page = pages.get(obj.raw_get("/Pg").idnum) if "/Pg" in obj else None
            out["pg"].append(page)
            if obj.get("/Type") == "/OBJR":
                annots = [a.idnum for a in reader.pages[page].get("/Annots", [])] if page is not None else []
                out["objr"].append(obj.raw_get("/Obj").idnum in annots)
            return
        out["types"].append(str(obj["/S"]))
        if obj["/S"] == "/Figure":
            out["alts"].append(str(obj.get("/Alt", "")))
        if "/Pg" in obj:
            out["pg"].append(pages.get(obj.raw_get("/Pg").idnum))
        kids = obj.get("/K")
        kids = kids.get_object() if kids is not None else []
        for k in (kids if isinstance(kids, ArrayObject) else [obj.raw_get("/K")]):
            k_obj = k.get_object()
            if isinstance(k_obj, int):
                page = pages.get(obj.raw_get("/Pg").idnum) if "/Pg" in obj else None
                out["mcids"].add((page, int(k_obj), ref.idnum))
            elif isinstance(k_obj, DictionaryObject) and k_obj.get("/Type") == "/MCR":
                out["mcids"].add((pages.get(k_obj.raw_get("/Pg").idnum), int(k_obj["/MCID"]), ref.idnum))
                walk(k, depth + 1)
            else:
                walk(k, depth + 1)

    kids = root["/K"].get_object()
    for k in (kids if isinstance(kids, ArrayObject) else [root.raw_get("/K")]):
        walk(k, 0)
    out["parent_tree"] = dict(number_tree_items(root["/ParentTree"]))
    return out


def test_tagged_parts_join_into_one_structure_tree(tmp_path, capsys, monkeypatch):
    """Default layout, tagged: one Document element over every part's elements (a Part element per part); every page's /StructParents is a
    ParentTree key whose entries are that page's marked-content ids; every /Pg is a page of this document; as many
    figures (formulas, with their TeX as /Alt) as in the parts put together."""
    from pypdf import PdfReader
    root = copy_fixture("minimal", tmp_path / "book")
    _build(root, monkeypatch, capsys, "parts", False, "--lang", "zh", "--jobs", "2")
    pdf = root / "build/zh/dl500.pdf"
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    assert re.search(r"^Tagged:\s+yes$", info, re.M), info
    reader = PdfReader(str(pdf))
    catalog = reader.trailer["/Root"]
    assert catalog["/Lang"] == "zh-Hans" and bool(catalog["/MarkInfo"]["/Marked"])
    assert reader.metadata.title
    tree = struct_tree(reader)
    assert tree["types"][0] == "/Document" and tree["types"].count("/Document") == 1
    assert tree["types"].count("/Part") == 3  # each part's Document, copied whole as a Part of the book's
    assert tree["pg"] and None not in tree["pg"], "an element points at a page outside the document"
    assert tree["objr"] and all(tree["objr"]), "a link's OBJR does not point at an annotation of its page"
    keys = tree["parent_tree"]
    for i, page in enumerate(reader.pages):
        key = page.get("/StructParents")
        assert key is not None and key in keys, (i, key)
        declared = {mcid: owner for p, mcid, owner in tree["mcids"] if p == i}
        assert declared, i
        for mcid, owner in declared.items():  # the ParentTree maps the page's marked content to its element
            assert keys[key][mcid].idnum == owner, (i, mcid)
        for annot in page.get("/Annots", []):
            sp = annot.get_object().get("/StructParent")
            assert sp is None or sp in keys
    pages_keys = [p["/StructParents"] for p in reader.pages]
    assert len(set(pages_keys)) == len(pages_keys)  # renumbered per part: no two pages share marked-content ids
    # the figures of the parts (cached part PDFs of this one-language build, stamps excluded), no more, no fewer
    parts = [p for p in (root / ".dl500-cache").rglob("pdf-parts/parts/pdf/*.pdf")]
    assert len(parts) == 3, parts
    in_parts = sum(struct_tree(PdfReader(str(p)))["types"].count("/Figure") for p in parts)
    assert in_parts >= 2 and tree["types"].count("/Figure") == in_parts
    assert all(alt.strip() for alt in tree["alts"]), tree["alts"]


def test_untagged_parts_when_tags_are_off(tmp_path, capsys, monkeypatch):
    root = copy_fixture("minimal", tmp_path / "book")
    monkeypatch.setenv("DL500_PDF_TAGS", "0")
    _build(root, monkeypatch, capsys, "parts", False, "--lang", "en")
    info = subprocess.run(["pdfinfo", str(root / "build/en/dl500.pdf")], capture_output=True, text=True).stdout
    assert re.search(r"^Tagged:\s+no$", info, re.M), info


def glyph_forms(pdf_path) -> dict:
    """Formula glyph form name -> the objects stored under it, over every page's resources."""
    import pikepdf

    from pipeline.render.pdf.join import GLYPH_FORM
    out: dict = {}
    with pikepdf.open(pdf_path) as pdf:
        for page in pdf.pages:
            forms = page.obj.Resources.get("/XObject") or {}
            for name in forms.keys():
                if GLYPH_FORM.fullmatch(name):
                    out.setdefault(name, set()).add(forms[name].objgen)
    return out


def test_a_glyph_in_two_chapters_is_stored_once(tmp_path, capsys, monkeypatch):
    """Each part draws its formulas' glyphs as forms of its own (svgpath); the book keeps one of each."""
    import pikepdf

    from pipeline.render.pdf.join import GLYPH_FORM
    root = copy_fixture("minimal", tmp_path / "book")
    patch_file(root, "source/ch02/conv-params.zh.md", "个参数。", r"个参数，与 $\sigma(x)$ 无关。")  # σ as in ch01
    _build(root, monkeypatch, capsys, "parts", False, "--lang", "zh", "--jobs", "2")
    forms = glyph_forms(root / "build/zh/dl500.pdf")
    assert forms and all(len(objects) == 1 for objects in forms.values()), forms
    with pikepdf.open(root / "build/zh/dl500.pdf") as pdf:
        drawn = []
        for page in pdf.pages:
            content = b"".join(s.read_bytes() for s in (list(page.Contents) if isinstance(page.Contents, pikepdf.Array)
                                                        else [page.Contents]))
            forms = page.Resources.get("/XObject") or {}
            drawn.append({n for n in forms.keys() if GLYPH_FORM.fullmatch(n) and f"{n} Do".encode() in content})
    chapters = [names for names in drawn if names]
    assert len(chapters) >= 2 and set.intersection(*chapters[-2:])  # a glyph drawn in both chapters' pages


def test_the_join_shares_a_glyph_form_only_where_its_bytes_are_the_same():
    import pikepdf
    from pikepdf import Dictionary

    from pipeline.render.pdf.join import share_glyph_forms
    pdf = pikepdf.new()
    name, other = "/g" + "0" * 16, "/g" + "1" * 16
    for content in (b"0 0 m 1 1 l f", b"0 0 m 1 1 l f", b"0 0 m 9 9 l f"):  # two parts alike, a third forged
        pdf.add_blank_page()
        forms = Dictionary({name: pdf.make_stream(content), other: pdf.make_stream(b"0 0 m 2 2 l f")})
        pdf.pages[-1].Resources = pdf.make_indirect(Dictionary(XObject=forms))
    assert share_glyph_forms(pdf) == 3  # the second part's two forms and the third part's other one
    first, second, third = (p.Resources.XObject for p in pdf.pages)
    assert second[name].objgen == first[name].objgen and {second[other].objgen, third[other].objgen} == \
        {first[other].objgen}
    assert third[name].objgen != first[name].objgen and third[name].read_bytes() == b"0 0 m 9 9 l f"
