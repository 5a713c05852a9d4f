"""All the PDF work of a build in one pool of `--jobs` fresh workers: every edition's parts, then each edition's
page-number templates as soon as its last part is laid out, then its join, each in a worker of its own.

Why one pool and a worker per join: the join of a tagged edition (the parts' structure trees merged, ~140,000
elements for the real book) took 20–50 s and ~1 GiB in the build process, one edition after the other, after the
pool had finished. In the pool the two editions' joins run side by side, an edition's templates and join start while
the other edition is still being laid out, and their memory goes back when their worker ends. The build process
only schedules: it holds the parts' bytes and layouts, never a parsed PDF.

Order: a ready join first, then ready templates, then the longest part still to lay out (all editions together), so
the last task to finish is short and every worker stays busy to the end. Tasks are handed to the pool one at a time
as workers free up (a pool's own queue is first in, first out: a join queued behind every part would wait for them).
"""

from __future__ import annotations

import dataclasses
import time
from pathlib import Path
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait

from ..lifeline import die_with_parent, forkserver_context


@dataclasses.dataclass
class Task:
    """One unit of work: `kind` is "layout", "stamp" (an edition's templates) or "join"; `fn(args)` runs it (in a worker when jobs > 1)."""
    kind: str
    plan: object  # parts.EditionPlan
    name: str  # the part, or "" for a join
    fn: object
    args: tuple


PRIORITY = {"join": 0, "stamp": 1, "layout": 2}


def run_tasks(batches, jobs: int, on_done) -> None:
    """Run the tasks of every batch `batches` yields, and whatever `on_done(task, result)` returns (new tasks that
    became ready), `jobs` at a time. The next batch is asked for as soon as the tasks ready so far are handed out,
    so making it (an edition's plan) overlaps the workers' layouts.

    With jobs ≤ 1 everything runs in this process, all batches first, in the same order (the single-process path
    and its tests)."""
    if jobs <= 1:
        ready = [task for batch in batches for task in batch]
        while ready:
            task = _take(ready)
            ready += on_done(task, task.fn(task.args)) or []
        return
    batches = iter(batches)
    # forkserver with WeasyPrint preloaded: each task gets a fresh process (its own peak RSS, memory given back)
    # that starts in milliseconds instead of re-importing WeasyPrint. Server and workers die with the build.
    with ProcessPoolExecutor(max_workers=jobs, mp_context=forkserver_context(), max_tasks_per_child=1,
                             initializer=die_with_parent) as ex:
        ready, running, more = [], {}, True
        while ready or running or more:
            while ready and len(running) < jobs:
                task = _take(ready)
                running[ex.submit(task.fn, task.args)] = task
            if more:
                batch = next(batches, None)
                more = batch is not None
                ready += batch or []
                continue
            done, _ = wait(running, return_when=FIRST_COMPLETED)
            for f in done:
                task = running.pop(f)
                ready += on_done(task, f.result()) or []


def _take(ready: list) -> Task:
    """The next task: joins, then templates, then the longest layout (its HTML's length stands for its work)."""
    best = min(range(len(ready)), key=lambda i: (PRIORITY[ready[i].kind], -len(ready[i].args[0])
                                                 if ready[i].kind == "layout" else 0))
    return ready.pop(best)


def peak_mib() -> float:
    import resource
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


_HELD: list = []  # a join worker's documents, left for its exit to free (join_job)


def join_job(args):
    """In a worker: the parts joined (pdf.join) and written to the edition's target. Returns (its size, seconds, peak
    MiB of this process). The parts this build did not lay out are read here from the cache (not pickled to the
    worker through the pool's pipe), and the joined file is written here (not sent back). In a pool's worker,
    which ends after this one task (max_tasks_per_child=1, and multiprocessing leaves through os._exit), the
    ~100,000 qpdf objects of the real book's parts are not freed one by one: 0.18 s of every join."""
    import multiprocessing

    from ..output import atomic_write
    from .join import join_parts
    from .partcache import PartCache
    pdfs, folder, parts, layout, starts, stamps, recto, lang, root, target = args
    t0 = time.monotonic()
    cache = PartCache(Path(folder))
    named = []
    for name, data, key in pdfs:
        data = data if data is not None else cache.pdfs.get_bytes(key)
        if data is None:
            raise RuntimeError(f"dl500: the cached PDF of part '{name}' went missing during the build ({folder}); "
                               "build again")
        named.append((name, data))
    keep = _HELD if multiprocessing.parent_process() is not None else None
    data = join_parts(named, parts, layout, starts, stamps=stamps, recto=recto, lang=lang, root=Path(root), keep=keep)
    atomic_write(Path(target), data)
    return len(data), time.monotonic() - t0, peak_mib()
