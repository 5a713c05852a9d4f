"""Quiz mode in headless Chromium: a short drill driven by the keyboard and the mouse, the record kept in localStorage
choosing what comes first after a reload, filters, nothing fetched from elsewhere, no CSP violation.

Needs the `playwright` package (never `playwright install`: it drives Debian's /usr/bin/chromium). Screenshots go to
$DL500_SCREENSHOTS when set, else to the test's temporary folder.
"""

from __future__ import annotations

import json

import pytest

from conftest import copy_fixture
from test_site import build_site
from test_site_browser import browser, serve, shots  # noqa: F401  (fixtures; skip without Playwright or Chromium)

KEY = "dl500-quiz:tags-book"


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    server, url = serve(build_site(copy_fixture("tags_book", tmp_path_factory.mktemp("quiz") / "book")))
    yield url
    server.shutdown()
    server.server_close()


def open_quiz(browser, url, width=1200, height=800):
    ctx = browser.new_context(viewport={"width": width, "height": height})
    page = ctx.new_page()
    problems, requests = [], []
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" and "404" not in m.text else None)
    page.on("response", lambda r: problems.append(f"{r.status} {r.url}")
            if r.status >= 400 and not r.url.endswith("/favicon.ico") else None)
    page.on("request", lambda r: requests.append(r.url))
    page.goto(url)
    page.wait_for_selector("form.quiz-setup:not([hidden])", timeout=10_000)
    return ctx, page, problems, requests


def shown_number(page) -> str:
    return page.inner_text(".quiz-question .number")


def record(page) -> dict:
    return json.loads(page.evaluate(f"localStorage.getItem({KEY!r})") or "{}")


def test_a_short_drill_and_the_record_it_leaves(served, browser, shots):
    ctx, page, problems, requests = open_quiz(browser, served + "en/quiz/")
    assert "0 practised" in page.inner_text("form .quiz-record")
    page.click("form.quiz-setup button[type=submit]")

    assert shown_number(page) == "1.1" and "kernel size" in page.inner_text(".quiz-title")
    assert page.is_hidden(".quiz-answer") and page.is_hidden(".quiz-marks")
    page.keyboard.press("Space")
    assert page.is_visible(".quiz-answer") and page.locator(".quiz-answer math").count() > 0
    page.screenshot(path=str(shots / "quiz-en-answer.png"), full_page=True)
    page.keyboard.press("1")
    assert record(page)["kernel-size"]["knew"] == 1
    page.keyboard.press("n")

    assert shown_number(page) == "1.2"
    assert page.get_attribute(".quiz-answer", "lang") == "zh"  # translation pending: shown in the original
    page.keyboard.press("Enter")
    page.click(".quiz-didnt")
    rec = record(page)
    assert rec["lr-warmup"]["knew"] == 0 and rec["lr-warmup"]["due"] < rec["kernel-size"]["due"]
    page.click(".quiz-next")
    assert shown_number(page) == "1.2", "a question not known comes back once in the same round"
    page.keyboard.press("n")
    assert page.is_visible(".quiz-end")
    assert "knew 1" in page.inner_text(".quiz-result") and "didn't know 1" in page.inner_text(".quiz-result")

    page.reload()
    page.wait_for_selector("form.quiz-setup:not([hidden])")
    assert "2 practised, 1 due" in page.inner_text("form .quiz-record")
    page.click("form.quiz-setup button[type=submit]")
    assert shown_number(page) == "1.2", "the question due for review comes first"
    assert page.get_attribute(".quiz-source", "href") == "../basics/#lr-warmup"
    assert not problems, problems
    assert all(u.startswith(served) for u in requests), [u for u in requests if not u.startswith(served)]
    ctx.close()


def test_filters_and_the_phone_layout(served, browser, shots):
    ctx, page, problems, _ = open_quiz(browser, served + "zh/quiz/", width=390, height=844)
    page.check("input[name=difficulty][value='2']")
    page.click("form.quiz-setup button[type=submit]")
    assert shown_number(page) == "1.1" and "1 / 1" in page.inner_text(".quiz-progress")
    page.keyboard.press("Space")
    page.screenshot(path=str(shots / "quiz-zh-phone.png"), full_page=True)
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the page scrolls sideways on a phone ({width}px)"
    page.keyboard.press("j")
    page.keyboard.press("n")
    assert page.is_visible(".quiz-end")
    page.click(".quiz-end .quiz-settings")
    page.uncheck("input[name=difficulty][value='2']")
    page.check("input[name=topic][value='llm']")
    page.click("form.quiz-setup button[type=submit]")
    assert shown_number(page) == "1.2" and "1 / 1" in page.inner_text(".quiz-progress")
    assert not problems, problems
    ctx.close()


def test_every_page_links_to_the_quiz(served, browser):
    page = browser.new_page()
    page.goto(served + "zh/basics/")
    page.click("a.quiz-link")
    page.wait_for_selector("form.quiz-setup:not([hidden])", timeout=10_000)
    assert page.url.endswith("/zh/quiz/")
    page.close()
