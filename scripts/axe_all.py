"""Run axe-core on every page of a built web edition in headless Chromium; fail on any serious or critical violation.

    .venv/bin/python scripts/axe_all.py [SITE] [--jobs 4] [--scheme light|dark|both] [--report FILE]

SITE defaults to build/site (`dl500 build --format html`). One browser, `--jobs` pages checked at a time, the site
served from 127.0.0.1 by a local server. axe-core comes from $DL500_AXE, ./node_modules or the cache that
`DL500_WITH_BROWSER=1 bash scripts/setup.sh` fills (~/.cache/dl500/axe); Chromium from $DL500_CHROMIUM
(default /usr/bin/chromium), driven by the `playwright` package (never `playwright install`).
Exit codes: 0 no serious or critical violation; 1 some (listed, and written to --report as JSON); 2 cannot run.
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import http.server
import json
import os
import sys
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
CHROMIUM = os.environ.get("DL500_CHROMIUM", "/usr/bin/chromium")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--no-first-run"]
BLOCKING = ("serious", "critical")
# axe's own run, limited to what a reader meets: violations only (no passes or incomplete lists to serialise)
AXE_RUN = "() => axe.run(document, {resultTypes: ['violations']})"


def axe_source() -> str | None:
    """axe-core's script: $DL500_AXE, the repository's node_modules, or the cache scripts/setup.sh fills."""
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "dl500" / "axe"
    for p in (os.environ.get("DL500_AXE"), REPO / "node_modules/axe-core/axe.min.js",
              cache / "node_modules/axe-core/axe.min.js"):
        if p and Path(p).is_file():
            return Path(p).read_text("utf-8")
    return None


def site_pages(site: Path) -> list[str]:
    """Every HTML page of the site as a URL path relative to its root ("zh/q/relu/"), the search index excluded."""
    out = []
    for p in sorted(site.rglob("*.html")):
        rel = p.relative_to(site)
        if rel.parts[0] == "pagefind":
            continue
        out.append(rel.parent.as_posix() + "/" if rel.name == "index.html" and rel.parent.parts
                   else "" if rel.name == "index.html" else rel.as_posix())
    return out


SPECIAL = {"q": "question", "search": "search", "quiz": "quiz"}


def page_kind(path: str) -> str:
    """What kind of page a site path is ("zh/q/relu/" → "zh question"), so a sample can cover every kind."""
    parts = [p for p in path.split("/") if p and p != "index.html"]
    if not parts:
        return "home"
    if parts[0] == "bilingual":
        return "side-by-side" + (" section" if len(parts) > 2 else "")
    lang, rest = parts[0], parts[1:]
    if not rest:
        return f"{lang} contents"
    if rest[0] in SPECIAL and len(rest) == (2 if rest[0] == "q" else 1):
        return f"{lang} {SPECIAL[rest[0]]}"
    return f"{lang} {'chapter' if len(rest) == 1 else 'section'}"


def serious_violations(result: dict) -> list:
    """(rule id, impact, nodes, first target) for each serious or critical violation of one axe result."""
    return [(v["id"], v["impact"], len(v["nodes"]), v["nodes"][0]["target"] if v["nodes"] else [])
            for v in result["violations"] if v["impact"] in BLOCKING]


class Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def serve(site: Path):
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=str(site)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}/"


async def check_pages(base: str, paths: list[str], source: str, scheme: str, jobs: int, progress) -> dict:
    """path → serious violations (or an error text) for every path, `jobs` pages at a time in one browser;
    `progress(path, violations)` after each page."""
    from playwright.async_api import async_playwright
    found: dict = {}
    queue: asyncio.Queue = asyncio.Queue()
    for p in paths:
        queue.put_nowait(p)
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        # axe is this script's code, not the site's: the pages' Content-Security-Policy would (rightly) refuse it
        ctx = await browser.new_context(bypass_csp=True, color_scheme=scheme, viewport={"width": 1200, "height": 800})

        async def worker():
            page = await ctx.new_page()
            while not queue.empty():
                path = queue.get_nowait()
                try:
                    await page.goto(base + path, wait_until="load")
                    await page.evaluate(source)
                    bad = serious_violations(await page.evaluate(AXE_RUN))
                except Exception as e:  # a page that does not load or a script error: reported, never skipped
                    bad = [("error", "critical", 0, [f"{type(e).__name__}: {str(e)[:200]}"])]
                if bad:
                    found[path] = bad
                progress(path, bad)
            await page.close()
        await asyncio.gather(*(worker() for _ in range(max(1, jobs))))
        await ctx.close()
        await browser.close()
    return found


def read_log(path) -> dict:
    """(scheme, page) → violations of the pages an earlier run logged."""
    out = {}
    if path and Path(path).is_file():
        for line in Path(path).read_text("utf-8").splitlines():
            try:
                r = json.loads(line)
                out[(r["scheme"], r["page"])] = r["violations"]
            except (ValueError, KeyError, TypeError):
                continue  # a line cut short by a stopped run: that page is checked again
    return out


def append_log(path, scheme: str, page: str, bad: list) -> None:
    if path:
        with open(path, "a", encoding="utf-8") as f:
            f.write(json.dumps({"scheme": scheme, "page": page, "violations": bad}, ensure_ascii=False) + "\n")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("site", nargs="?", default="build/site", help="the built site (default: build/site)")
    ap.add_argument("--jobs", type=int, default=4, help="pages checked at a time (default 4)")
    ap.add_argument("--scheme", choices=["light", "dark", "both"], default="light", help="colour scheme(s)")
    ap.add_argument("--report", help="write the violations found as JSON to this file")
    ap.add_argument("--limit", type=int, default=0, help="check only the first N pages (a quick try)")
    ap.add_argument("--log", help="append each page's result to this JSON-lines file and skip the pages it already "
                                  "holds (a long run can stop and go on)")
    args = ap.parse_args(argv)
    site = Path(args.site).resolve()
    source = axe_source()
    problems = []
    if not (site / "index.html").is_file():
        problems.append(f"no site at {site}: run dl500 build --format html")
    if source is None:
        problems.append("axe-core is not installed: DL500_WITH_BROWSER=1 bash scripts/setup.sh, or set DL500_AXE")
    if not Path(CHROMIUM).exists():
        problems.append(f"no Chromium at {CHROMIUM} (set DL500_CHROMIUM)")
    try:
        import playwright.async_api  # noqa: F401
    except ImportError:
        problems.append("the playwright package is missing (pip install -e '.[test]')")
    if problems:
        print("axe_all: " + "; ".join(problems), file=sys.stderr)
        return 2
    paths = site_pages(site)[:args.limit or None]
    logged = read_log(args.log)
    server, base = serve(site)
    report, t0 = {}, time.monotonic()
    try:
        for scheme in (["light", "dark"] if args.scheme == "both" else [args.scheme]):
            done = [0]
            todo = [p for p in paths if (scheme, p) not in logged]

            def progress(path, bad, scheme=scheme, done=done, todo=todo):
                done[0] += 1
                append_log(args.log, scheme, path, bad)
                if done[0] % 100 == 0 or done[0] == len(todo):
                    print(f"axe_all: {scheme}: {done[0]}/{len(todo)} pages, {time.monotonic() - t0:.0f} s",
                          file=sys.stderr, flush=True)
            found = asyncio.run(check_pages(base, todo, source, scheme, args.jobs, progress))
            found.update({p: logged[(scheme, p)] for p in paths if logged.get((scheme, p))})
            for path, bad in sorted(found.items()):
                report.setdefault(scheme, {})[path] = bad
    finally:
        server.shutdown()
        server.server_close()
    rules: dict = {}
    for scheme, pages in report.items():
        for path, bad in pages.items():
            for rule, impact, nodes, target in bad:
                r = rules.setdefault(f"{rule} ({impact}, {scheme})", {"pages": 0, "nodes": 0, "example": ""})
                r["pages"] += 1
                r["nodes"] += nodes
                r["example"] = r["example"] or f"{path} {json.dumps(target, ensure_ascii=False)}"
    if args.report:
        Path(args.report).write_text(json.dumps({"pages": len(paths), "violations": report}, ensure_ascii=False,
                                                indent=1), "utf-8")
    schemes = ", ".join(["light", "dark"] if args.scheme == "both" else [args.scheme])
    kinds: dict = {}
    for p in paths:
        kinds[page_kind(p)] = kinds.get(page_kind(p), 0) + 1
    print("pages: " + ", ".join(f"{n} {k}" for k, n in sorted(kinds.items())))
    print(f"axe-core on {len(paths)} page(s) ({schemes}), {time.monotonic() - t0:.0f} s: "
          f"{sum(len(p) for p in report.values())} page(s) with serious or critical violations")
    for name, r in sorted(rules.items()):
        print(f"  {name}: {r['pages']} page(s), {r['nodes']} element(s); e.g. {r['example']}")
    return 1 if report else 0


if __name__ == "__main__":
    raise SystemExit(main())
