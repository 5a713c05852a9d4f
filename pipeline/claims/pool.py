"""Worker processes with a time limit and a memory limit per task; a dead or killed worker is replaced."""

from __future__ import annotations

import json
import os
import selectors
import subprocess
import sys
import threading
import time
from dataclasses import dataclass


STARTUP_TIMEOUT = 180.0  # importing torch on a cold, busy machine


@dataclass
class TaskOutcome:
    status: str  # "reply", "timeout", "memory", "crash"
    reply: dict | None
    seconds: float
    peak_rss_mb: float
    stderr_tail: str = ""


def rss_mb(pid: int) -> float:
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


class Worker:
    """One `python -m pipeline.claims.worker` process, started on first use."""

    def __init__(self, project: str, checks_dir: str):
        self.project = project
        self.checks_dir = checks_dir
        self.proc = None
        self.stderr_lines: list[str] = []

    def _start(self):
        env = dict(os.environ, PYTHONHASHSEED="0", PYTHONDONTWRITEBYTECODE="1")
        # Each worker uses one thread for torch: parallelism comes from the pool, and results stay repeatable.
        env.setdefault("OMP_NUM_THREADS", "1")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "pipeline.claims.worker", self.project, self.checks_dir],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
            cwd=self.project, bufsize=1)
        self.stderr_lines = []
        threading.Thread(target=self._drain_stderr, args=(self.proc,), daemon=True).start()
        sel = selectors.DefaultSelector()
        sel.register(self.proc.stdout, selectors.EVENT_READ)
        ready = sel.select(timeout=STARTUP_TIMEOUT)
        sel.close()
        if not ready or not self.proc.stdout.readline():
            self.kill()
            raise RuntimeError("a claims worker did not start: " + "".join(self.stderr_lines[-5:]))

    def _drain_stderr(self, proc):
        for line in proc.stderr:
            self.stderr_lines.append(line)
            del self.stderr_lines[:-40]

    def run(self, request: dict, timeout: float, memory_mb: float) -> TaskOutcome:
        if self.proc is None or self.proc.poll() is not None:
            self._start()
        start = time.monotonic()
        peak = 0.0
        try:
            self.proc.stdin.write(json.dumps(request) + "\n")
            self.proc.stdin.flush()
        except BrokenPipeError:
            return self._crashed(start, peak)
        sel = selectors.DefaultSelector()
        sel.register(self.proc.stdout, selectors.EVENT_READ)
        try:
            while True:
                elapsed = time.monotonic() - start
                if elapsed > timeout:
                    self.kill()
                    return TaskOutcome("timeout", None, elapsed, peak)
                if sel.select(timeout=0.05):
                    line = self.proc.stdout.readline()
                    if not line:
                        return self._crashed(start, peak)
                    return TaskOutcome("reply", json.loads(line), time.monotonic() - start, max(peak, rss_mb(
                        self.proc.pid)))
                peak = max(peak, rss_mb(self.proc.pid))
                if peak > memory_mb:
                    self.kill()
                    return TaskOutcome("memory", None, time.monotonic() - start, peak)
                if self.proc.poll() is not None:
                    return self._crashed(start, peak)
        finally:
            sel.close()

    def _crashed(self, start, peak) -> TaskOutcome:
        if self.proc is not None:
            try:
                self.proc.wait(timeout=2)
            except subprocess.TimeoutExpired:
                self.kill()
        time.sleep(0.05)
        tail = "".join(self.stderr_lines[-8:])
        code = self.proc.returncode if self.proc else None
        self.proc = None
        return TaskOutcome("crash", {"returncode": code}, time.monotonic() - start, peak, tail)

    def kill(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self.proc = None

    def close(self):
        if self.proc is not None and self.proc.poll() is None:
            try:
                self.proc.stdin.write(json.dumps({"kind": "exit"}) + "\n")
                self.proc.stdin.flush()
                self.proc.wait(timeout=5)
            except (BrokenPipeError, subprocess.TimeoutExpired, OSError):
                self.kill()
        self.proc = None


class Pool:
    """N workers; `map` runs requests in parallel threads, each thread driving one worker."""

    def __init__(self, project: str, checks_dir: str, jobs: int):
        self.workers = [Worker(project, checks_dir) for _ in range(max(1, jobs))]
        self.free = list(self.workers)
        self.lock = threading.Condition()

    def run(self, request, timeout, memory_mb) -> TaskOutcome:
        with self.lock:
            while not self.free:
                self.lock.wait()
            w = self.free.pop()
        try:
            return w.run(request, timeout, memory_mb)
        finally:
            with self.lock:
                self.free.append(w)
                self.lock.notify()

    def map(self, items, make_request, timeout_of, memory_mb, on_done=None):
        from concurrent.futures import ThreadPoolExecutor
        results = [None] * len(items)

        def one(i):
            results[i] = self.run(make_request(items[i]), timeout_of(items[i]), memory_mb)
            if on_done:
                on_done(items[i], results[i])

        with ThreadPoolExecutor(max_workers=len(self.workers)) as ex:
            list(ex.map(one, range(len(items))))
        return results

    def close(self):
        for w in self.workers:
            w.close()
