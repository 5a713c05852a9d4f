"""Sandboxed workers driven from the pipeline: one request at a time per worker, replies matched by id."""

from __future__ import annotations

import itertools
import os
import signal
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from . import sandbox_kind, worker_command
from .frames import FrameError, read_frame, write_frame

STARTUP_TIMEOUT = 180.0  # importing torch on a cold, busy machine
REPLY_MARGIN = 30.0  # the worker enforces the task's limits; this only catches a wedged worker


class WorkerStartFailed(RuntimeError):
    """A sandboxed worker did not come up (bwrap refused, the interpreter is not reachable inside, ...)."""


@dataclass
class TaskOutcome:
    status: str  # "reply", "crash" (the worker itself died or broke the protocol)
    reply: dict | None
    seconds: float
    peak_rss_mb: float
    stderr_tail: str = ""


class Worker:
    """One sandboxed worker process, started on first use, restarted after it dies."""

    _ids = itertools.count(1)

    def __init__(self, checks_dir: str, read_only: list[Path], strong: bool, spawner=None):
        self.spawner = spawner
        self.checks_dir = checks_dir
        self.read_only = read_only
        self.strong = strong
        self.proc = None
        self.req_w = self.rep_r = None
        self.tmp = None
        self.stderr_lines: list[str] = []

    def _start(self):
        self.tmp = tempfile.mkdtemp(prefix="dl500-worker-")
        req_r, self.req_w = os.pipe()
        self.rep_r, rep_w = os.pipe()
        argv, env, cwd = worker_command(Path(self.checks_dir), self.read_only, req_r, rep_w, self.strong, self.tmp)
        def popen():
            return subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                    stderr=subprocess.PIPE, env=env, cwd=cwd, pass_fds=(req_r, rep_w),
                                    start_new_session=True)
        try:
            # The worker dies with the thread that started it (bwrap --die-with-parent is a parent-death
            # signal, which Linux ties to the thread): start it from the pool's long-lived spawner thread.
            self.proc = self.spawner.submit(popen).result() if self.spawner else popen()
        finally:
            os.close(req_r)
            os.close(rep_w)
        self.stderr_lines = []
        threading.Thread(target=self._drain_stderr, args=(self.proc,), daemon=True).start()
        try:
            ready = read_frame(self.rep_r, STARTUP_TIMEOUT)
        except FrameError:
            ready = None
        if not ready or not ready.get("ready"):
            self.kill()
            time.sleep(0.05)
            raise WorkerStartFailed("".join(self.stderr_lines[-5:]).strip() or "it exited before saying it was ready")

    def _drain_stderr(self, proc):
        for raw in proc.stderr:
            self.stderr_lines.append(raw.decode("utf-8", "replace")[:500])
            del self.stderr_lines[:-40]

    def run(self, request: dict, limits: dict) -> TaskOutcome:
        if self.proc is None or self.proc.poll() is not None:
            self._start()
        task_id = next(self._ids)
        start = time.monotonic()
        wall = 20 * float(limits.get("cpu", 10)) + 30 + REPLY_MARGIN
        try:
            write_frame(self.req_w, {**request, "id": task_id, "limits": limits})
            reply = read_frame(self.rep_r, wall)
        except (FrameError, OSError) as e:
            return self._crashed(start, str(e))
        if reply is None:
            return self._crashed(start, "the worker exited")
        if reply.get("id") != task_id:
            # A reply to another request: the protocol is broken, so nothing from this worker is believed.
            return self._crashed(start, f"a reply for task {reply.get('id')!r} came back for task {task_id}")
        return TaskOutcome("reply", reply, time.monotonic() - start, float(reply.get("peak_rss_mb") or 0))

    def _crashed(self, start, why: str) -> TaskOutcome:
        code = self.proc.poll() if self.proc else None
        self.kill()
        tail = "".join(self.stderr_lines[-8:])
        return TaskOutcome("crash", {"returncode": code, "why": why}, time.monotonic() - start, 0.0, tail)

    def kill(self):
        if self.proc is not None:
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
            self.proc.wait()
        self._close_pipes()
        self.proc = None

    def _close_pipes(self):
        for fd in (self.req_w, self.rep_r):
            if fd is not None:
                try:
                    os.close(fd)
                except OSError:
                    pass
        self.req_w = self.rep_r = None
        if self.tmp:
            import shutil
            shutil.rmtree(self.tmp, ignore_errors=True)
            self.tmp = None

    def close(self):
        if self.proc is not None and self.proc.poll() is None:
            try:
                write_frame(self.req_w, {"kind": "exit"})
                self.proc.wait(timeout=5)
            except (OSError, subprocess.TimeoutExpired):
                pass
        self.kill()


class Pool:
    """N workers; `map` runs requests in parallel threads, each thread driving one worker."""

    def __init__(self, checks_dir: str, read_only: list[Path], jobs: int, strong: bool | None = None):
        from concurrent.futures import ThreadPoolExecutor
        strong = sandbox_kind().strong if strong is None else strong
        self.spawner = ThreadPoolExecutor(max_workers=1, thread_name_prefix="dl500-spawner")
        self.workers = [Worker(checks_dir, read_only, strong, self.spawner) for _ in range(max(1, jobs))]
        self.free = list(self.workers)
        self.lock = threading.Condition()

    def run(self, request, limits) -> TaskOutcome:
        with self.lock:
            while not self.free:
                self.lock.wait()
            w = self.free.pop()
        try:
            return w.run(request, limits)
        finally:
            with self.lock:
                self.free.append(w)
                self.lock.notify()

    def map(self, items, make_request, limits_of, on_done=None):
        from concurrent.futures import ThreadPoolExecutor
        results = [None] * len(items)

        def one(i):
            results[i] = self.run(make_request(items[i]), limits_of(items[i]))
            if on_done:
                on_done(items[i], results[i])

        with ThreadPoolExecutor(max_workers=len(self.workers)) as ex:
            list(ex.map(one, range(len(items))))
        return results

    def close(self):
        for w in self.workers:
            w.close()
        self.spawner.shutdown()
