"""Script injection: hostile titles, bodies, links, image alts, contributor names and chapter titles reach the site,
the EPUB and the PDF's HTML only as text. The outputs are parsed (HTML5 parser, XML parser), never grepped."""

from __future__ import annotations

import contextlib
import io
import os
import re
import zipfile
from pathlib import Path

import pytest

from conftest import copy_fixture, patch_file

SCRIPT = "<script>alert(1)</script>"
IMG = "<img src=x onerror=alert(1)>"
HOSTILE_BODY = f"""

Body payload {IMG} and {SCRIPT} in prose.

A link [click me](javascript:alert(1)) and [mixed case]( JaVaScRiPt:alert(2)) and [data](data:text/html,{SCRIPT}).

An image alt ![alt {IMG}](javascript:alert(3)) and a span [styled]{{onclick="alert(4)" style="position:fixed"}}.

Math with text $\\text{{{SCRIPT}}} + x$ stays math.

```{{=html}}
<script>alert(5)</script>
```

Inline raw `<b onmouseover=alert(6)>x</b>`{{=html}} too.
"""

DANGEROUS_SCHEMES = ("javascript", "vbscript", "data", "file")
URL_ATTRS = ("href", "src", "action", "formaction", "xlink:href", "poster", "background")


def hostile_book(root: Path) -> None:
    patch_file(root, "source/ch01/relu-why.zh.md", "title: 为什么用 ReLU？", f"title: '{SCRIPT} 为什么用 ReLU？'")
    patch_file(root, "source/ch01/relu-why.zh.md", "contributors: [李四-某公司]",
               f"contributors: ['{SCRIPT}-某公司', '{IMG}-x']")
    patch_file(root, "source/ch01/relu-why.zh.md", "不会像 [](#sigmoid-grad) 那样衰减。",
               "不会像 [](#sigmoid-grad) 那样衰减。" + HOSTILE_BODY)
    patch_file(root, "source/ch01/chapter.yaml", "title: {zh: 基础, en: Basics}",
               f"title: {{zh: '{SCRIPT}基础', en: '{IMG} Basics'}}")
    patch_file(root, "source/ch01/chapter.yaml", "title: {zh: 激活函数, en: Activations}",
               f"title: {{zh: '{IMG}激活函数', en: '{SCRIPT} Activations'}}")
    patch_file(root, "source/book.yaml", "title: {zh: 迷你书, en: Mini Book}",
               f"title: {{zh: '{SCRIPT}迷你书', en: 'Mini {IMG} Book'}}")


def quietly(*argv) -> int:
    from pipeline.cli import main
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        return main(list(argv))


@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    root = copy_fixture("minimal", tmp_path_factory.mktemp("inject") / "book")
    hostile_book(root)
    cwd = os.getcwd()
    os.chdir(root)
    os.environ["SOURCE_DATE_EPOCH"] = "1700000000"
    try:  # forced through the validator's refusal: the renderers must hold on their own
        rc = quietly("build", ".", "--format", "epub", "--format", "html", "--keep-going", "--quiet")
    finally:
        os.chdir(cwd)
    assert rc in (0, 1)  # 1: ziamath cannot draw \text{<script>…} (DL506); --keep-going publishes all the same
    assert (root / "build" / "site" / "index.html").is_file() and (root / "build" / "zh" / "dl500.epub").is_file()
    return root


def scheme(url: str) -> str:
    m = re.match(r"\s*([A-Za-z][A-Za-z0-9+.\-]*):", "".join(url.split()))
    return m.group(1).lower() if m else ""


def local(tag) -> str:
    return tag.rsplit("}", 1)[-1].lower() if isinstance(tag, str) else ""


def executable_markup(tree, allowed_scripts=()) -> list[str]:
    """Everything in a parsed document that could run script: script elements (other than the site's own file),
    event-handler attributes, script-capable URLs, frames, plugins, base, meta refresh to elsewhere."""
    found = []
    for el in tree.iter():
        name = local(el.tag)
        if name == "script" and el.get("src") not in allowed_scripts:
            found.append(f"<script src={el.get('src')!r}>{(el.text or '')[:40]}")
        if name in ("iframe", "frame", "object", "embed", "base", "applet", "foreignobject"):
            found.append(f"<{name}>")
        for key, value in el.attrib.items():
            attr = local(key)
            if attr.startswith("on"):
                found.append(f"<{name} {attr}={value!r}>")
            if attr in URL_ATTRS and scheme(value) in DANGEROUS_SCHEMES:
                if not (name == "img" and attr == "src" and value.startswith("data:image/")):
                    found.append(f"<{name} {attr}={value[:60]!r}>")
            if attr == "style" and re.search(r"expression|url\(|position\s*:\s*fixed", value, re.I):
                found.append(f"<{name} style={value!r}>")
        if name == "meta" and (el.get("http-equiv") or "").lower() == "refresh":
            target = (el.get("content") or "").partition("url=")[2]
            if scheme(target):
                found.append(f"<meta refresh {target!r}>")
    return found


def text_of(tree) -> str:
    return " ".join("".join(el.itertext()) for el in tree.iter() if local(el.tag) == "body")


def parse_html(path: Path):
    import tinyhtml5
    return tinyhtml5.parse(path.read_bytes())


def test_site_pages_carry_no_executable_markup(hostile):
    site = hostile / "build" / "site"
    pages = sorted(site.rglob("*.html"))
    assert len(pages) > 5
    for page in pages:
        tree = parse_html(page)
        own = {s.get("src") for s in tree.iter() if local(s.tag) == "script" and s.get("src", "").endswith(
            ("assets/site.js", "assets/quiz.js")) and not scheme(s.get("src"))}
        assert executable_markup(tree, own) == [], page


def test_quiz_data_carries_no_executable_markup(hostile):
    """quiz.js puts each title and answer of quiz.json into the page as HTML: they must be as inert as the pages."""
    import json
    for lang in ("zh", "en"):
        data = json.loads((hostile / "build" / "site" / lang / "quiz" / "quiz.json").read_text("utf-8"))
        assert data["questions"]
        for q in data["questions"]:
            for html in (q["title"], q["answer"]):
                import tinyhtml5
                assert executable_markup(tinyhtml5.parse(html)) == [], (lang, q["id"])


def test_payloads_are_shown_as_text_not_dropped(hostile):
    zh = parse_html(hostile / "build/site/zh/basics/index.html")
    text = text_of(zh)
    assert SCRIPT in text  # the chapter title, the question title, the contributor: escaped, visible
    assert f"{SCRIPT}-某公司" in text
    en = parse_html(hostile / "build/site/en/basics/index.html")
    assert IMG in text_of(en)


def test_site_pages_send_a_strict_content_security_policy(hostile):
    for page in sorted((hostile / "build" / "site").rglob("*.html")):
        tree = parse_html(page)
        metas = [m.get("content") for m in tree.iter() if local(m.tag) == "meta"
                 and (m.get("http-equiv") or "").lower() == "content-security-policy"]
        assert len(metas) == 1, page
        policy = dict((d.split()[0], d.split()[1:]) for d in metas[0].split(";") if d.strip())
        assert policy["default-src"] == ["'none'"]
        assert "'unsafe-inline'" not in policy["script-src"] and "'unsafe-eval'" not in policy["script-src"]
        assert "*" not in policy["script-src"] and "data:" not in policy["script-src"]
        assert policy["object-src"] == ["'none'"] and policy["base-uri"] == ["'none'"]
        inline = [s for s in tree.iter() if local(s.tag) == "script" and not s.get("src")]
        from pipeline.render.site import script_hash
        assert all(script_hash(s.text or "") in policy["script-src"] for s in inline), page


def test_epub_documents_are_well_formed_and_inert(hostile):
    from lxml import etree
    for lang in ("zh", "en"):
        z = zipfile.ZipFile(hostile / "build" / lang / "dl500.epub")
        docs = [n for n in z.namelist() if n.endswith((".xhtml", ".html", ".ncx", ".opf", ".svg"))]
        assert docs
        for name in docs:
            tree = etree.fromstring(z.read(name))  # XML: raises on anything not well-formed
            assert executable_markup(tree) == [], (lang, name)


def test_pdf_html_single_and_parts_is_inert(hostile):
    from pipeline.prepare import build_meta, chapter_files, collect_formulas, render_fragments, texts_to_render
    from pipeline.load import load_book
    from pipeline.render import math as mathr
    from pipeline.prepare.edition import build_edition
    from pipeline.render.html import RenderContext, pygments_css
    from pipeline.render.pdf.document import render_edition_html
    from pipeline.render.pdf.parts import part_html, split_parts
    from pipeline.validate import parsed_body
    from pipeline.validate.numbering import reference_index
    import tinyhtml5
    book, _ = load_book(hostile)
    texts = texts_to_render(book, book.languages)
    cache = hostile / ".dl500-cache" / "render"
    fragments = render_fragments(book, texts, cache, {})
    rendered = mathr.render_all(collect_formulas(fragments), mathr.MathCache(cache / "math"), 1, {})
    meta = dict(build_meta(book), pygments_css=pygments_css(), pg_digits=2)
    for lang in book.languages:
        ctx = RenderContext(lang, "pdf", reference_index(book, parsed_body), chapter_files(book), math=rendered)
        edition = build_edition(book, lang, fragments, ctx)
        documents = [render_edition_html(book, edition, meta)]
        documents += [part_html(book, edition, meta, p) for p in split_parts(edition)]
        for html in documents:
            tree = tinyhtml5.parse(html)
            assert executable_markup(tree) == []
            styles = [s for s in tree.iter() if local(s.tag) == "style"]
            assert all(local(p.tag) == "head" for s in styles for p in [parent_of(tree, s)])
        assert SCRIPT in text_of(tinyhtml5.parse(documents[0])) or IMG in text_of(tinyhtml5.parse(documents[0]))


def parent_of(tree, child):
    for el in tree.iter():
        if child in list(el):
            return el
    return None


def test_validator_refuses_raw_html_at_its_line(tmp_path, capsys, monkeypatch):
    from conftest import diagnostics_json
    root = copy_fixture("minimal", tmp_path / "book")
    monkeypatch.chdir(root)
    hostile_book(root)
    rc, diags = diagnostics_json(capsys, "check", ".", "--no-claims")
    assert rc == 1
    mine = [(d["code"], d["line"]) for d in diags if d["file"] == "source/ch01/relu-why.zh.md"]
    body = (root / "source/ch01/relu-why.zh.md").read_text("utf-8").split("\n")

    def line_of(needle):
        return next(i for i, t in enumerate(body, 1) if needle in t)
    assert ("DL430", line_of("Body payload")) in mine
    assert ("DL430", 3) in mine  # the title's <script>
    assert ("DL431", line_of("```{=html}")) in mine
    assert ("DL431", line_of("Inline raw")) in mine
    assert ("DL432", line_of("[styled]")) in mine
    assert not [d for d in diags if d["code"].startswith("DL43") and d["file"] != "source/ch01/relu-why.zh.md"]


def test_build_without_keep_going_refuses_hostile_book(tmp_path, capsys, monkeypatch):
    from conftest import run_cli
    root = copy_fixture("minimal", tmp_path / "book")
    monkeypatch.chdir(root)
    hostile_book(root)
    rc, _, err = run_cli(capsys, "build", ".", "--format", "html")
    assert rc == 1 and "DL430" in err
    assert not (root / "build" / "site").exists()


def test_sanitizer_keeps_the_pipelines_markup():
    """The allow-list keeps MathML, math and figure images, tables, highlighting and the pipeline's attributes."""
    from pipeline.render.sanitize import sanitize_fragment
    own = ('<p><a class="xref" href="#relu-why">1.1.2</a> <span class="claim" title="guarded by act.x">0.25</span>'
           '<math alttext="x" display="inline"><mrow><msup><mi>x</mi><mn>2</mn></msup><mspace width="1em">'
           '</mspace></mrow></math><img class="math-inline" alt="x^2" style="width:1em;height:1em;vertical-align:'
           '-0.2em" src="data:image/svg+xml;base64,PHN2Zy8+"></p><table style="width:100%"><colgroup><col '
           'style="width:30%"></colgroup><tbody><tr><td>1</td></tr></tbody></table><pre class="highlight runnable">'
           '<code><span class="kn">import</span> <span class="nn">numpy</span></code></pre>'
           '<figure id="fig:a"><img src="img/ch01/a.svg" alt="a"><figcaption><span class="figure-number">图 1-1'
           '</span> a</figcaption></figure>')
    import tinyhtml5

    def shape(html):
        return [(local(e.tag), sorted((local(k), v.replace(" ", "")) for k, v in e.attrib.items()))
                for e in tinyhtml5.parse(html).iter()]
    assert shape(sanitize_fragment(own, "html")) == shape(own)
    assert 'src="file:///book/x.png"' in sanitize_fragment('<img src="file:///book/x.png">', "pdf")
    assert "file:" not in sanitize_fragment('<img src="file:///etc/passwd">', "epub")


def test_svg_image_with_script_is_refused_and_left_out(tmp_path, capsys, monkeypatch):
    from conftest import run_cli
    root = copy_fixture("minimal", tmp_path / "book")
    monkeypatch.chdir(root)
    svg = ('<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" width="10" '
           'height="10"><script>alert(1)</script><a xlink:href="javascript:alert(2)"><rect width="5" height="5" '
           'onclick="alert(3)"/></a></svg>')
    patch_file(root, "source/ch01/img/evil.svg", None, svg)
    patch_file(root, "source/ch01/img/fine.svg", None, '<svg xmlns="http://www.w3.org/2000/svg" width="10" '
               'height="10"><rect width="5" height="5"/></svg>')
    patch_file(root, "source/ch01/relu-why.zh.md", "那样衰减。", "那样衰减。\n\n![坏图](img/evil.svg)\n\n![好图](img/fine.svg)")
    rc, _, err = run_cli(capsys, "build", ".", "--format", "epub", "--format", "html", "--lang", "zh")
    assert rc == 1 and "relu-why.zh.md:9:1: error DL433" in err and "<script> element" in err
    assert not (root / "build" / "site").exists()  # nothing published
    rc, _, err = run_cli(capsys, "build", ".", "--format", "epub", "--format", "html", "--lang", "zh",
                         "--keep-going")
    site_files = {p.name for p in (root / "build" / "site").rglob("*.svg")}
    assert "fine.svg" in site_files and "evil.svg" not in site_files
    names = zipfile.ZipFile(root / "build/zh/dl500.epub").namelist()
    assert any(n.endswith("fine.svg") for n in names) and not any(n.endswith("evil.svg") for n in names)
