"""Run Ace by DAISY on EPUBs and fail on any serious or critical violation (issue 20; tox -e ace).

Usage: python scripts/ace_gate.py --ace PATH/TO/ace-puppeteer EPUB... (PUPPETEER_EXECUTABLE_PATH names Chromium).
Prints one line per EPUB with the counts by impact, then every serious/critical rule with its count.
"""

from __future__ import annotations

import argparse
import collections
import json
import subprocess
import sys
import tempfile
from pathlib import Path

BLOCKING = ("critical", "serious")


def violations(report: dict) -> collections.Counter:
    """(impact, rule) → number of failed checks in an Ace report.json."""
    found: collections.Counter = collections.Counter()
    for doc in report.get("assertions", []):
        for a in doc.get("assertions", []):
            if a.get("earl:result", {}).get("earl:outcome") == "fail":
                test = a.get("earl:test", {})
                found[(test.get("earl:impact", "unknown"), test.get("dct:title", "?"))] += 1
    return found


def run_ace(ace: str, epub: Path, timeout_s: int) -> dict:
    with tempfile.TemporaryDirectory(prefix="ace-") as out:
        subprocess.run([ace, "--silent", "--force", "--outdir", out, str(epub)], check=True, timeout=timeout_s,
                       stdout=subprocess.DEVNULL)
        return json.loads((Path(out) / "report.json").read_text("utf-8"))


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--ace", required=True)
    ap.add_argument("--timeout", type=int, default=1200)
    ap.add_argument("epubs", nargs="+", type=Path)
    args = ap.parse_args(argv)
    failed = False
    for epub in args.epubs:
        found = violations(run_ace(args.ace, epub, args.timeout))
        by_impact = collections.Counter()
        for (impact, _), n in found.items():
            by_impact[impact] += n
        print(f"{epub}: " + ", ".join(f"{k} {by_impact.get(k, 0)}" for k in ("critical", "serious", "moderate",
                                                                             "minor")))
        for (impact, rule), n in sorted(found.items()):
            print(f"  {impact:9} {n:5}  {rule}")
            failed |= impact in BLOCKING
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
