"""The web edition on the minimal fixture: links resolve, languages switch, nothing leaves the site, serve rebuilds."""

from __future__ import annotations

import contextlib
import html
import html.parser
import io
import json
import os
import posixpath
import re
import sys
import threading
import time
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from conftest import copy_fixture, patch_file


def build_site(root: Path, monkeypatch=None, page_limit=None, extra=(), stderr=None, quiet=True) -> Path:
    from pipeline.cli import main
    from pipeline.render import site
    cwd = os.getcwd()
    os.chdir(root)
    old_env = os.environ.get("SOURCE_DATE_EPOCH")
    os.environ["SOURCE_DATE_EPOCH"] = "1700000000"
    old_limit = site.PAGE_LIMIT
    if page_limit is not None:
        site.PAGE_LIMIT = page_limit
    try:
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()) as err:
            rc = main(["build", ".", "--format", "html", *(["--quiet"] if quiet else []), *extra])
        assert rc == 0, err.getvalue()
        if stderr is not None:
            stderr.append(err.getvalue())
    finally:
        site.PAGE_LIMIT = old_limit
        os.chdir(cwd)
        if old_env is None:
            os.environ.pop("SOURCE_DATE_EPOCH", None)
        else:
            os.environ["SOURCE_DATE_EPOCH"] = old_env
    return root / "build" / "site"


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    import contextlib
    import io
    root = copy_fixture("minimal", tmp_path_factory.mktemp("site") / "book")
    cwd = os.getcwd()
    os.chdir(root)
    try:  # run the claims first, as a maintainer would: the site marks what they guard
        from pipeline.cli import main
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            assert main(["claims", ".", "--device", "cpu", "--quiet"]) == 0
    finally:
        os.chdir(cwd)
    return build_site(root)


@pytest.fixture(scope="module")
def split_site(tmp_path_factory):
    """The same book with a page limit so small that every chapter with sections gets one page per section."""
    return build_site(copy_fixture("minimal", tmp_path_factory.mktemp("split") / "book"), page_limit=100)


class Links(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.ids, self.refs = set(), []  # refs: (tag, attr, value, attrs)

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if a.get("id"):
            self.ids.add(a["id"])
        for name in ("href", "src", "action"):
            if a.get(name) is not None:
                self.refs.append((tag, name, a[name], a))


def pages(site: Path):
    return [p for p in site.rglob("*.html") if "pagefind" not in p.relative_to(site).parts]


def parse(path: Path) -> Links:
    p = Links()
    p.feed(path.read_text("utf-8"))
    return p


def resolve(site: Path, page: Path, url: str) -> tuple[Path, str]:
    target, _, frag = url.partition("#")
    target = target.split("?", 1)[0]
    rel = posixpath.normpath(posixpath.join(posixpath.dirname(page.relative_to(site).as_posix()), target)) \
        if target else page.relative_to(site).as_posix()
    assert not rel.startswith(".."), f"{page}: {url} leaves the site"
    path = site / rel
    if path.is_dir():
        path = path / "index.html"
    return path, frag


@pytest.mark.parametrize("which", ["site", "split_site"])
def test_every_internal_link_resolves(which, request):
    site = request.getfixturevalue(which)
    checked = 0
    for page in pages(site):
        for _tag, name, url, _ in parse(page).refs:
            if url.startswith(("http://", "https://", "mailto:", "data:", "/__")):
                continue
            path, frag = resolve(site, page, url)
            assert path.is_file(), f"{page.relative_to(site)}: {name}={url} → {path} does not exist"
            if frag and path.suffix == ".html":
                assert frag in parse(path).ids, f"{page.relative_to(site)}: {url}: no id {frag!r} in {path}"
            checked += 1
    assert checked > 50


def test_pages_per_chapter_and_language(site):
    for lang in ("zh", "en"):
        for cid in ("basics", "nets"):
            assert (site / lang / cid / "index.html").is_file()
        assert (site / lang / "index.html").is_file()
    assert (site / "index.html").is_file()
    zh = (site / "zh/basics/index.html").read_text("utf-8")
    assert re.search(r'<h3 class="question-title"><a class="number" href="#sigmoid-grad"[^>]*>1\.1\.1</a>', zh)
    assert 'href="../nets/#conv-params">2.1.1</a>' in zh  # a cross-chapter reference, numbered
    assert 'rel="next" href="../nets/"' in zh


@pytest.mark.parametrize("which", ["site", "split_site"])
def test_language_switch_lands_on_the_same_question(which, request):
    site = request.getfixturevalue(which)
    found = 0
    for page in pages(site):
        for _tag, _, url, attrs in parse(page).refs:
            if "lang-switch" in (attrs.get("class") or ""):
                path, frag = resolve(site, page, url)
                assert path.relative_to(site).parts[0] == attrs["hreflang"]
                assert frag and frag in parse(path).ids
                found += 1
    assert found >= 6  # three questions, two languages


def test_split_chapter_keeps_stable_anchors(split_site):
    """When a chapter is split per section, the chapter page still holds each question id, linking on."""
    chapter = parse(split_site / "zh/basics/index.html")
    assert {"sigmoid-grad", "relu-why"} <= chapter.ids
    section = split_site / "zh/basics/activations/index.html"
    assert {"sigmoid-grad", "relu-why"} <= parse(section).ids
    assert {"sigmoid-grad", "relu-why"} <= parse(split_site / "bilingual/basics/activations/index.html").ids
    assert "sigmoid-grad" not in parse(split_site / "bilingual/basics/index.html").ids  # listed by its section
    question = (split_site / "zh/q/relu-why/index.html").read_text("utf-8")
    assert 'href="../../basics/activations/#relu-why"' in question


def test_nothing_references_outside_the_site(site):
    for page in pages(site):
        text = page.read_text("utf-8")
        for tag, name, url, _ in parse(page).refs:
            if re.match(r"(https?:)?//", url):
                assert tag == "a", f"{page}: <{tag} {name}={url}> loads something from outside"
        assert "@import" not in text and "fonts.googleapis" not in text
    for css in site.rglob("*.css"):
        assert not re.search(r"url\((['\"]?)(https?:)?//", css.read_text("utf-8")), css


def test_math_is_mathml_with_an_svg_file_behind_it(site):
    zh = (site / "zh/basics/index.html").read_text("utf-8")
    spans = re.findall(r'<span class="math (inline|display)"(?: tabindex="0")?>(.*?)</span>', zh, re.S)
    assert len(spans) == 2
    for _, inner in spans:
        assert "<math " in inner and "\\sigma" not in re.sub(r'alttext="[^"]*"|alt="[^"]*"', "", inner)
        src = re.search(r'src="([^"]+\.svg)"', inner).group(1)
        assert (site / "zh/basics" / src).resolve().is_file()


def test_claim_mark_names_its_check(site):
    zh = (site / "zh/basics/index.html").read_text("utf-8")
    mark = re.search(r'<span class="claim claim-passed" data-check="act.sigmoid_grad_at_0" data-state="passed">0.25'
                     r'<sup class="claim-mark" title="([^"]+)"', zh)
    assert mark and "act.sigmoid_grad_at_0" in mark.group(1) and re.search(r"\d{4}-\d\d-\d\d", mark.group(1))


MARK = re.compile(r'<span class="claim claim-[a-z-]+" data-check="([^"]+)" data-state="([a-z-]+)">.*?'
                  r'<sup class="claim-mark" title="([^"]+)"')


def _run_claims(root: Path) -> None:
    from pipeline.cli import main
    cwd = os.getcwd()
    os.chdir(root)
    try:
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            main(["claims", ".", "--device", "cpu", "--quiet"])
    finally:
        os.chdir(cwd)


def test_claim_marks_show_the_results_of_the_last_run(tmp_path):
    root = copy_fixture("site_claims", tmp_path / "book")
    _run_claims(root)
    site = build_site(root)
    for lang in ("zh", "en"):
        page = (site / lang / "facts/index.html").read_text("utf-8")
        marks = {m.group(1): (m.group(2), html.unescape(m.group(3))) for m in MARK.finditer(page)}
        assert {k: v[0] for k, v in marks.items()} == {
            "facts.half": "passed", "facts.third": "failed", "facts.gpu_only": "cuda-only", "x": "passed"}
        state, tip = marks["facts.half"]
        assert "0.5" in tip and "±0.05" in tip and re.search(r"\d{4}-\d\d-\d\d \(cpu\)", tip)
        assert "0.333333" in marks["facts.third"][1] and "CUDA" in marks["facts.gpu_only"][1]
        assert "42" in marks["x"][1]
        # the failure is in the text, not only in a tooltip
        failure = re.search(r'<span class="claim-failure" role="note">([^<]+)</span>', page)
        assert failure and "0.333333" in failure.group(1)


def test_a_plain_build_runs_the_claims_first(tmp_path):
    """A fresh clone (no claim cache, no run memo): the html build runs the claims, so no mark says "not run"; the
    check that disagrees with the text is failed in the page, and the build says so without refusing to publish."""
    root = copy_fixture("site_claims", tmp_path / "book")
    assert not (root / ".dl500-cache").exists()
    err = []
    site = build_site(root, stderr=err, quiet=False)
    for lang in ("zh", "en"):
        page = (site / lang / "facts/index.html").read_text("utf-8")
        states = {m.group(1): m.group(2) for m in MARK.finditer(page)}
        assert states == {"facts.half": "passed", "facts.third": "failed", "facts.gpu_only": "cuda-only",
                          "x": "passed"}
        assert "not-run" not in page and "not run yet" not in page
        failure = re.search(r'<span class="claim-failure" role="note">([^<]+)</span>', page)
        assert failure and "0.333333" in failure.group(1)
    assert re.search(r"warning DL701: \[0\.25\]", err[0]), err[0]  # said, but the site is published


def test_the_build_and_dl500_claims_share_one_run_memo(tmp_path):
    root = copy_fixture("minimal", tmp_path / "book")
    build_site(root)
    from pipeline.cli import main
    cwd = os.getcwd()
    os.chdir(root)
    try:
        out = io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(io.StringIO()):
            assert main(["claims", "."]) == 0
    finally:
        os.chdir(cwd)
    assert "nothing changed since the last run" in out.getvalue()


def test_claim_marks_say_not_run_with_no_claims(tmp_path):
    site = build_site(copy_fixture("site_claims", tmp_path / "book"), extra=["--no-claims"])
    page = (site / "en/facts/index.html").read_text("utf-8")
    states = [m.group(2) for m in MARK.finditer(page)]
    assert states == ["not-run"] * 4
    assert "not run yet" in page and "not yet passed" not in page and "not passing" not in page
    # the next plain build is not "nothing changed": it runs the claims and marks their results
    site = build_site(site.parents[1])
    page = (site / "en/facts/index.html").read_text("utf-8")
    assert "not-run" not in [m.group(2) for m in MARK.finditer(page)]


def test_pages_are_light(site):
    for page in pages(site):
        assert page.stat().st_size < 200_000, page


def test_search_index_holds_every_question_in_both_languages(site):
    pytest.importorskip("pagefind_bin_extended")
    entry = json.loads((site / "pagefind/pagefind-entry.json").read_text())
    assert entry["languages"]["zh"]["page_count"] == 3
    assert entry["languages"]["en"]["page_count"] == 3


def test_search_records_carry_number_title_and_text(tmp_path):
    from pipeline.render.site import SiteBuilder
    root = copy_fixture("minimal", tmp_path / "book")
    preview = _preview(root, search=False)
    records = {(r["language"], r["meta"]["number"]): r for r in preview.builder.search_records()}
    assert "卷积" in records[("zh", "2.1.1")]["content"]
    assert "sigmoid" in records[("en", "1.1.1")]["content"].lower()
    assert records[("en", "1.1.1")]["url"] == "en/basics/#sigmoid-grad"
    assert isinstance(preview.builder, SiteBuilder)


def _preview(root: Path, search=False):
    from pipeline.cli.serve_view import ServeView
    from pipeline.serve import Preview
    preview = Preview(root, quiet=True, on_event=ServeView(quiet=True))
    with contextlib.redirect_stderr(io.StringIO()):
        preview.full_build(search=search)
    return preview


def test_serve_rebuilds_one_edited_question_only(tmp_path):
    root = copy_fixture("minimal", tmp_path / "book")
    preview = _preview(root)
    before = dict(preview.builder.stats), dict(preview.stats)
    src = root / "source/ch01/relu-why.zh.md"
    src.write_text(src.read_text("utf-8").replace("恒为 1", "恒为 1（新）"), "utf-8")
    with contextlib.redirect_stderr(io.StringIO()):
        preview.rebuild([src], search=False)
    assert preview.last_timing["kind"] == "question"
    assert preview.stats.get("pandoc_fragments", 0) - before[1].get("pandoc_fragments", 0) == 1  # the body only
    rendered = preview.builder.stats["questions_rendered"] - before[0]["questions_rendered"]
    assert rendered == 2  # the zh page, and the en page showing the original while the translation is pending
    assert "恒为 1（新）" in (preview.out / "zh/basics/index.html").read_text("utf-8")
    for page in ("zh/q/relu-why/", "bilingual/basics/"):  # its own page and the side-by-side view follow
        assert "恒为 1（新）" in (preview.out / page / "index.html").read_text("utf-8")


def test_serve_shows_errors_of_the_edited_file_and_reloads(tmp_path):
    from pipeline.serve import make_handler
    root = copy_fixture("minimal", tmp_path / "book")
    preview = _preview(root)
    server = __import__("http.server").server.ThreadingHTTPServer(("127.0.0.1", 0), make_handler(preview))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        page = urllib.request.urlopen(base + "/zh/basics/").read().decode()
        assert '<script src="/__livereload.js"></script>' in page
        v0 = json.loads(urllib.request.urlopen(base + "/__version").read())
        src = root / "source/ch01/relu-why.zh.md"
        src.write_text(src.read_text("utf-8").replace("[](#sigmoid-grad)", "[](#no-such-question)"), "utf-8")
        err = io.StringIO()
        with contextlib.redirect_stderr(err):
            preview.rebuild([src], search=False)
        v1 = json.loads(urllib.request.urlopen(base + "/__version").read())
        assert v1["version"] > v0["version"]
        assert any(e["file"].endswith("relu-why.zh.md") and e["line"] == 7 and e["code"] == "DL401"
                   for e in v1["errors"])
        assert "relu-why.zh.md:7:" in err.getvalue()
    finally:
        server.shutdown()
        server.server_close()


def test_serve_validates_the_edited_file_then_the_whole_book_in_the_background(tmp_path):
    from pipeline.validate import validate, validate_files
    root = copy_fixture("minimal", tmp_path / "book")
    for name, extra in (("sigmoid-grad.zh.md", "\n\n见 [](#nowhere) 与 $ x $。\n\n## 新\n"),
                        ("conv-params.zh.md", "\n\n$\\frac{a}{b$\n")):
        src = next(root.glob(f"source/*/{name}"))
        src.write_text(src.read_text("utf-8") + extra, "utf-8")
    preview = _preview(root)
    whole = {(d.file, d.line, d.code) for d in validate(preview.book)}
    assert {"DL401", "DL505", "DL207", "DL502"} <= {code for _, _, code in whole}
    for qt in preview.book.texts.values():  # one file: its own findings and its translation's, nothing else
        rels = {t.rel for (q, _), t in preview.book.texts.items() if q == qt.qid}
        assert {(d.file, d.line, d.code) for d in validate_files(preview.book, {qt.rel})} == \
            {w for w in whole if w[0] in rels}
    # after an edit: the edited file's problems at once, the other files' in the background
    yml = root / "source/ch01/relu-why.zh.md"
    yml.write_text(yml.read_text("utf-8").replace("[](#sigmoid-grad)", "[](#gone)"), "utf-8")
    with contextlib.redirect_stderr(io.StringIO()) as err:
        preview.rebuild([yml], search=False)
        version = preview.version
        assert {e["file"].rsplit("/", 1)[-1] for e in preview.errors} == {"relu-why.zh.md"}
        preview.join_background(30)
    files = {e["file"].rsplit("/", 1)[-1] for e in preview.errors}
    assert {"relu-why.zh.md", "sigmoid-grad.zh.md", "conv-params.zh.md"} <= files
    assert preview.version == version  # the panel updates without a reload
    assert err.getvalue().count("nowhere") == 0  # printed at start already, not again


def test_serve_rebuilds_everything_after_an_outline_change(tmp_path):
    root = copy_fixture("minimal", tmp_path / "book")
    preview = _preview(root)
    yml = root / "source/ch01/chapter.yaml"
    yml.write_text(yml.read_text("utf-8").replace("      - sigmoid-grad\n      - relu-why\n",
                                                  "      - relu-why\n      - sigmoid-grad\n"), "utf-8")
    with contextlib.redirect_stderr(io.StringIO()):
        preview.rebuild([yml], search=False)
    assert preview.last_timing["kind"] == "full"
    zh = (preview.out / "zh/basics/index.html").read_text("utf-8")
    assert re.search(r'href="#relu-why"[^>]*>1\.1\.1<', zh)


def test_code_colours_are_readable_in_dark_mode(site):
    from pipeline.render.site import DARK_CODE_BG, MIN_CONTRAST, contrast
    css = (site / "assets/highlight.css").read_text("utf-8")
    dark = css.split("@media screen and (prefers-color-scheme: dark)", 1)[1]
    site_css = (site / "assets/site.css").read_text("utf-8")
    assert f"--soft: {DARK_CODE_BG}" in site_css.split("prefers-color-scheme: dark", 1)[1]
    rules = dict(re.findall(r"\.highlight \.(\w+) \{ color: ([^;]+);", dark))
    assert {"k", "s2", "c1", "nf", "mi", "gh", "nl", "nt"} <= set(rules)  # friendly's darkest tokens overridden
    for cls, colour in rules.items():
        assert colour == "inherit" or contrast(colour, DARK_CODE_BG) >= MIN_CONTRAST, (cls, colour)


def test_search_text_is_title_and_the_start_of_the_prose():
    from pipeline.render.site import SEARCH_CHARS, search_text
    body = ('<p>模型的梯度。</p><pre class="highlight"><code>print(1)</code></pre><table><tr><td>表</td></tr></table>'
            '<div class="code-output"><span class="output-label">输出</span><pre class="output">2</pre></div>'
            '<p>x <span class="math inline"><math><mi>x</mi></math></span> y。' + "句子。" * SEARCH_CHARS + "</p>")
    text = search_text("标题", body)
    assert text.startswith("标题\n模型的梯度。")
    assert "print" not in text and "表" not in text and "输出" not in text
    assert len(text) <= SEARCH_CHARS + 3 and text.endswith("。")


def test_mathml_core_turns_variants_into_math_letters():
    from pipeline.render.site import mathml_core
    assert "\U0001d416" in mathml_core('<mi mathvariant="bold">W</mi>')
    assert "\u211d" in mathml_core('<mi mathvariant="double-struck">R</mi>')
    assert "\u2112" in mathml_core('<mi mathvariant="script">L</mi>')
    assert 'mathvariant="normal"' in mathml_core('<mi mathvariant="normal">d</mi>')


def test_a_page_per_question_in_both_languages(site):
    qids = ["sigmoid-grad", "relu-why", "conv-params"]
    for lang in ("zh", "en"):
        for i, qid in enumerate(qids):
            path = site / lang / "q" / qid / "index.html"
            page = path.read_text("utf-8")
            assert re.search(r'<h1 class="question-title"><a class="number" href="#' + qid, page)
            outline = re.search(r'<nav class="toc".*?</nav>', page, re.S).group(0)
            current = re.findall(r'<a href="([^"]*)" aria-current="page"><span class="number">([^<]+)</span>', outline)
            assert len(current) == 1 and resolve(site, path, current[0][0])[0] == path
            if i + 1 < len(qids):
                assert f'rel="next" href="../{qids[i + 1]}/"' in page
            if i > 0:
                assert f'rel="prev" href="../{qids[i - 1]}/"' in page
            other = "en" if lang == "zh" else "zh"
            assert f'href="../../../{other}/q/{qid}/#{qid}"' in page
        assert 'class="report"' not in page  # no issues_url in this book
        assert "<time" not in page.split('<footer class="question-footer">')[1].split("</footer>")[0]  # not git


def _git(root: Path, *args: str) -> None:
    import subprocess
    env = {**os.environ, "GIT_AUTHOR_DATE": "2026-11-02T10:00:00Z", "GIT_COMMITTER_DATE": "2026-11-02T10:00:00Z",
           "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.org", "GIT_COMMITTER_NAME": "t",
           "GIT_COMMITTER_EMAIL": "t@example.org"}
    subprocess.run(["git", "-C", str(root), *args], check=True, capture_output=True, env=env)


def test_question_page_links_a_prefilled_issue_and_shows_when_it_changed(tmp_path):
    root = copy_fixture("minimal", tmp_path / "book")
    patch_file(root, "source/book.yaml", None, (root / "source/book.yaml").read_text("utf-8")
               + 'options: {issues_url: "https://github.com/example/dl500/issues/new"}\n')
    _git(root, "init", "-q")
    _git(root, "add", ".")
    _git(root, "commit", "-q", "-m", "book")
    site = build_site(root)
    page = (site / "en/q/sigmoid-grad/index.html").read_text("utf-8")
    link = html.unescape(re.search(r'<a class="report" href="([^"]+)"', page).group(1))
    assert link.startswith("https://github.com/example/dl500/issues/new?title=")
    assert "sigmoid-grad" in urllib.parse.unquote_plus(link) and "1.1.1" in urllib.parse.unquote_plus(link)
    assert '<time datetime="2026-11-02">' in page


def test_side_by_side_pages_show_each_translation_state(tmp_path):
    root = copy_fixture("minimal", tmp_path / "book")
    patch_file(root, "source/ch01/sigmoid-grad.zh.md", "在原点取", "在原点处取")  # the original moves on
    site = build_site(root)
    page = (site / "bilingual/basics/index.html").read_text("utf-8")
    rows = dict(re.findall(r'<div class="bi-row" id="([^"]+)">(.*?)(?=<div class="bi-row"|</main>)', page, re.S))
    assert set(rows) == {"sigmoid-grad", "relu-why"}
    cells = re.findall(r'<div class="bi-cell bi-([a-z]+)" lang="([a-z]+)">', rows["sigmoid-grad"])
    assert cells == [("original", "zh"), ("stale", "en")]
    assert "882d63181586" in rows["sigmoid-grad"]  # since which version of the original
    assert re.findall(r'<div class="bi-cell bi-([a-z]+)" lang="([a-z]+)">', rows["relu-why"]) == [
        ("original", "zh"), ("missing", "en")]
    assert (site / "bilingual/nets/index.html").is_file()
    for _tag, _name, url, _ in parse(site / "bilingual/basics/index.html").refs:  # links resolve from here
        if not url.startswith(("http", "data:")):
            path, _frag = resolve(site, site / "bilingual/basics/index.html", url)
            assert path.is_file(), url


def test_an_issues_url_that_is_not_http_is_refused(tmp_path):
    from pipeline.cli import main
    root = copy_fixture("minimal", tmp_path / "book")
    patch_file(root, "source/book.yaml", None, (root / "source/book.yaml").read_text("utf-8")
               + 'options: {issues_url: "javascript:alert(1)"}\n')
    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
        rc = main(["check", str(root), "--no-claims"])
    assert rc != 0 and re.search(r"book\.yaml:\d+:\d+: error DL104: options/issues_url", out.getvalue())


def test_relative_links_match_posixpath():
    import random

    from pipeline.render.site import relative_path
    segments = ["zh", "en", "q", "basics", "img", "a.svg", ".", "", ".."]
    rng = random.Random(7)
    for _ in range(20_000):
        target = "/".join(rng.choice(segments) for _ in range(rng.randint(0, 5))) or "."
        base = "/".join(rng.choice(segments) for _ in range(rng.randint(0, 5))) or "."
        assert relative_path(target, base) == posixpath.relpath(target, base), (target, base)


def _site_files(site: Path) -> dict:
    return {p.relative_to(site).as_posix(): p.read_bytes() for p in site.rglob("*")
            if p.is_file() and "pagefind" not in p.relative_to(site).parts}


def test_forked_rendering_writes_the_same_site(tmp_path, monkeypatch):
    """Questions rendered half in a fork and one language's pages written in another give the same bytes."""
    from pipeline.render import site as site_mod
    monkeypatch.setattr(site_mod, "FORK_MIN_TEXTS", 0)
    forked = _site_files(build_site(copy_fixture("minimal", tmp_path / "a" / "book"), extra=["--no-claims"]))
    import functools
    monkeypatch.setattr(site_mod, "write_site", functools.partial(site_mod.write_site, fork=False))
    monkeypatch.setattr(site_mod, "forked", lambda *a: pytest.fail("forked although told not to"))
    alone = _site_files(build_site(copy_fixture("minimal", tmp_path / "b" / "book"), extra=["--no-claims"]))
    assert forked.keys() == alone.keys() and len(forked) > 20
    differ = [k for k in forked if forked[k] != alone[k]]
    assert differ == [], (differ, [(forked[k][:3000], alone[k][:3000]) for k in differ[:1]])


def test_search_index_is_made_again_only_when_a_record_changed(tmp_path, monkeypatch):
    pytest.importorskip("pagefind_bin_extended")
    from pipeline.render import site_search
    from pipeline.render.site import pagefind_executable
    records = [{"url": "zh/a/#q1", "language": "zh", "meta": {"title": "卷积核", "number": "1.1.1"},
                "content": "卷积核的参数量是多少"},
               {"url": "en/a/#q1", "language": "en", "meta": {"title": "Kernels", "number": "1.1.1"},
                "content": "How many parameters does a kernel have"}]
    words = tmp_path / "words.json"
    exe = pagefind_executable()
    assert site_search.write_search_index(records, tmp_path / "site", exe, words)
    assert (tmp_path / "site/pagefind/pagefind.js").is_file()
    assert not site_search.write_search_index(records, tmp_path / "site", exe, words)  # same records: no Pagefind
    # a changed record makes the index again, and jieba cuts only the text it has not cut before
    cut = []
    real = site_search.index_text
    monkeypatch.setattr(site_search, "index_text", lambda text: cut.append(text) or real(text))
    records[0]["content"] = "池化层没有参数"
    assert site_search.write_search_index(records, tmp_path / "site", exe, words)
    assert cut == ["池化层没有参数"]


def test_contents_list_each_chapters_questions(site):
    for lang in ("zh", "en"):
        page = (site / lang / "index.html").read_text("utf-8")
        assert "built-in method" not in page
        assert re.search(r'<a href="basics/#sigmoid-grad"><span class="number">1\.1\.1</span>', page), page[-3000:]


def test_serve_edit_of_an_original_marks_its_translation_stale(tmp_path):
    """serve recomputes the translation states of the edited page's questions only, and gets them right."""
    root = copy_fixture("minimal", tmp_path / "book")
    preview = _preview(root)
    cells = re.compile(r'<div class="bi-row" id="sigmoid-grad">.*?<div class="bi-cell bi-([a-z]+)" lang="en">', re.S)
    page = preview.out / "bilingual/basics/index.html"
    assert cells.search(page.read_text("utf-8")).group(1) != "stale"
    src = root / "source/ch01/sigmoid-grad.zh.md"
    src.write_text(src.read_text("utf-8").replace("在原点取", "在原点处取"), "utf-8")
    with contextlib.redirect_stderr(io.StringIO()):
        preview.rebuild([src], search=False)
    assert preview.last_timing["kind"] == "question"
    text = page.read_text("utf-8")
    assert cells.search(text).group(1) == "stale"
    assert re.search(r'<div class="bi-row" id="relu-why">.*?<div class="bi-cell bi-missing" lang="en">', text, re.S)


@pytest.mark.parametrize("how", ["watchfiles", "polling"])
def test_serve_rebuilds_a_saved_question_by_itself(tmp_path, how, monkeypatch):
    """The watcher (watchfiles' events, or polling where it is missing) sees a save and rebuilds that question."""
    if how == "watchfiles":
        pytest.importorskip("watchfiles")
    else:
        monkeypatch.setitem(sys.modules, "watchfiles", None)  # import fails: serve polls
    root = copy_fixture("minimal", tmp_path / "book")
    preview = _preview(root)
    rebuilds = []
    preview.on_event = lambda kind, data: rebuilds.append(data["kind"]) if kind == "rebuilt" else None
    stop = threading.Event()
    watcher = threading.Thread(target=preview.watch, args=(stop, 0.05), daemon=True)
    watcher.start()
    try:
        time.sleep(0.5)
        version = preview.version
        (root / "source/ch01/.relu-why.zh.md.swp").write_text("x", "utf-8")  # an editor's file: ignored
        src = root / "source/ch01/relu-why.zh.md"
        src.write_text(src.read_text("utf-8").replace("恒为 1", "恒为 1（存）"), "utf-8")
        deadline = time.monotonic() + 15
        while preview.version == version and time.monotonic() < deadline:
            time.sleep(0.02)
        preview.join_background(30)
    finally:
        stop.set()
        watcher.join(10)
    assert rebuilds == ["question"]  # the swap file did not make a whole build
    assert "恒为 1（存）" in (preview.out / "zh/basics/index.html").read_text("utf-8")


def test_the_site_renders_from_the_edition_and_serve_reassembles_only_the_edited_question(tmp_path):
    """The pages come from one Edition per language: the outline as values (groups and questions in reading
    order, with the text shown and its fallback); after a save only the edited question's values are new."""
    from pipeline.prepare.edition import EditionGroup, walk_questions
    root = copy_fixture("minimal", tmp_path / "book")
    preview = _preview(root)
    en = preview.builder.editions["en"]
    chapter = en.chapter("basics")
    assert [it.id for it in chapter.items if isinstance(it, EditionGroup)]
    order = [q.qid for q in walk_questions(chapter.items)]
    assert order[:2] == ["sigmoid-grad", "relu-why"]
    relu = en.question("relu-why")  # no English text: the original, marked
    assert (relu.text_lang, relu.fallback, relu.number) == ("zh", True, "1.1.2")
    assert en.question("sigmoid-grad").text_lang == "en" and not en.question("sigmoid-grad").fallback
    before = {lang: dict(preview.builder.editions[lang].question_index()) for lang in ("zh", "en")}
    src = root / "source/ch01/relu-why.zh.md"
    src.write_text(src.read_text("utf-8").replace("恒为 1", "恒为 1（改）"), "utf-8")
    with contextlib.redirect_stderr(io.StringIO()):
        preview.rebuild([src], search=False)
    for lang in ("zh", "en"):
        now = preview.builder.editions[lang].question_index()
        assert [q for q in now if now[q] is not before[lang][q]] == ["relu-why"]
        assert "恒为 1（改）" in now["relu-why"].body_html
