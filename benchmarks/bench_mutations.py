"""Run thousands of seeded mutations of a fixture book through `dl500 check`; report tracebacks, hangs, the slowest.

    python benchmarks/bench_mutations.py [--runs 10000] [--seed 0] [--timeout 30] [--jobs 2] [--max-steps 3]
                                         [--book PROJECT]   # default: tests/fixtures/minimal
    python benchmarks/bench_mutations.py --replay N     # run mutation N again in this process, traceback shown

Each run is a fork of this process (the pipeline already imported): it copies the book to a temporary folder,
applies 1..max-steps mutators of tests/test_mutations.py with seeds drawn from Random(seed, run), and calls the
CLI's `check --no-claims` in-process. A run that raises is a traceback; one that outlives --timeout is killed and
counted as a hang; any exit code other than 0, 1 or 2 is reported. Times are relative to the clean book's check,
measured in the same run.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import sys
import tempfile
import time
import traceback
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE.parent), str(HERE.parent / "tests")]

from test_mutations import FIXTURE, MUTATORS, apply_mutations, check_in_process, make_book  # noqa: E402


def steps_for(seed: int, run: int, max_steps: int) -> list:
    rng = random.Random(f"{seed}:{run}")
    names = sorted(MUTATORS)
    return [(rng.choice(names), rng.getrandbits(32)) for _ in range(rng.randint(1, max_steps))]


def run_child(steps, result_path: str, project: Path) -> None:
    """In the forked child: mutate a fresh copy, check it, leave the outcome in result_path, exit."""
    code = 70
    try:
        with tempfile.TemporaryDirectory() as tmp:
            root = make_book(Path(tmp), project)
            apply_mutations(root, steps)
            rc = check_in_process(root)
            outcome = {"rc": rc}
            code = 0
    except BaseException as e:  # noqa: B036 - the point is to catch everything the pipeline lets escape
        outcome = {"traceback": traceback.format_exc(), "error": f"{type(e).__name__}: {str(e)[:200]}"}
    with open(result_path, "w") as f:
        json.dump(outcome, f)
    os._exit(code)


def start(run: int, steps, tmpdir: str, project: Path):
    path = os.path.join(tmpdir, f"{run}.json")
    pid = os.fork()
    if pid == 0:
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        run_child(steps, path, project)
    return pid, path, time.monotonic()


def bench(args) -> dict:
    t0 = time.monotonic()
    # a checked copy of the book: the imports and caches the children inherit are warm, and each run's copy has
    # the front-matter cache a repeated check has (what a mutation changes misses it)
    template_dir = tempfile.TemporaryDirectory()
    args.book = make_book(Path(template_dir.name), args.book)
    check_in_process(args.book)
    baseline = min(_timed_clean_check(args.book) for _ in range(3))
    results = {"rcs": Counter(), "tracebacks": [], "hangs": [], "odd_exit": [], "times": []}
    running: dict = {}
    next_run, last_report = args.first, time.monotonic()
    with tempfile.TemporaryDirectory() as tmpdir:
        while next_run < args.runs or running:
            if args.budget and time.monotonic() - t0 > args.budget:
                args.runs = next_run  # start no more; finish those running
            while next_run < args.runs and len(running) < args.jobs:
                steps = steps_for(args.seed, next_run, args.max_steps)
                running[next_run] = (*start(next_run, steps, tmpdir, args.book), steps)
                next_run += 1
            time.sleep(0.002)
            for run, (pid, path, began, steps) in list(running.items()):
                done, status = os.waitpid(pid, os.WNOHANG)
                elapsed = time.monotonic() - began
                if done == 0:
                    if elapsed > args.timeout:
                        os.kill(pid, signal.SIGKILL)
                        os.waitpid(pid, 0)
                        results["hangs"].append((run, steps, elapsed))
                        del running[run]
                    continue
                del running[run]
                results["times"].append((elapsed, run, steps))
                _record(results, run, steps, path, status)
            if args.progress and time.monotonic() - last_report > 60:
                last_report = time.monotonic()
                print(f"  {next_run} runs started, {last_report - t0:.0f} s", file=sys.stderr, flush=True)
    results["baseline"] = baseline
    results["wall"] = time.monotonic() - t0
    template_dir.cleanup()
    return results


def _timed_clean_check(project: Path) -> float:
    with tempfile.TemporaryDirectory() as tmp:
        root = make_book(Path(tmp), project)
        t = time.perf_counter()
        check_in_process(root)
        return time.perf_counter() - t


def _record(results, run, steps, path, status) -> None:
    try:
        with open(path) as f:
            outcome = json.load(f)
        os.unlink(path)
    except (OSError, ValueError):
        outcome = {"error": f"child died (wait status {status}) without a result", "traceback": ""}
    if "rc" in outcome:
        results["rcs"][outcome["rc"]] += 1
        if outcome["rc"] not in (0, 1, 2):
            results["odd_exit"].append((run, steps, outcome["rc"]))
    else:
        results["tracebacks"].append((run, steps, outcome["error"], outcome["traceback"]))


def report(results, args) -> str:
    n = sum(results["rcs"].values()) + len(results["tracebacks"]) + len(results["hangs"])
    lines = [f"{n} seeded mutations of {args.book_name}/source (runs {args.first}-{args.first + n - 1} of seed {args.seed}, "
             f"1-{args.max_steps} steps each, {args.jobs} jobs) "
             f"in {results['wall']:.0f} s; clean-book check {results['baseline'] * 1000:.0f} ms",
             f"exit codes: {dict(sorted(results['rcs'].items()))}",
             f"tracebacks: {len(results['tracebacks'])}, hangs (>{args.timeout} s): {len(results['hangs'])}, "
             f"other exit codes: {len(results['odd_exit'])}"]
    by_error = Counter(err for _, _, err, _ in results["tracebacks"])
    for err, count in by_error.most_common():
        run, steps, _, tb = next(t for t in results["tracebacks"] if t[2] == err)
        lines += [f"  {count}x {err}", f"     first: run {run} {steps}", "     " + tb.strip().split("\n")[-3].strip()]
    for run, steps, elapsed in results["hangs"]:
        lines.append(f"  hang: run {run} {steps} ({elapsed:.0f} s)")
    for elapsed, run, steps in sorted(results["times"], reverse=True)[:args.slowest]:
        lines.append(f"  slow: {elapsed:.2f} s ({elapsed / results['baseline']:.0f}x the clean book) run {run} {steps}")
    return "\n".join(lines)


def replay(args) -> int:
    steps = steps_for(args.seed, args.replay, args.max_steps)
    print(f"run {args.replay}: {steps}", file=sys.stderr)
    with tempfile.TemporaryDirectory() as tmp:
        root = make_book(Path(tmp), args.book)
        apply_mutations(root, steps)
        t = time.perf_counter()
        from pipeline.cli import main
        rc = main(["check", str(root), "--no-claims"])
        print(f"exit {rc} in {time.perf_counter() - t:.2f} s", file=sys.stderr)
    return 0


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--runs", type=int, default=10_000, help="run numbers --first .. --runs - 1")
    p.add_argument("--first", type=int, default=0, help="first run number (to continue an interrupted series)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--timeout", type=float, default=30.0)
    p.add_argument("--jobs", type=int, default=2)
    p.add_argument("--max-steps", type=int, default=3)
    p.add_argument("--book", type=Path, default=FIXTURE, help="project folder whose source/ is mutated")
    p.add_argument("--slowest", type=int, default=3)
    p.add_argument("--budget", type=float, default=0, help="start no new run after this many seconds")
    p.add_argument("--progress", action="store_true")
    p.add_argument("--replay", type=int, help="run mutation N again in this process")
    args = p.parse_args()
    args.book_name = args.book.resolve().name
    if args.replay is not None:
        return replay(args)
    results = bench(args)
    print(report(results, args))
    return 1 if results["tracebacks"] or results["hangs"] or results["odd_exit"] else 0


if __name__ == "__main__":
    sys.exit(main())
