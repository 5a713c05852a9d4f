"""Run a command and measure it: wall seconds, peak RSS of the largest process (wait4) and of the whole tree."""

from __future__ import annotations

import os
import subprocess
import threading
import time
from pathlib import Path


def _tree_rss_kib(root: int) -> int:
    """Sum of VmRSS over `root` and its descendants, read from /proc."""
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    for d in Path("/proc").iterdir():
        if not d.name.isdigit():
            continue
        try:
            status = (d / "status").read_text()
        except OSError:
            continue
        fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
        pid, ppid = int(d.name), int(fields.get("PPid", "0").strip() or 0)
        children.setdefault(ppid, []).append(pid)
        rss[pid] = int(fields.get("VmRSS", "0 kB").split()[0]) if "VmRSS" in fields else 0
    total, todo = 0, [root]
    while todo:
        p = todo.pop()
        total += rss.get(p, 0)
        todo += children.get(p, [])
    return total


def measure(cmd: list[str], cwd: Path | None = None, env: dict | None = None, check: bool = True) -> dict:
    """seconds, largest_mib (max RSS of any one process of the tree), total_mib (max of the tree's summed RSS)."""
    import tempfile
    with tempfile.TemporaryFile("w+") as fo, tempfile.TemporaryFile("w+") as fe:
        t0 = time.perf_counter()
        proc = subprocess.Popen(cmd, cwd=cwd, env={**os.environ, **(env or {})}, stdout=fo, stderr=fe, text=True)
        peak = [0]
        done = threading.Event()

        def poll():
            while not done.is_set():
                try:
                    peak[0] = max(peak[0], _tree_rss_kib(proc.pid))
                except Exception:  # a process vanishing mid-read
                    pass
                done.wait(0.25)

        th = threading.Thread(target=poll, daemon=True)
        th.start()
        # wait4 gives this child's rusage; its ru_maxrss is the largest RSS of it or any descendant it reaped
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - t0
        done.set()
        th.join()
        proc.returncode = os.waitstatus_to_exitcode(status)
        fo.seek(0)
        fe.seek(0)
        out, err = fo.read(), fe.read()
    largest = usage.ru_maxrss
    if check and proc.returncode != 0:
        raise RuntimeError(f"{' '.join(map(str, cmd))} failed ({proc.returncode}):\n{err[-3000:]}")
    return {"seconds": seconds, "largest_mib": largest / 1024, "total_mib": peak[0] / 1024, "stdout": out,
            "stderr": err, "rc": proc.returncode}
