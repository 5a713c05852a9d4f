"""Benchmark `dl500 check --no-claims` on the synthetic full-size book: seconds and peak RSS (target well under 5 s).

The baseline, measured in the same run, is the floor any checker pays: start Python and read every source file.

    python benchmarks/bench_check.py [--questions 500] [--keep DIR]
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from _measure import measure  # noqa: E402
from gen_book import generate  # noqa: E402

DL500 = [sys.executable, "-m", "pipeline"]
FLOOR = "import pathlib, sys; n = sum(len(p.read_bytes()) for p in pathlib.Path(sys.argv[1]).rglob('*.md')); print(n)"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--questions", type=int, default=500)
    ap.add_argument("--keep", help="generate into this folder and keep it")
    ap.add_argument("--runs", type=int, default=3, help="take the best of this many runs")
    args = ap.parse_args()
    work = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="dl500-bench-check-"))
    try:
        counts = generate(work / "book", args.questions)
        book = work / "book"
        floor = min((measure([sys.executable, "-c", FLOOR, str(book / "source")]) for _ in range(args.runs)),
                    key=lambda r: r["seconds"])
        runs = [measure([*DL500, "check", "--no-claims", str(book)], cwd=HERE.parent, check=False)
                for _ in range(args.runs)]
        best = min(runs, key=lambda r: r["seconds"])
        print(f"synthetic book: {counts['questions']} questions, {counts['translated']} translated")
        print(f"{'':32}{'seconds':>10}{'peak MiB':>10}{'× floor':>9}")
        print(f"{'floor (python + read files)':32}{floor['seconds']:10.2f}{floor['largest_mib']:10.0f}{1:9.1f}")
        cold = runs[0]
        print(f"{'dl500 check, first run (cold)':32}{cold['seconds']:10.2f}{cold['largest_mib']:10.0f}"
              f"{cold['seconds'] / floor['seconds']:9.1f}")
        print(f"{'dl500 check, best warm run':32}{best['seconds']:10.2f}{best['largest_mib']:10.0f}"
              f"{best['seconds'] / floor['seconds']:9.1f}")
        print(f"last line: {best['stdout'].strip().splitlines()[-1] if best['stdout'].strip() else best['stderr'][-200:]}")
        verdict = "meets" if cold["seconds"] < 5 else "MISSES"
        print(f"target: under 5 s on the full book, cold -> {verdict} ({cold['seconds']:.2f} s, rc {cold['rc']})")
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
