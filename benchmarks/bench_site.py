"""Benchmark the web edition: the real book's site figures (issue 21), and the synthetic full-size book's.

`--book real` (the default): in a copy of this repository's book (source/ and checks/, in a fresh git repository
so the question pages' dates come from `git log` as they do here), with the pandoc, math, figure and claim caches
warm (copied from .dl500-cache/ when there, else filled by a first build that is not counted), three times each:
the site built cold (no site built before: no output folder, no fingerprint, no search-word cache), the same
build again with nothing changed, and `dl500 serve` rebuilding one edited question's pages in process. Medians are
printed as `BENCH site_cold_s=…`, `BENCH site_cold_cpu_s=…` (user + system time of the cold build's process
tree), `BENCH site_nochange_s=…`, `BENCH serve_edit_s=…` (one line each) and merged
into build/bench.json (other benchmarks write their own keys into the same object).

`--book synthetic`: the generated full-size book, as before:

In one run, on one book (both languages): the site built cold (pandoc and math caches empty), the site again with
no change, the PDF editions with the same warm caches (the baseline), the site after one question's body changed,
and `dl500 serve`'s in-process rebuild of one edited question (the page reload follows it), plus the search
index refresh serve runs afterwards in the background. Also the largest page, the search index size and how the
formulas were drawn (MathML, SVG only, or TeX text).

    python benchmarks/bench_site.py [--book real|synthetic] [--repeat 3] [--questions 500] [--edits 5]
                                    [--contend N] [--no-pdf] [--keep DIR]
"""

from __future__ import annotations

import argparse
import contextlib
import gzip
import io
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(REPO))
from _measure import measure  # noqa: E402

try:
    from gen_book import generate  # noqa: E402
except ImportError:  # the shared generator is missing: a small one of our own
    generate = None

DL500 = [sys.executable, "-m", "pipeline"]
EPOCH = {"SOURCE_DATE_EPOCH": "1700000000"}


def own_book(out: Path, questions: int) -> None:
    """A plain synthetic book: 18 chapters, 3 sections each, ~1,500 Han characters and 5 formulas a question."""
    import random
    rng = random.Random(1)
    words = "模型 数据 梯度 损失 参数 网络 训练 样本 特征 权重 卷积 池化 激活 正则 优化 学习率 批量 误差 分布".split()
    src = out / "source"
    src.mkdir(parents=True)
    per = max(1, questions // 18)
    folders = []
    n = 0
    for c in range(18):
        folder = f"ch{c + 1:02d}"
        folders.append(folder)
        (src / folder).mkdir()
        sections = []
        for s in range(3):
            items = []
            for _ in range(per // 3 + (1 if s < per % 3 else 0)):
                qid = f"q{n:04d}"
                n += 1
                items.append(qid)
                zh = "".join(rng.choice(words) for _ in range(700))
                en = " ".join(rng.choice(["model", "gradient", "loss", "sigmoid", "weight"]) for _ in range(400))
                f = r"$\frac{\partial L}{\partial w_{%d}} = \sigma(x)^{%d}$" % (n, n % 7)
                (src / folder / f"{qid}.zh.md").write_text(
                    f"---\nid: {qid}\ntitle: 问题{n}\ncontributors: [张三-某大学]\n---\n\n{zh} {f}\n\n$$\n{f[1:-1]}\n$$\n")
                (src / folder / f"{qid}.en.md").write_text(
                    f"---\nid: {qid}\ntitle: Question {n}\ncontributors: [Zhang San-Uni]\ntranslation:\n  "
                    f"status: machine\n  translators: [bot-none]\n  source_hash: sha256:0000000000000000\n---\n\n"
                    f"{en} {f}\n")
            sections.append(f"  - section: c{c}s{s}\n    title: {{zh: 节{s}, en: Section {s}}}\n    items: [{', '.join(items)}]\n")
        (src / folder / "chapter.yaml").write_text(f"id: chap-{c}\ntitle: {{zh: 第{c}章, en: Chapter {c}}}\noutline:\n"
                                                   + "".join(sections))
    (src / "book.yaml").write_text("id: bench\ntitle: {zh: 基准书, en: Bench Book}\nlanguages: {primary: zh, "
                                   "translations: [en]}\nversion: 0.0.1\nlicense: CC BY-NC-SA 4.0\nchapters: ["
                                   + ", ".join(folders) + "]\n")


def edit_one_question(book: Path, k: int) -> Path:
    files = sorted((book / "source").glob("*/*.zh.md"))
    p = files[len(files) // 3]
    p.write_text(p.read_text("utf-8").rstrip("\n") + f"\n\n编辑第 {k} 次：模型的梯度。\n", "utf-8")
    return p


def dir_size(p: Path, pattern="*") -> int:
    return sum(f.stat().st_size for f in p.rglob(pattern) if f.is_file())


def gzip_size(p: Path) -> int:
    """Bytes of every file under p gzip-compressed (files Pagefind already compressed count as they are)."""
    total = 0
    for f in p.rglob("*"):
        if f.is_file():
            raw = f.read_bytes()
            total += len(raw) if raw[:2] == b"\x1f\x8b" else len(gzip.compress(raw, 9))
    return total


BENCH_JSON = REPO / "build" / "bench.json"
SITE_STATE = ("build", ".dl500-cache/render/last-build.json", ".dl500-cache/render/outputs",
              ".dl500-cache/render/search-words.json")


def merge_bench_json(figures: dict, path: Path = BENCH_JSON) -> None:
    """Read-modify-write one JSON object under a lock: other benchmarks keep their keys in the same file."""
    import json

    from filelock import FileLock
    path.parent.mkdir(parents=True, exist_ok=True)
    with FileLock(str(path) + ".lock"):
        try:
            data = json.loads(path.read_text("utf-8"))
        except (OSError, ValueError):
            data = {}
        data = data if isinstance(data, dict) else {}
        data.update(figures)
        tmp = path.with_name(f".{path.name}.{os.getpid()}")
        tmp.write_text(json.dumps(data, indent=1, sort_keys=True) + "\n", "utf-8")
        os.replace(tmp, path)


def copy_real_book(dest: Path) -> None:
    """This repository's source/ and checks/ in a fresh git repository, with its caches where it has them."""
    shutil.copytree(REPO / "source", dest / "source")
    if (REPO / "checks").is_dir():
        shutil.copytree(REPO / "checks", dest / "checks", ignore=shutil.ignore_patterns("__pycache__"))
    # every cache a PDF or EPUB build leaves (the site's own state, SITE_STATE, is never copied)
    for sub in ("render/pandoc", "render/typeset", "render/math", "render/figures", "render/highlight",
                "render/pdf-parts/svg", "claims", "claims-run.json", "validate", "status-history", "frontmatter.json"):
        src = REPO / ".dl500-cache" / sub
        if src.is_dir():
            shutil.copytree(src, dest / ".dl500-cache" / sub)
        elif src.is_file():
            shutil.copy2(src, dest / ".dl500-cache" / sub)
    git = ["git", "-c", "user.name=bench", "-c", "user.email=bench@localhost"]
    subprocess.run([*git, "init", "-q"], cwd=dest, check=True)
    subprocess.run([*git, "add", "source", "checks"], cwd=dest, check=True)
    subprocess.run([*git, "commit", "-q", "-m", "book"], cwd=dest, check=True,
                   env={**os.environ, "GIT_AUTHOR_DATE": "2024-01-01T00:00:00Z",
                        "GIT_COMMITTER_DATE": "2024-01-01T00:00:00Z"})


def children_cpu_s() -> float:
    """User + system seconds of the waited-for children so far (a build and every process it waited for): less
    noisy than wall time on a shared machine."""
    import resource
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    return ru.ru_utime + ru.ru_stime


def forget_site(book: Path) -> None:
    """Remove every trace of an earlier site build (outputs, fingerprint, search words); other caches stay."""
    for rel in SITE_STATE:
        p = book / rel
        if p.is_dir() and not p.is_symlink():
            shutil.rmtree(p)
        elif p.exists() or p.is_symlink():
            p.unlink()


def bench_real(args) -> int:
    work = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="dl500-site-real-"))
    book = work / "book"
    shutil.rmtree(book, ignore_errors=True)
    book.mkdir(parents=True)
    copy_real_book(book)
    html = [*DL500, "build", str(book), "--quiet", "--format", "html"]
    print(f"book: {REPO / 'source'} ({len(list((book / 'source').glob('*/*.md')))} question files), copied to {book}")
    warm = measure(html, cwd=book, env=EPOCH, check=False)  # fills any cache the copy lacked; not counted
    print(f"warm-up build (not counted): {warm['seconds']:.2f} s")
    cold, nochange, cold_cpu = [], [], []
    for _ in range(args.repeat):
        forget_site(book)
        cpu0 = children_cpu_s()
        cold.append(measure(html, cwd=book, env=EPOCH, check=False)["seconds"])
        cold_cpu.append(children_cpu_s() - cpu0)
        nochange.append(measure(html, cwd=book, env=EPOCH, check=False)["seconds"])
        print(f"site cold {cold[-1]:.2f} s (CPU of the process tree {cold_cpu[-1]:.2f} s), no change "
              f"{nochange[-1]:.2f} s", flush=True)

    from pipeline.serve import Preview
    with contextlib.redirect_stderr(io.StringIO()):
        preview = Preview(book, quiet=True)
        preview.full_build(search=False)
        edits = []
        for k in range(args.edits * args.repeat):
            p = edit_one_question(book, k)
            t0 = time.perf_counter()
            preview.rebuild([p.resolve()], search=False, background=False)
            edits.append(time.perf_counter() - t0)
            assert preview.last_timing["kind"] == "question", preview.last_timing
    figures = {"site_cold_s": round(statistics.median(cold), 2),
               "site_cold_cpu_s": round(statistics.median(cold_cpu), 2),
               "site_nochange_s": round(statistics.median(nochange), 2),
               "serve_edit_s": round(statistics.median(edits), 3)}
    print(f"site cold: {', '.join(f'{t:.2f}' for t in cold)} s (goal <= 10 s); no change: "
          f"{', '.join(f'{t:.2f}' for t in nochange)} s (goal <= 1 s); serve, one edited question: median "
          f"{figures['serve_edit_s']:.3f} s, max {max(edits):.3f} s over {len(edits)} edits (goal <= 0.3 s)")
    for k, v in figures.items():
        print(f"BENCH {k}={v}")
    merge_bench_json({**figures, "site_book": "real", "site_repeat": args.repeat})
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)
    return 0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--book", choices=["real", "synthetic"], default="real",
                    help="real (default): this repository's book, the issue's figures; synthetic: a generated one")
    ap.add_argument("--repeat", type=int, default=3, help="real book: runs of each figure (the median is kept)")
    ap.add_argument("--questions", type=int, default=500)
    ap.add_argument("--edits", type=int, default=5)
    ap.add_argument("--no-pdf", action="store_true", help="skip the PDF baseline (minutes on a full-size book)")
    ap.add_argument("--keep", help="build in this folder and keep it")
    ap.add_argument("--contend", type=int, default=os.cpu_count() or 2,
                    help="busy processes running beside the second round of serve edits (default: one a core)")
    args = ap.parse_args()
    if args.book == "real":
        return bench_real(args)
    work = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="dl500-site-"))
    book = work / "book"
    shutil.rmtree(book, ignore_errors=True)
    book.mkdir(parents=True)
    if generate is not None:
        generate(book, args.questions)
        print(f"book: benchmarks/gen_book.py, {args.questions} questions")
    else:
        own_book(book, args.questions)
        print(f"book: own generator, {args.questions} questions")
    rows = []

    def run(label, *extra):
        r = measure([*DL500, "build", str(book), "--quiet", *extra], cwd=book, env=EPOCH, check=False)
        rows.append((label, r["seconds"], r.get("largest_mib", 0)))
        print(f"{label:<44} {r['seconds']:8.2f} s  {r.get('largest_mib', 0):7.0f} MiB", flush=True)
        return r["seconds"]

    t_cold = run("site, cold caches", "--format", "html")
    t_warm = run("site, no change", "--format", "html")
    t_pdf = None if args.no_pdf else run("PDF (zh + en), warm caches [baseline]", "--format", "pdf")
    edit_one_question(book, 0)
    t_edit = run("site after one question changed", "--format", "html")

    site = book / "build" / "site"
    pages = [p for p in site.rglob("*.html") if "pagefind" not in p.parts]
    biggest = max(pages, key=lambda p: p.stat().st_size)
    index_bytes = dir_size(site / "pagefind")
    index_data = sum(dir_size(site / "pagefind", pat) for pat in ("*.pf_fragment", "*.pf_index", "*.pf_meta"))
    index_gz = gzip_size(site / "pagefind")

    from pipeline.serve import Preview
    from pipeline.validate import validate
    preview = Preview(book, quiet=True)
    with contextlib.redirect_stderr(io.StringIO()):
        t0 = time.perf_counter()
        preview.full_build(search=False)
        t_serve_start = time.perf_counter() - t0
        t0 = time.perf_counter()
        validate(preview.book)
        t_validate_all = time.perf_counter() - t0

        def edits(first):
            """One saved question at a time, as an author saves: the rebuild (what the reload waits for), then
            the whole-book validation serve runs in the background, waited for before the next save."""
            times, background = [], []
            for k in range(first, first + args.edits):
                p = edit_one_question(book, k)
                t0 = time.perf_counter()
                preview.rebuild([p.resolve()], search=False)
                times.append(time.perf_counter() - t0)
                assert preview.last_timing["kind"] == "question", preview.last_timing
                preview.join_background()
                background.append(preview.last_timing.get("background_validation", float("nan")))
            return times, background
        times, background = edits(1)
        hogs = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(args.contend)]
        try:
            time.sleep(0.5)
            times_c, background_c = edits(1 + args.edits)
        finally:
            for h in hogs:
                h.kill()
                h.wait()
        # save → rebuilt, as `dl500 serve` runs: the watcher polls source/ every 0.3 s; the page then polls
        # /__version every 0.25 s and reloads
        import threading
        stop = threading.Event()
        watcher = threading.Thread(target=preview.watch, args=(stop,), daemon=True)
        watcher.start()
        time.sleep(1)
        saved = []
        for k in range(1 + 2 * args.edits, 1 + 3 * args.edits):
            v = preview.version
            t0 = time.perf_counter()
            edit_one_question(book, k)
            while preview.version == v and time.perf_counter() - t0 < 10:
                time.sleep(0.005)
            saved.append(time.perf_counter() - t0)
            preview.join_background()
            time.sleep(0.4)
        stop.set()
        watcher.join()
        t0 = time.perf_counter()
        preview.reindex()
        t_reindex = time.perf_counter() - t0
    counts = preview.builder.math.counts

    print()
    print(f"pages: {len(pages)}; largest {biggest.relative_to(site)} {biggest.stat().st_size / 1024:.0f} KiB "
          "(limit 200 KiB)")
    print(f"search index (build/site/pagefind): {index_bytes / 1e6:.2f} MB on disk in all, {index_gz / 1e6:.2f} MB "
          f"gzip-compressed as served (limit 2 MB compressed); the index, fragment and meta files alone "
          f"{index_data / 1e6:.2f} MB (Pagefind writes them gzip-compressed)")
    total = sum(counts.values()) or 1
    print(f"math: {counts['mathml']} MathML ({100 * counts['mathml'] / total:.1f}%), {counts['svg_only']} SVG only, "
          f"{counts['text']} shown as TeX")
    if t_pdf:
        print(f"site / PDF build: warm caches, one question changed {t_edit:.1f} s vs PDF {t_pdf:.1f} s: "
              f"{t_edit / t_pdf:.2f}×; cold site {t_cold:.1f} s: {t_cold / t_pdf:.2f}×; no change {t_warm / t_pdf:.2f}× "
              "(the build finds its outputs up to date)")
    print(f"site after one edit: {t_edit:.2f} s (a whole `dl500 build --format html` process)")
    print(f"serve: start {t_serve_start:.2f} s; one-question rebuild, validation of the edited file included: "
          f"median {statistics.median(times):.3f} s, max {max(times):.3f} s over {len(times)} edits; with "
          f"{args.contend} busy processes beside it median {statistics.median(times_c):.3f} s, max "
          f"{max(times_c):.3f} s (target < 1 s)")
    print(f"serve, save → pages rewritten with the watcher polling: median {statistics.median(saved):.3f} s, max "
          f"{max(saved):.3f} s; the open page sees it within 0.25 s more and reloads")
    print(f"serve, in the background afterwards: whole-book validation median {statistics.median(background):.3f} s "
          f"({statistics.median(background_c):.3f} s contended; `validate(book)` takes {t_validate_all:.2f} s), "
          f"search refresh {t_reindex:.2f} s")
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
