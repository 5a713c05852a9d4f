"""The web edition in headless Chromium: formulas are drawn with JavaScript off; search finds a question with it on.

Needs the `playwright` package (never `playwright install`: it drives Debian's /usr/bin/chromium) and Pagefind.
Screenshots go to $DL500_SCREENSHOTS when set, else to the test's temporary folder.
"""

from __future__ import annotations

import functools
import json
import http.server
import os
import threading
from pathlib import Path

import pytest

from conftest import copy_fixture
from test_site import build_site

CHROMIUM = os.environ.get("DL500_CHROMIUM", "/usr/bin/chromium")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--no-first-run"]

sync_api = pytest.importorskip("playwright.sync_api")
pytest.importorskip("pagefind_bin_extended")
if not Path(CHROMIUM).exists():
    pytest.skip(f"no Chromium at {CHROMIUM}", allow_module_level=True)


class Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    site = build_site(copy_fixture("minimal", tmp_path_factory.mktemp("browser") / "book"))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=str(site)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()


def serve(site: Path):
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=str(site)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}/"


@pytest.fixture(scope="module")
def served_split(tmp_path_factory):
    """The minimal book with one page per section: its chapter pages list the sections' questions."""
    server, url = serve(build_site(copy_fixture("minimal", tmp_path_factory.mktemp("split") / "book"), page_limit=100))
    yield url
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


@pytest.fixture
def shots(tmp_path):
    folder = Path(os.environ.get("DL500_SCREENSHOTS") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_formulas_are_drawn_without_javascript(served, browser, shots, lang):
    ctx = browser.new_context(java_script_enabled=False, viewport={"width": 1200, "height": 800})
    page = ctx.new_page()
    requests = []
    page.on("request", lambda r: requests.append(r.url))
    page.goto(served + f"{lang}/basics/")
    boxes = page.eval_on_selector_all(
        ".math", "els => els.map(e => { const m = e.querySelector('math'); const i = e.querySelector('img');"
        " const shown = [m, i].filter(x => x && getComputedStyle(x).display !== 'none');"
        " return shown.map(x => { const r = x.getBoundingClientRect(); return [x.tagName, r.width, r.height]; }); })")
    page.screenshot(path=str(shots / f"{lang}-nojs.png"), full_page=True)
    assert len(boxes) == 2
    for shown in boxes:
        assert shown, "a formula with nothing visible"
        for tag, w, h in shown:
            assert w > 5 and h > 5, (tag, w, h)
    assert all(u.startswith(served) for u in requests), [u for u in requests if not u.startswith(served)]
    ctx.close()


@pytest.mark.parametrize("lang,query,number", [("zh", "卷积", "2.1.1"), ("en", "sigmoid", "1.1.1")])
def test_search_finds_a_question(served, browser, shots, lang, query, number):
    ctx = browser.new_context(viewport={"width": 1200, "height": 800})
    page = ctx.new_page()
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(served + f"{lang}/basics/")
    page.fill("form.search input", query)
    page.wait_for_selector(".search-results li", timeout=10_000)
    page.screenshot(path=str(shots / f"{lang}-search.png"))
    first = page.locator(".search-results li").first
    assert number in first.inner_text()
    first.locator("a").click()
    page.wait_for_load_state()
    assert page.url.split("#")[1] in {"conv-params", "sigmoid-grad"}
    assert not errors, errors
    ctx.close()


def test_dark_mode_and_print(served, browser, shots):
    ctx = browser.new_context(color_scheme="dark", viewport={"width": 1200, "height": 800})
    page = ctx.new_page()
    page.goto(served + "en/basics/")
    bg = page.evaluate("getComputedStyle(document.documentElement).backgroundColor")
    page.screenshot(path=str(shots / "en-dark.png"))
    assert bg != "rgb(253, 253, 252)"
    page.emulate_media(media="print")
    assert page.evaluate("getComputedStyle(document.querySelector('nav.toc')).display") == "none"
    ctx.close()


# Lists whose items carry their own derived number must not add the list's numbering on top ("1. 1.1.1").
DOUBLE_NUMBERED = """() => [...document.querySelectorAll('li')].filter(li => li.querySelector(':scope > a > .number, :scope > h3 .number')
  && getComputedStyle(li).display === 'list-item' && getComputedStyle(li).listStyleType !== 'none').length"""


@pytest.mark.parametrize("path", ["zh/basics/", "en/basics/", "zh/", "en/basics/activations/"])
def test_numbers_are_shown_once(served_split, browser, path):
    page = browser.new_page()
    page.goto(served_split + path)
    assert page.locator("li .number").count() > 0
    assert page.evaluate(DOUBLE_NUMBERED) == 0
    page.close()


def test_question_address_is_the_question_itself(served, browser):
    """<lang>/q/<id>/ is the question's own page (no redirect, so never a blank moment): title, outline, pager."""
    ctx = browser.new_context(java_script_enabled=False, viewport={"width": 1200, "height": 800})
    page = ctx.new_page()
    page.goto(served + "zh/q/sigmoid-grad/")
    assert page.url.endswith("/zh/q/sigmoid-grad/")
    assert "1.1.1" in page.inner_text("main h1")
    assert page.locator("nav.toc a[aria-current=page]").count() == 1
    page.click("a[rel=next]")
    assert page.url.endswith("/zh/q/relu-why/")
    ctx.close()


@pytest.mark.parametrize("width,columns", [(1280, 2), (390, 1)])
def test_side_by_side_columns_stack_on_narrow_screens(served, browser, width, columns):
    page = browser.new_page(viewport={"width": width, "height": 900})
    page.goto(served + "bilingual/basics/")
    tops = page.eval_on_selector_all("#sigmoid-grad > .bi-cell", "els => els.map(e => e.getBoundingClientRect().top)")
    assert len(tops) == 2
    assert len({round(t) for t in tops}) == (1 if columns == 2 else 2)
    page.close()


def _load_axe_all():
    """scripts/axe_all.py, which runs axe on every page of a built site: the test runs its check on a sample."""
    import importlib.util
    spec = importlib.util.spec_from_file_location("axe_all", Path(__file__).parents[1] / "scripts" / "axe_all.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


axe_all = _load_axe_all()
axe_source = axe_all.axe_source

# One page of every kind in both languages (axe_all.page_kind), from the whole-chapter site and the one split per
# section; scripts/axe_all.py checks every page of the real book.
AXE_PAGES = {"served": ["", "zh/", "en/", "zh/basics/", "en/basics/", "zh/q/sigmoid-grad/", "en/q/relu-why/",
                        "bilingual/basics/", "zh/search/", "en/search/", "zh/quiz/", "en/quiz/"],
             "served_split": ["zh/basics/", "en/basics/activations/", "zh/basics/activations/",
                              "en/nets/conv/", "bilingual/basics/activations/", "bilingual/basics/"]}


def test_the_accessibility_sample_covers_every_kind_of_page(tmp_path):
    sample = {axe_all.page_kind(p) for pages in AXE_PAGES.values() for p in pages}
    kinds = set()
    for name, limit in (("whole", None), ("split", 100)):
        site = build_site(copy_fixture("minimal", tmp_path / name / "book"), page_limit=limit)
        kinds |= {axe_all.page_kind(p) for p in axe_all.site_pages(site)}
    assert {"zh question", "en question", "side-by-side section", "zh section", "en search"} <= kinds
    assert kinds <= sample, sorted(kinds - sample)


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("which", sorted(AXE_PAGES))
def test_pages_have_no_serious_accessibility_violations(which, request, browser, scheme):
    served = request.getfixturevalue(which)
    source = axe_source()
    if source is None:
        pytest.skip("axe-core is not installed: DL500_WITH_BROWSER=1 bash scripts/setup.sh, or set DL500_AXE")
    # axe is the test's script, not the site's: the page's Content-Security-Policy would (rightly) refuse it
    ctx = browser.new_context(bypass_csp=True, color_scheme=scheme, viewport={"width": 1200, "height": 800})
    page = ctx.new_page()
    found = {}
    for path in AXE_PAGES[which]:
        page.goto(served + path)
        page.evaluate(source)
        bad = axe_all.serious_violations(page.evaluate(axe_all.AXE_RUN))
        if bad:
            found[path] = bad
    ctx.close()
    assert not found, json.dumps(found, ensure_ascii=False, indent=1)
