"""Benchmark `dl500 import` on a synthetic full-size legacy repository: time and peak memory.

Targets: under 10 s and under 1 GiB. The baseline, measured in the same run, is the floor any importer pays:
read every Markdown file and copy every image.

    python benchmarks/bench_import.py [--keep DIR]
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from gen_legacy import generate  # noqa: E402

CHILD = r"""
import json, resource, sys, time
from pathlib import Path
t0 = time.perf_counter()
if sys.argv[1] == "import":
    from pipeline.importer import import_legacy
    report = import_legacy(Path(sys.argv[2]), Path(sys.argv[3]))
    extra = {"questions": report.summary["questions"], "defects": report.summary["defects"]}
else:
    import shutil
    n = 0
    for p in sorted(Path(sys.argv[2]).rglob("*")):
        if p.suffix == ".md":
            n += len(p.read_bytes())
        elif p.suffix == ".png":
            dest = Path(sys.argv[3]) / p.relative_to(sys.argv[2])
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(p, dest)
    extra = {"markdown_bytes": n}
seconds = time.perf_counter() - t0
peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"seconds": seconds, "peak_mib": peak_kib / 1024, **extra}))
"""


def run_child(mode: str, legacy: Path, out: Path) -> dict:
    res = subprocess.run([sys.executable, "-c", CHILD, mode, str(legacy), str(out)], capture_output=True,
                         text=True, cwd=Path(__file__).resolve().parent.parent, check=True)
    return json.loads(res.stdout.strip().splitlines()[-1])


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--keep", help="generate into this folder and keep it")
    args = ap.parse_args()
    work = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="dl500-bench-"))
    try:
        legacy = work / "legacy"
        if legacy.exists():
            shutil.rmtree(legacy)
        info = generate(legacy)
        print(f"synthetic legacy: {info['chapters']} chapters, {info['questions']} questions, "
              f"{info['markdown_bytes'] / 1e6:.2f} MB Markdown, {info['images']} images")
        base = run_child("baseline", legacy, work / "baseline")
        imp = run_child("import", legacy, work / "out")
        ratio = imp["seconds"] / base["seconds"] if base["seconds"] else float("inf")
        print(f"baseline (read Markdown, copy images): {base['seconds']:.2f} s, peak RSS {base['peak_mib']:.0f} MiB")
        print(f"import: {imp['seconds']:.2f} s ({ratio:.1f}x baseline), peak RSS {imp['peak_mib']:.0f} MiB, "
              f"{imp['questions']} questions, {imp['defects']} defects reported")
        ok = imp["seconds"] < 10 and imp["peak_mib"] < 1024
        print("targets (< 10 s, < 1 GiB):", "met" if ok else "MISSED")
        return 0 if ok else 1
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    raise SystemExit(main())
