"""Benchmark `dl500 build` (PDF, both editions) against the floor: pandoc + WeasyPrint on one document per edition.

For each book (the synthetic one from gen_book.py and a copy of the real `source/` book), in one run: the floor
of each edition (the edition's Markdown in one pandoc call → one HTML document with the same CSS and fonts →
WeasyPrint, no pipeline), then our cold build of both editions (one process pool), a no-change rebuild, a
one-question edit that keeps the page counts and one that adds a page. Seconds, the largest single process
(wait4) and the process tree (polled from /proc), the joined files' size against the floor's.

Goals (issue 21): cold ≤ 0.45× the floor, no-change ≤ 1 s, each edit ≤ 10% of cold, largest process ≤ 600 MiB,
joined file ≤ 1.1× the single document. Every figure is printed as one `BENCH name=value` line and written into
build/bench.json (read, update these keys, write: other benchmarks keep theirs).

Math is prepared first (ziamath → SVG for every formula, cached) and is in neither side's time; the cold build
starts with empty pandoc, part, stamp, font and formula-drawing caches.

    python benchmarks/bench_build.py [--quick] [--book synthetic|real|both] [--questions 500] [--jobs 2]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))
from _measure import measure  # noqa: E402
from gen_book import generate  # noqa: E402

DL500 = [sys.executable, "-m", "pipeline"]
EPOCH = {"SOURCE_DATE_EPOCH": "1700000000", "DL500_PDF_LAYOUT": "parts"}
LANGS = ("zh", "en")
GOALS = {"cold_ratio": 0.45, "nochange_s": 1.0, "edit_ratio": 0.10, "addpage_ratio": 0.10, "largest_mib": 600,
         "size_ratio": 1.1}

FLOOR = r'''
import html as htmllib, sys, time
from pathlib import Path
sys.path.insert(0, sys.argv[3])
from pipeline.load import load_book
from pipeline.render import math as mathr
from pipeline.render.html import MATH_SPAN, pygments_css
from pipeline.render.pandoc import PANDOC_ARGS, PANDOC_FROM
from pipeline.model import iter_question_refs
import pypandoc, weasyprint
root, lang = Path(sys.argv[1]), sys.argv[2]
book = load_book(root)
book = book[0] if isinstance(book, tuple) else book
md = []
for ch in book.chapters:
    md.append(f"# {ch.title.get(lang) or ch.title[book.primary]}\n")
    for ref in iter_question_refs(ch.items):
        t = book.text(ref.qid, lang) or book.text(ref.qid, book.primary)
        body = t.body.replace("](img/", f"]({t.path.parent}/img/")
        md.append(f"## {t.title}\n\n{body}\n")
t0 = time.perf_counter()
html = pypandoc.convert_text("\n".join(md), "html5", format=PANDOC_FROM, extra_args=PANDOC_ARGS)
t_pandoc = time.perf_counter() - t0
cache = mathr.MathCache(root.parent / ".dl500-cache" / "render" / "math")
def svg(m):
    tex, display = htmllib.unescape(m.group(2)), m.group(1) == "display"
    r = cache.get(mathr.formula_key(tex, display))
    return mathr.svg_img(r, display, tex) if r and "error" not in r else m.group(0)
html = MATH_SPAN.sub(svg, html)
css = (Path(sys.argv[3]) / "pipeline/templates/book.css").read_text() + pygments_css()
doc = f'<!DOCTYPE html><html lang="{lang}"><head><meta charset="utf-8"><style>{css}</style></head><body>{html}</body></html>'
t1 = time.perf_counter()
pdf = weasyprint.HTML(string=doc, base_url="/").write_pdf()
t_wp = time.perf_counter() - t1
Path(sys.argv[4]).write_bytes(pdf)
import pypdf, io
print(f"FLOOR pandoc={t_pandoc:.2f} weasyprint={t_wp:.2f} pages={len(pypdf.PdfReader(io.BytesIO(pdf)).pages)}")
'''


def clear_render_cache(book: Path) -> None:
    cache = book / ".dl500-cache" / "render"
    for sub in ("pandoc", "outputs", "pdf-parts"):
        shutil.rmtree(cache / sub, ignore_errors=True)
    (cache / "last-build.json").unlink(missing_ok=True)
    shutil.rmtree(book / "build", ignore_errors=True)


def build(book: Path, jobs: int, extra=()) -> dict:
    started = time.time()
    r = measure([*DL500, "build", str(book), "--format", "pdf", "--jobs", str(jobs), *extra], cwd=REPO, env=EPOCH,
                check=True)
    r["stats"] = " | ".join(line.split("s ", 1)[-1].strip() for line in r["stderr"].splitlines()
                            if "parts:" in line or "done:" in line)
    r["files"] = {lang: (book / "build" / lang / "dl500.pdf").stat().st_size for lang in LANGS
                  if (book / "build" / lang / "dl500.pdf").exists()}
    r["parts"] = {}
    for lang in LANGS:
        p = book / ".dl500-cache" / "render" / "pdf-parts" / f"last-build-{lang}.json"
        if p.exists() and p.stat().st_mtime >= started:  # this build's record, not one an earlier build left
            r["parts"][lang] = json.loads(p.read_text("utf-8"))
    # wait4 sees the build process and what it reaped; the layout and join workers are the forkserver's children,
    # so their own peaks (each reports its ru_maxrss) count too
    workers = [v for rep in r["parts"].values() for v in [*(rep.get("peaks") or {}).values(), rep.get("join_peak") or 0]]
    r["largest_mib"] = max([r["largest_mib"], *workers])
    return r


def floor(book: Path, lang: str, work: Path) -> dict:
    out = work / f"floor-{book.name}-{lang}.pdf"
    r = measure([sys.executable, "-c", FLOOR, str(book / "source"), lang, str(REPO), str(out)], cwd=REPO, env=EPOCH)
    r["stats"] = r["stdout"].strip().splitlines()[-1] if r["stdout"].strip() else r["stderr"][-300:]
    r["size"] = out.stat().st_size
    return r


def edit_keep_pages(book: Path, rel: str) -> None:
    """Swap two Han characters for two others in one question: the same page counts."""
    p = book / "source" / rel
    text = p.read_text("utf-8")
    for a, b in (("模型", "数据"), ("数据", "模型"), ("影响", "作用"), ("网络", "模型")):
        if a in text:
            p.write_text(text.replace(a, b, 1), "utf-8")
            return
    raise SystemExit(f"no word to swap in {rel}")


def edit_add_page(book: Path, rel: str) -> None:
    """About a page of text appended to one question (Chinese)."""
    p = book / "source" / rel
    p.write_text(p.read_text("utf-8") + "\n\n" + ("增加的段落用来让这一章多出一页。" * 30 + "\n\n") * 5, "utf-8")


def synthetic_book(work: Path, questions: int, chapters: int) -> tuple[Path, str, list]:
    book = work / "synthetic"
    counts = generate(book, questions, chapters)
    rel = str(sorted((book / "source" / "ch03").glob("*.zh.md"))[1].relative_to(book / "source"))
    return book, rel, [f"{counts['questions']} questions, {counts['translated']} translated"]


def real_book(work: Path, chapters: int | None) -> tuple[Path, str, list]:
    book = work / "real"
    shutil.copytree(REPO / "source", book / "source")
    if (REPO / "checks").is_dir():
        shutil.copytree(REPO / "checks", book / "checks")
    for sub in ("math", "figures"):  # prepared inputs, not part of any measured time
        if (REPO / ".dl500-cache" / "render" / sub).is_dir():
            shutil.copytree(REPO / ".dl500-cache" / "render" / sub, book / ".dl500-cache" / "render" / sub)
    extra = []
    if chapters:  # --quick: the first chapters only (references to the others become validation errors)
        y = book / "source" / "book.yaml"
        text = y.read_text("utf-8")
        head, _, tail = text.partition("chapters:\n")
        keep = [line for line in tail.splitlines() if line.strip().startswith("- ")][:chapters]
        y.write_text(head + "chapters:\n" + "\n".join(keep) + "\n", "utf-8")
        extra = ["--keep-going"]
    return book, "ch05-cnn/cnn-effective-receptive-field.zh.md" if not chapters else _first_question(book), extra


def _first_question(book: Path) -> str:
    return str(sorted(book.joinpath("source").glob("ch0[2-3]*/*.zh.md"))[0].relative_to(book / "source"))


def bench_book(name: str, book: Path, rel: str, extra: list, jobs: int, work: Path, figures: dict) -> None:
    prep = measure([*DL500, "build", str(book), "--format", "epub", "--jobs", str(jobs), *extra], cwd=REPO, env=EPOCH,
                   check=True)
    m = re.search(r"(\d+) formula\(s\) rendered", prep["stderr"])
    print(f"{name}: math prep ({m.group(1) if m else '?'} formulas rendered) + pandoc + EPUB {prep['seconds']:.1f} s "
          f"— not in the ratios", flush=True)
    floors = {lang: floor(book, lang, work) for lang in LANGS}
    for lang, f in floors.items():
        row(name, f"floor {lang}: pandoc + WeasyPrint, one document", f)
    floor_s = sum(f["seconds"] for f in floors.values())
    clear_render_cache(book)
    cold = build(book, jobs, extra)
    row(name, f"cold, both editions, --jobs {jobs}", cold, floor_s)
    nochange = build(book, jobs, extra)
    row(name, "no-change rebuild", nochange, floor_s)
    pages = {lang: cold["parts"].get(lang, {}).get("pages") for lang in LANGS}
    edit_keep_pages(book, rel)
    edit = build(book, jobs, extra)
    row(name, f"one-question edit ({rel})", edit, floor_s)
    kept = bool(edit["parts"]) and all(rep.get("pages") == pages[lang] for lang, rep in edit["parts"].items())
    edit_add_page(book, rel)
    add = build(book, jobs, extra)
    row(name, "edit adding a page", add, floor_s)
    runs = [cold, nochange, edit, add]
    fig = {"floor_s": floor_s, "cold_s": cold["seconds"], "cold_ratio": cold["seconds"] / floor_s,
           "nochange_s": nochange["seconds"], "edit_s": edit["seconds"], "edit_ratio": edit["seconds"] / cold["seconds"],
           "edit_kept_pages": int(kept), "addpage_s": add["seconds"], "addpage_ratio": add["seconds"] / cold["seconds"],
           "largest_mib": max(r["largest_mib"] for r in runs), "tree_mib": max(r["total_mib"] for r in runs),
           "floor_largest_mib": max(f["largest_mib"] for f in floors.values())}
    for lang in LANGS:
        if lang in cold["files"]:
            fig[f"size_ratio_{lang}"] = cold["files"][lang] / floors[lang]["size"]
        fig[f"pages_{lang}"] = pages[lang] or 0
        fig[f"edit_laid_out_{lang}"] = edit["parts"].get(lang, {}).get("laid_out", -1)  # -1: not rebuilt (its output key did not change)
        fig[f"addpage_laid_out_{lang}"] = add["parts"].get(lang, {}).get("laid_out", -1)
    for k, v in fig.items():
        figures[f"pdf_{name}_{k}"] = round(v, 3)
        print(f"BENCH pdf_{name}_{k}={round(v, 3)}", flush=True)
    verdicts(name, fig)


def row(book: str, name: str, r: dict, floor_s: float | None = None) -> None:
    ratio = f"{r['seconds'] / floor_s:.2f}×" if floor_s else ""
    print(f"{book:9} {name:58} {r['seconds']:8.1f} s {ratio:>6}  largest {r['largest_mib']:6.0f} MiB  "
          f"tree {r['total_mib']:6.0f} MiB", flush=True)
    if r.get("stats"):
        print(f"    {r['stats']}", flush=True)


def verdicts(name: str, fig: dict) -> None:
    checks = [(f"cold ≤ {GOALS['cold_ratio']}× floor ({fig['cold_ratio']:.2f}×)", fig["cold_ratio"] <= GOALS["cold_ratio"]),
              (f"no-change ≤ 1 s ({fig['nochange_s']:.2f} s)", fig["nochange_s"] <= GOALS["nochange_s"]),
              (f"one edit ≤ 10% of cold ({100 * fig['edit_ratio']:.0f}%)", fig["edit_ratio"] <= GOALS["edit_ratio"]),
              (f"adding a page ≤ 10% of cold ({100 * fig['addpage_ratio']:.0f}%)",
               fig["addpage_ratio"] <= GOALS["addpage_ratio"]),
              (f"largest process ≤ 600 MiB ({fig['largest_mib']:.0f} MiB)", fig["largest_mib"] <= GOALS["largest_mib"])]
    for lang in LANGS:
        if f"size_ratio_{lang}" in fig:
            checks.append((f"{lang} file ≤ 1.1× the single document ({fig[f'size_ratio_{lang}']:.2f}×)",
                           fig[f"size_ratio_{lang}"] <= GOALS["size_ratio"]))
    for text, ok in checks:
        print(f"    {name}: {'meets ' if ok else 'MISSES'} {text}", flush=True)


def save(figures: dict, path: Path) -> None:
    """Read-modify-write: other benchmarks' keys stay."""
    try:
        data = json.loads(path.read_text("utf-8"))
    except (OSError, ValueError):
        data = {}
    data.update(figures)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}")
    tmp.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n", "utf-8")
    os.replace(tmp, path)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--book", choices=["synthetic", "real", "both"], default="both")
    ap.add_argument("--quick", action="store_true", help="fewer chapters (60 synthetic questions, 3 real chapters)")
    ap.add_argument("--questions", type=int, default=500)
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 2)
    ap.add_argument("--keep", help="work in this folder and keep it")
    ap.add_argument("--out", default=str(REPO / "build" / "bench.json"))
    args = ap.parse_args()
    work = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="dl500-bench-build-"))
    figures: dict = {}
    try:
        if args.book in ("synthetic", "both"):
            q, c = (60, 6) if args.quick else (args.questions, 18)
            book, rel, notes = synthetic_book(work, q, c)
            print(f"synthetic book: {notes[0]}", flush=True)
            bench_book("synthetic", book, rel, [], args.jobs, work, figures)
            save(dict(figures, pdf_quick=int(args.quick)), Path(args.out))  # kept even if the real book is cut short
        if args.book in ("real", "both"):
            book, rel, extra = real_book(work, 3 if args.quick else None)
            bench_book("real", book, rel, extra, args.jobs, work, figures)
    finally:
        if figures:
            figures["pdf_quick"] = int(args.quick)
            save(figures, Path(args.out))
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
