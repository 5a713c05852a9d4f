"""Benchmark `dl500 claims` on the real source/: cold (empty caches), warm (result cache, no run memo), no-op.

source/ and checks/ are copied to a temporary folder first, so the caches start empty and the repository's own
cache is left alone.

    python benchmarks/bench_claims.py [--device cpu]
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))
from _measure import measure  # noqa: E402

DL500 = [sys.executable, "-m", "pipeline"]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--device", default="cpu", choices=["cpu", "cuda", "all"])
    ap.add_argument("--jobs", type=int, default=0)
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="dl500-bench-claims-"))
    try:
        shutil.copytree(REPO / "source", work / "source", ignore=shutil.ignore_patterns("__pycache__"))
        shutil.copytree(REPO / "checks", work / "checks", ignore=shutil.ignore_patterns("__pycache__"))
        cmd = [*DL500, "claims", str(work), "--device", args.device]
        if args.jobs:
            cmd += ["--jobs", str(args.jobs)]
        floor = measure([sys.executable, "-c", "import torch, numpy"])
        cold = measure(cmd, cwd=REPO, check=False)
        (work / ".dl500-cache" / "claims-run.json").unlink(missing_ok=True)
        warm = measure(cmd, cwd=REPO, check=False)   # every result from the cache, the text compared again
        noop = measure(cmd, cwd=REPO, check=False)   # nothing changed: the run memo answers
        print(f"{'':38}{'seconds':>10}{'peak MiB':>10}{'all MiB':>9}{'rc':>4}")
        for name, r in (("floor (python + import torch)", floor), ("dl500 claims, cold", cold),
                        ("dl500 claims, warm (result cache)", warm), ("dl500 claims, no-op (run memo)", noop)):
            print(f"{name:38}{r['seconds']:10.2f}{r['largest_mib']:10.0f}{r['total_mib']:9.0f}{r['rc']:4}")
        tail = (cold["stdout"] + cold["stderr"]).strip().splitlines()
        print("cold run said:", tail[-1] if tail else "")
        print(f"BENCH claims_cold_s={cold['seconds']:.2f}")
        print(f"BENCH claims_warm_s={warm['seconds']:.2f}")
        print(f"BENCH claims_noop_s={noop['seconds']:.3f}")
        print(f"BENCH claims_noop_vs_floor={noop['seconds'] / floor['seconds']:.2f}")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
