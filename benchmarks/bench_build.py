"""Benchmark `dl500 build` (PDF) on the synthetic book against the floor: pandoc + WeasyPrint on one document.

In one run, per language: the floor (the edition's Markdown in one pandoc call → one HTML document with the same
CSS and fonts → WeasyPrint, no pipeline), our cold build with --jobs 1 and --jobs N, a no-change rebuild, a
one-question edit that keeps page counts, and an edit that adds a page to chapter 3. Seconds and peak RSS (the
largest single process, from wait4, and the whole process tree, polled from /proc) as ratios to the floor.

Math is counted separately: a preparation step renders every formula once (ziamath → SVG, cached); the floor
and every build below use those same cached SVGs, so neither side pays for math in the ratios.

    python benchmarks/bench_build.py [--questions 500] [--lang zh] [--jobs 2] [--keep DIR]
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))
from _measure import measure  # noqa: E402
from gen_book import generate  # noqa: E402

DL500 = [sys.executable, "-m", "pipeline"]
EPOCH = {"SOURCE_DATE_EPOCH": "1700000000"}
GIB = 1024

FLOOR = r'''
import html as htmllib, re, sys, time
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


def clear_render_cache(book: Path, keep_math: bool = True) -> None:
    cache = book / ".dl500-cache" / "render"
    for sub in ("pandoc", "outputs", "pdf-parts"):
        shutil.rmtree(cache / sub, ignore_errors=True)
    if not keep_math:
        shutil.rmtree(cache / "math", ignore_errors=True)
    shutil.rmtree(book / "build", ignore_errors=True)


def build(book: Path, lang: str, jobs: int) -> dict:
    r = measure([*DL500, "build", str(book), "--format", "pdf", "--lang", lang, "--jobs", str(jobs)], cwd=REPO,
                env=EPOCH, check=True)
    r["stats"] = " | ".join(line.split("s ", 1)[-1].strip() for line in r["stderr"].splitlines()
                            if "parts:" in line or "done:" in line)
    pdf = book / "build" / lang / "dl500.pdf"
    r["mib_file"] = pdf.stat().st_size / 2**20 if pdf.exists() else 0
    return r


def edit_keep_pages(book: Path) -> str:
    """Swap one word in a chapter-5 question for another of the same length: same page counts."""
    p = sorted((book / "source" / "ch05").glob("*.zh.md"))[1]
    text = p.read_text("utf-8")
    i = text.index("模型") if "模型" in text else text.index("数据")
    p.write_text(text[:i] + ("数据" if text[i:i + 2] == "模型" else "模型") + text[i + 2:], "utf-8")
    for en in [p.with_name(p.name.replace(".zh.", ".en."))]:
        if en.exists():
            t = en.read_text("utf-8")
            en.write_text(t.replace(" model ", " data ", 1), "utf-8")
    return str(p.relative_to(book))


def edit_add_page(book: Path) -> str:
    """Add about a page of text to a chapter-3 question (both languages)."""
    p = sorted((book / "source" / "ch03").glob("*.zh.md"))[0]
    p.write_text(p.read_text("utf-8") + "\n" + ("增加的段落" * 80 + "。\n\n") * 3, "utf-8")
    en = p.with_name(p.name.replace(".zh.", ".en."))
    if en.exists():
        en.write_text(en.read_text("utf-8") + "\n" + ("An added paragraph of text. " * 60 + "\n\n") * 3, "utf-8")
    return str(p.relative_to(book))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--questions", type=int, default=500)
    ap.add_argument("--lang", action="append", choices=["zh", "en"])
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 2, help="the parallel build's workers")
    ap.add_argument("--no-serial", action="store_true", help="skip the --jobs 1 cold build")
    ap.add_argument("--no-floor", action="store_true", help="skip the floor (ratios then read n/a)")
    ap.add_argument("--keep", help="work in this folder and keep it")
    args = ap.parse_args()
    langs = args.lang or ["zh", "en"]
    work = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="dl500-bench-build-"))
    rows = []
    try:
        book = work / "book"
        counts = generate(book, args.questions)
        prep = measure([*DL500, "build", str(book), "--format", "epub", "--jobs", str(args.jobs)], cwd=REPO,
                       env=EPOCH, check=True)
        m = re.search(r"(\d+) formula\(s\) rendered", prep["stderr"])
        print(f"synthetic book: {counts['questions']} questions, {counts['translated']} translated, "
              f"{counts['figures']} figures; math prep (ziamath, every formula, {m.group(1) if m else '?'} "
              f"formulas) + pandoc + EPUB: {prep['seconds']:.1f} s — not in the ratios below", flush=True)
        for lang in langs:
            generate(book, args.questions)  # undo the previous language's edits
            floor = None
            if not args.no_floor:
                floor = measure([sys.executable, "-c", FLOOR, str(book / "source"), lang, str(REPO),
                                 str(work / f"floor-{lang}.pdf")], cwd=REPO, env=EPOCH)
                floor["stats"] = floor["stdout"].strip().splitlines()[-1]
                floor["mib_file"] = (work / f"floor-{lang}.pdf").stat().st_size / 2**20
                rows.append((lang, "floor: pandoc + WeasyPrint, one document", floor, floor))
                print_row(*rows[-1])
            results = {}
            for jobs in sorted({args.jobs} if args.no_serial else {1, args.jobs}):
                clear_render_cache(book)
                results[f"cold{jobs}"] = r = build(book, lang, jobs)
                rows.append((lang, f"our cold build, --jobs {jobs}", r, floor))
                print_row(*rows[-1])
            r = build(book, lang, args.jobs)
            rows.append((lang, "no-change rebuild", r, floor))
            print_row(*rows[-1])
            edit_keep_pages(book)
            r = build(book, lang, args.jobs)
            rows.append((lang, "one-question edit (same pages)", r, floor))
            print_row(*rows[-1])
            edit_add_page(book)
            r = build(book, lang, args.jobs)
            rows.append((lang, "edit adding a page to chapter 3", r, floor))
            print_row(*rows[-1])
            verdicts(lang, floor, results[f"cold{args.jobs}"], rows[-3][2], rows[-2][2], rows, args.jobs)
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    return 0


def print_row(lang, name, r, floor) -> None:
    ratio = f"{r['seconds'] / floor['seconds']:.2f}×" if floor else "n/a"
    mem = f"{r['largest_mib'] / floor['largest_mib']:.2f}×" if floor else "n/a"
    print(f"{lang:3} {name:42} {r['seconds']:8.1f} s {ratio:>7}  largest {r['largest_mib']:6.0f} MiB {mem:>6}  "
          f"tree {r['total_mib']:6.0f} MiB  file {r.get('mib_file', 0):5.1f} MB", flush=True)
    if r.get("stats"):
        print(f"    {r['stats']}", flush=True)


def verdicts(lang, floor, cold, nochange, one_edit, rows, jobs) -> None:
    largest = max(r["largest_mib"] for lg, _, r, _ in rows if lg == lang and r is not floor)
    total = max(r["total_mib"] for lg, _, r, _ in rows if lg == lang and r is not floor)
    checks = []
    if floor:
        checks.append((f"issue 5: cold ≤ 1.3× floor (jobs {jobs})", cold["seconds"] <= 1.3 * floor["seconds"]))
        checks.append((f"issue 12: cold with {jobs} jobs ≤ 0.6× floor", cold["seconds"] <= 0.6 * floor["seconds"]))
    checks += [("issue 5: no-change < 2 s", nochange["seconds"] < 2),
               ("issue 12: no-change ≤ 1 s", nochange["seconds"] <= 1),
               ("issue 5: one edit < 20% of cold", one_edit["seconds"] < 0.2 * cold["seconds"]),
               ("issue 12: one edit ≤ 10% of cold", one_edit["seconds"] <= 0.1 * cold["seconds"]),
               (f"issue 5: peak < 2 GiB (tree {total:.0f} MiB)", total < 2 * GIB),
               (f"issue 12: largest process ≤ 600 MiB ({largest:.0f} MiB)", largest <= 600)]
    for name, ok in checks:
        print(f"    {lang}: {'meets ' if ok else 'MISSES'} {name}", flush=True)


if __name__ == "__main__":
    raise SystemExit(main())
