"""Run every claim on CPU and CUDA and write what a maintainer reports after a GPU run.

usage: python scripts/gpu_claims.py [BOOK] [--jobs N] [--out FILE]

The same run as `dl500 claims --device all --require cuda` (sandboxed where bubblewrap works), plus a JSON file
with every check's value on each device, the CUDA-only checks and the slowest ones, so the figures of a run on a
machine with a GPU can be kept and compared. Exit status: 0 all passed, 1 a claim failed, 2 no GPU.
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pipeline.claims import run_claims  # noqa: E402
from pipeline.load import load_book  # noqa: E402


def gpu_name() -> str:
    try:
        import torch
        return torch.cuda.get_device_name(0) if torch.cuda.is_available() else ""
    except Exception:
        return ""


def line(d) -> str:
    return f"{d.file}:{d.line}:{d.col}: {d.severity} {d.code}: {d.message}"


def report(res) -> dict:
    by_dev = {dev: Counter(r["status"] for r in res.records if r["device"] == dev) for dev in ("cpu", "cuda")}
    values = {}
    for r in res.records:
        values.setdefault(r["check"], {})[r["device"]] = {k: r[k] for k in ("status", "value", "seconds",
                                                                             "peak_rss_mb")}
    cuda_only = sorted(name for name, v in values.items()
                       if v.get("cuda", {}).get("status") == "ok" and v.get("cpu", {}).get("status") != "ok")
    slowest = sorted((r for r in res.records if r["device"] == "cuda" and r.get("seconds")),
                     key=lambda r: -r["seconds"])[:10]
    return {"summary": res.summary(), "sandbox": res.sandbox, "statuses": {d: dict(c) for d, c in by_dev.items()},
            "errors": [line(d) for d in res.diagnostics if d.severity == "error"],
            "cpu_cuda_mismatches": [line(d) for d in res.diagnostics if d.code == "DL708"],
            "cuda_only": {name: values[name]["cuda"]["value"] for name in cuda_only},
            "slowest_cuda": [(r["check"], r["seconds"]) for r in slowest], "values": values,
            "machine": {"gpu": gpu_name(), "python": platform.python_version()}}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("book", nargs="?", default="source")
    ap.add_argument("--jobs", type=int, default=0)
    ap.add_argument("--out", default="build/gpu-claims.json")
    args = ap.parse_args(argv)
    book, _ = load_book(Path(args.book))
    res = run_claims(book, device="all", jobs=args.jobs, require_cuda=True, quiet=True)
    out = report(res)
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(out, indent=1, ensure_ascii=False, default=str))
    print(out["summary"])
    print("GPU:", out["machine"]["gpu"] or "none", "| statuses:", json.dumps(out["statuses"]))
    print("CPU/CUDA mismatches:", len(out["cpu_cuda_mismatches"]), "| CUDA-only checks:", len(out["cuda_only"]))
    for d in out["errors"][:30]:
        print(d, file=sys.stderr)
    if not out["machine"]["gpu"]:
        return 2
    return 1 if out["errors"] else 0


if __name__ == "__main__":
    sys.exit(main())
