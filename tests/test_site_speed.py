"""What makes the cold site cheaper must not change a byte of it: formula files linked from the verified SVG store,
the quiz's answers derived from the pages' ones, the search index made by one Pagefind run per language."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from pathlib import Path

import pytest

from conftest import copy_fixture, patch_file
from test_site import build_site


def _files(folder: Path) -> dict:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def _forget_site(root: Path) -> None:
    """As benchmarks/bench_site.py does before a cold build: no output folder, no fingerprint, no search words."""
    shutil.rmtree(root / "build", ignore_errors=True)
    render = root / ".dl500-cache" / "render"
    for name in ("last-build.json", "search-words.json"):
        (render / name).unlink(missing_ok=True)
    shutil.rmtree(render / "outputs", ignore_errors=True)


# --- formula files: hard links to the SVG store, verified -------------------------------------------------------

def test_link_verified_links_only_a_plain_file_with_the_same_bytes(tmp_path):
    from pipeline.render.site import link_verified
    raw = b"<svg>x</svg>"
    good = tmp_path / "good.svg"
    good.write_bytes(raw)
    assert link_verified(good, raw, tmp_path / "a.svg")
    assert (tmp_path / "a.svg").stat().st_ino == good.stat().st_ino
    (tmp_path / "same-size.svg").write_bytes(b"<svg>y</svg>")
    (tmp_path / "longer.svg").write_bytes(raw + b" ")
    os.symlink(good, tmp_path / "link.svg")
    os.mkfifo(tmp_path / "fifo.svg")  # opened without blocking: never a hang
    for planted in ("same-size.svg", "longer.svg", "link.svg", "fifo.svg", "missing.svg"):
        assert not link_verified(tmp_path / planted, raw, tmp_path / f"out-{planted}"), planted
        assert not (tmp_path / f"out-{planted}").exists()


def test_cold_site_links_formula_files_from_the_store_and_never_trusts_a_planted_one(tmp_path):
    from pipeline.render.site import shared_svg_folder
    from pipeline.load import load_book
    root = copy_fixture("minimal", tmp_path / "book")
    site = build_site(root, extra=["--no-claims"])
    first = _files(site)
    maths = sorted((site / "math").iterdir())
    assert maths
    book, _ = load_book(root / "source")
    store = shared_svg_folder(book)
    for m in maths:  # a site-only project fills the store for its next cold build
        stored = store / f"{hashlib.sha256(m.read_bytes()).hexdigest()}.svg"
        assert stored.is_file() and stored.stat().st_ino == m.resolve().stat().st_ino
    # plant wrong bytes (the same size) under the first formula's name; the others stay good
    planted = store / f"{hashlib.sha256(maths[0].read_bytes()).hexdigest()}.svg"
    data = planted.read_bytes()
    _forget_site(root)  # removes the published files: the store keeps its own link
    planted.unlink()
    planted.write_bytes(data.replace(b"<svg", b"<SVG", 1))
    site = build_site(root, extra=["--no-claims"])
    assert _files(site) == first
    again = sorted((site / "math").iterdir())
    assert again[0].resolve().stat().st_ino != planted.stat().st_ino
    assert all((store / f"{hashlib.sha256(m.read_bytes()).hexdigest()}.svg").stat().st_ino
               == m.resolve().stat().st_ino for m in again[1:])


# --- the quiz's answers from the pages' ------------------------------------------------------------------------

def test_quiz_answers_derived_from_the_pages_are_the_bytes_finishing_gives(tmp_path, monkeypatch):
    """Headings one level up from the pages' answer give the quiz's bytes; an answer with a heading the pages
    clamp at h6 is finished anew, and its quiz answer keeps its levels apart."""
    from pipeline.render import site as site_mod
    body = ("\n\n# 一级\n\n文字 $x^2$ 与代码：\n\n```python\nprint(1)\n```\n\n## 二级\n\n### 三级\n\n"
            "| a | b |\n|---|---|\n| 1 | 2 |\n")
    root_a = copy_fixture("minimal", tmp_path / "a" / "book")
    root_b = copy_fixture("minimal", tmp_path / "b" / "book")
    for root in (root_a, root_b):
        patch_file(root, "source/ch01/relu-why.zh.md", "那样衰减。", "那样衰减。" + body)
        patch_file(root, "source/ch01/sigmoid-grad.zh.md", "相关问题见", "#### 四级\n\n###### 六级\n\n相关问题见")
        patch_file(root, "source/ch01/sigmoid-grad.en.md", "See [](#conv", "#### Four\n\n###### Six\n\nSee [](#conv")
    derived, anew = [], []
    real = site_mod.quiz_question

    def counted(q):
        d = real(q)
        (derived if d is not None else anew).append(q.qid)
        return d
    monkeypatch.setattr(site_mod, "quiz_question", counted)
    quick = _files(build_site(root_a, extra=["--no-claims"]))
    assert "relu-why" in derived and "sigmoid-grad" in anew
    monkeypatch.setattr(site_mod, "quiz_question", lambda q: None)  # every answer finished anew
    slow = _files(build_site(root_b, extra=["--no-claims"]))
    assert quick.keys() == slow.keys()
    assert [k for k in quick if quick[k] != slow[k] and not k.startswith("pagefind/")] == []
    quiz = json.loads(quick["zh/quiz/quiz.json"])
    answers = {q["id"]: q["answer"] for q in quiz["questions"]}
    assert "<h3" in answers["relu-why"] and "<h5" in answers["relu-why"]
    assert "<h6" in answers["sigmoid-grad"] and "<h5" not in answers["sigmoid-grad"]


# --- the search index: one Pagefind run per language ----------------------------------------------------------

RECORDS = [{"url": "zh/a/#q1", "language": "zh", "meta": {"title": "卷积核", "number": "1.1.1", "chapter": "1 卷积"},
            "content": "卷积核的参数量是多少"},
           {"url": "en/a/#q1", "language": "en", "meta": {"title": "Kernels", "number": "1.1.1", "chapter": "1 Conv"},
            "content": "How many parameters does a kernel have"},
           {"url": "zh/b/#q2", "language": "zh", "meta": {"title": "池化", "number": "1.1.2", "chapter": "1 卷积"},
            "content": "池化层没有参数"}]


def test_index_per_language_is_the_index_of_one_run(tmp_path, monkeypatch):
    pytest.importorskip("pagefind_bin_extended")
    from pipeline.render import site_search
    from pipeline.render.site import pagefind_executable
    exe = pagefind_executable()
    runs = []
    real = site_search.run_pagefind
    monkeypatch.setattr(site_search, "run_pagefind", lambda *a, **k: runs.append(a[3:]) or real(*a, **k))
    assert site_search.write_search_index(RECORDS, tmp_path / "split", exe)
    assert sorted(runs) == [("en/*.html",), ("zh/*.html",)]
    monkeypatch.setattr(site_search, "index_per_language", lambda *a: None)
    assert site_search.write_search_index(RECORDS, tmp_path / "one", exe)
    split, one = _files(tmp_path / "split" / "pagefind"), _files(tmp_path / "one" / "pagefind")
    assert split.keys() == one.keys() and len(one) > 10
    entry = site_search.ENTRY
    assert [k for k in one if k != entry and one[k] != split[k]] == []
    assert json.loads(split[entry]) == json.loads(one[entry])  # Pagefind's own key order varies between runs
    assert not list(tmp_path.glob("*/.pagefind.old"))


def test_merge_refuses_runs_that_disagree_on_a_shared_file(tmp_path):
    from pipeline.render.site_search import ENTRY, merge_indexes
    outs = []
    for lang, js in (("zh", "a"), ("en", "b")):
        out = tmp_path / lang
        (out / "fragment").mkdir(parents=True)
        (out / ENTRY).write_text(json.dumps({"version": "1", "languages": {lang: {"hash": lang}}}), "utf-8")
        (out / "pagefind.js").write_text(js, "utf-8")
        (out / "fragment" / f"{lang}_1.pf_fragment").write_text(lang, "utf-8")
        outs.append(out)
    assert merge_indexes(outs) is None  # another Pagefind: the caller makes the index in one run
    assert not (outs[0] / "fragment" / "en_1.pf_fragment").exists()  # nothing moved
    (outs[1] / "pagefind.js").write_text("a", "utf-8")
    merged = merge_indexes(outs)
    assert merged == outs[0] and json.loads((merged / ENTRY).read_text("utf-8"))["languages"].keys() == {"zh", "en"}
    assert (merged / "fragment" / "en_1.pf_fragment").read_text("utf-8") == "en"


# --- MathML kept with each formula's cache entry ------------------------------------------------------------

def test_formula_entries_keep_their_mathml_and_a_stale_or_malformed_one_is_made_again(tmp_path):
    from pipeline.render import math as mathr
    from pipeline.render.site import MathRenderer
    cache = mathr.MathCache(tmp_path / "math")
    formulas = {(r"\frac{a}{b}", False), (r"\sum_i x_i^2", True), (r"\begin{bogus", False)}
    first = mathr.render_all(formulas, cache, 1)
    for tex, display in first:
        try:
            want = mathr.to_mathml(tex, display)
        except Exception:
            want = None
        assert mathr.cached_mathml(cache.get(mathr.formula_key(tex, display))) == want
    # the site's markup is the same from the entry as from converting the formula again
    without = {f: {k: v for k, v in r.items() if k != "mathml"} for f, r in first.items()}
    assert [MathRenderer(first)(t, d) for t, d in sorted(formulas)] == \
        [MathRenderer(without)(t, d) for t, d in sorted(formulas)]
    # an older latex2mathml's entry, or one of the wrong shape (the cache is in the working tree): made again
    (tex, display) = (r"\frac{a}{b}", False)
    k = mathr.formula_key(tex, display)
    for bad in ({"version": "latex2mathml 0.0 /0", "mathml": "<math>stale</math>"}, {"version": "x"}, 7,
                {"version": mathr.mathml_version(), "mathml": ["<math/>"]}):
        entry = cache.get(k)
        entry["mathml"] = bad
        cache.put(k, entry)
        assert mathr.cached_mathml(cache.get(k)) is mathr.MISSING
        again = mathr.render_all({(tex, display)}, cache, 1)
        assert mathr.cached_mathml(again[(tex, display)]) == mathr.to_mathml(tex, display)
        assert mathr.cached_mathml(cache.get(k)) == mathr.to_mathml(tex, display)
    # an edited formula is another entry
    assert mathr.formula_key(r"\frac{a}{c}", False) != k


# --- the search index's process, started before the claims stage ---------------------------------------------

def test_early_indexer_makes_the_same_index_and_raises_what_failed(tmp_path):
    pytest.importorskip("pagefind_bin_extended")
    from pipeline.render import site_search
    from pipeline.render.site import pagefind_executable
    exe = pagefind_executable()
    early = site_search.EarlyIndexer(tmp_path / "no-words-yet.json")
    assert early.start(RECORDS, tmp_path / "early", exe, tmp_path / "words.json")() is True
    early.close()
    assert not early.process.is_alive()
    assert site_search.write_search_index(RECORDS, tmp_path / "here", exe, tmp_path / "words2.json")
    early_files, here = _files(tmp_path / "early" / "pagefind"), _files(tmp_path / "here" / "pagefind")
    entry = site_search.ENTRY
    assert early_files.keys() == here.keys() and [k for k in here if k != entry and here[k] != early_files[k]] == []
    failing = site_search.EarlyIndexer(None)
    wait = failing.start(RECORDS, tmp_path / "broken", "/bin/false", None)
    with pytest.raises(RuntimeError, match="pagefind failed"):
        wait()
    failing.close()
    unused = site_search.EarlyIndexer(None)  # the build failed before the pages: it goes at once
    unused.close()
    assert not unused.process.is_alive() and unused.process.exitcode == 0


def test_a_cold_site_build_sends_its_records_to_the_early_indexer(tmp_path, monkeypatch):
    pytest.importorskip("pagefind_bin_extended")
    from pipeline.render import site_search
    sent = []
    real = site_search.EarlyIndexer.start
    monkeypatch.setattr(site_search.EarlyIndexer, "start", lambda self, *a: sent.append(len(a[0])) or real(self, *a))
    root = copy_fixture("minimal", tmp_path / "book")
    site = build_site(root, extra=["--no-claims"])
    assert sent and sent[0] > 0 and (site / "pagefind" / "pagefind.js").is_file()
    patch_file(root, "source/ch02/conv-params.zh.md", "个参数。", "个参数。补一句。")
    build_site(root, extra=["--no-claims"])  # not cold: the index is made (or kept) the usual way
    assert len(sent) == 1


# --- highlighted code kept in the content cache --------------------------------------------------------------

def test_highlighted_code_comes_from_the_cache_and_a_bad_entry_is_a_miss(tmp_path):
    from pipeline.cache import ContentCache
    from pipeline.render.html import code_blocks, highlight_all, highlighted
    fragment = ('<pre class="python run"><code>print(&quot;a&lt;b&quot;)</code></pre>'
                '<pre class="output"><code>a&lt;b</code></pre><pre class="python setup"><code>x = 1</code></pre>'
                '<pre class=""><code>plain text</code></pre>')
    blocks = code_blocks(fragment)
    assert blocks == {('print("a<b")', "python"), ("plain text", "")}  # outputs and setup are not highlighted
    cache = ContentCache(tmp_path / "highlight", suffix=".html")
    first = highlight_all(blocks, cache)
    assert first == {b: highlighted(*b) for b in blocks}
    entries = sorted(cache.folder.iterdir())
    assert len(entries) == 2
    # a hit is read back, not highlighted again; an entry that is not text, or not a plain file, is a miss
    entries[0].write_bytes(b"\xff\xfe not utf-8")
    entries[1].unlink()
    os.mkfifo(entries[1])
    assert highlight_all(blocks, cache) == first
    assert entries[0].read_text("utf-8") in first.values()
    # an edit of the code is another entry
    highlight_all({('print("a>b")', "python")}, cache)
    assert len(list(cache.folder.iterdir())) == 3


def test_the_site_is_the_same_with_highlighting_from_the_cache(tmp_path, monkeypatch):
    from pipeline import prepare as prep
    cached = _files(build_site(copy_fixture("minimal", tmp_path / "a" / "book"), extra=["--no-claims"]))
    again = _files(build_site(_with_cache_of(tmp_path / "a" / "book", tmp_path / "c" / "book"),
                              extra=["--no-claims"]))
    monkeypatch.setattr(prep, "highlight_code", lambda *a: {})  # every block highlighted while finishing
    fresh = _files(build_site(copy_fixture("minimal", tmp_path / "b" / "book"), extra=["--no-claims"]))
    for other in (again, fresh):
        assert cached.keys() == other.keys()
        assert [k for k in cached if cached[k] != other[k] and not k.startswith("pagefind/")] == []
    assert any('class="highlight' in v.decode("utf-8", "replace") for k, v in cached.items() if k.endswith(".html"))


def _with_cache_of(src_root: Path, dest_root: Path) -> Path:
    root = copy_fixture("minimal", dest_root)
    shutil.copytree(src_root / ".dl500-cache" / "render" / "highlight", root / ".dl500-cache" / "render" / "highlight")
    return root


# --- the claim states kept once the claims run was replayed ------------------------------------------------------

def _claims_replayed(root):
    from pipeline.load import load_book
    from pipeline.render.site_claims import run_claims_stage
    book, _ = load_book(root / "source")
    run_claims_stage(book)  # runs and remembers
    assert run_claims_stage(book)[2]  # replayed
    return book


def test_claim_states_are_read_once_per_input_and_cache_state(tmp_path, monkeypatch):
    from pipeline.render import site_claims
    root = copy_fixture("minimal", tmp_path / "book")
    book = _claims_replayed(root)
    fresh = site_claims.read_claim_states(book)
    assert "passed" in {st.state for sts in fresh.values() for st in sts}
    assert site_claims.remembered_claim_states(book) == fresh
    calls = []
    real = site_claims.read_claim_states
    monkeypatch.setattr(site_claims, "read_claim_states", lambda b: calls.append(1) or real(b))
    assert site_claims.remembered_claim_states(book) == fresh and calls == []  # one file read
    # an entry written into the claim cache (another run's result) changes the key: read again
    (root / ".dl500-cache" / "claims" / "b-new-result.json").write_text("{}", "utf-8")
    assert site_claims.remembered_claim_states(book) == fresh and calls == [1]
    assert site_claims.remembered_claim_states(book) == fresh and calls == [1]
    # an entry of the wrong shape, or a state no mark knows, is a miss (read again, never shown)
    k = site_claims.claim_states_key(book)
    entry = root / ".dl500-cache" / "claim-states" / f"{k}.json"
    good = json.loads(entry.read_text("utf-8"))
    bogus = [[q, lang, [[*st[:1], "owned", *st[2:]] for st in sts]] for q, lang, sts in good]
    for bad in (bogus, {"a": 1}, [["q", "zh", [["x"]]]], "abc", None):
        entry.write_text(json.dumps(bad), "utf-8")
        assert site_claims.remembered_claim_states(book) == fresh
    assert len(calls) == 6


def test_claim_states_are_not_kept_when_the_run_was_not_replayed(tmp_path, monkeypatch):
    """An edited claim misses the run memo: the states come from the claim cache itself, and the page says failed."""
    from pipeline.render import site_claims
    root = copy_fixture("minimal", tmp_path / "book")
    mark = 'data-check="act.sigmoid_grad_at_0" data-state="{}"'
    build_site(root)
    kept = []
    real = site_claims.remembered_claim_states
    monkeypatch.setattr(site_claims, "remembered_claim_states", lambda b: kept.append(1) or real(b))
    _forget_site(root)
    site = build_site(root)  # replayed: the states are kept
    assert kept and mark.format("passed") in (site / "en" / "basics" / "index.html").read_text("utf-8")
    monkeypatch.setattr(site_claims, "remembered_claim_states", lambda b: pytest.fail("states kept from a miss"))
    for lang in ("zh", "en"):
        patch_file(root, f"source/ch01/sigmoid-grad.{lang}.md", "[0.25]", "[0.75]")
    site = build_site(root)
    assert mark.format("failed") in (site / "en" / "basics" / "index.html").read_text("utf-8")
