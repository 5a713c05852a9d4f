"""The worker inside the sandbox: imports numpy/torch once, then forks one child per task under OS limits.

Run as `python -I -m pipeline.sandbox.worker CHECKS_DIR REQUEST_FD REPLY_FD`. Requests and replies are frames
(pipeline.sandbox.frames) on two pipes that only this process holds: every task child closes them before
contributor code runs, writes its own result on a fresh pipe, and can therefore forge nothing but its own
answer. The worker enforces CPU time, memory, open files, file size and stray processes, and reports
contributor code that tried to reach the network or write outside its temporary folder.
"""

from __future__ import annotations

import ctypes
import os
import resource
import select
import signal
import sys
import tempfile
import time

from .frames import FrameError, parse_frames, read_frame, write_frame
from .tasks import is_memory_error, run_task

PR_SET_PDEATHSIG, PR_SET_DUMPABLE, PR_SET_CHILD_SUBREAPER = 1, 4, 36
TICK = os.sysconf("SC_CLK_TCK")
FILE_LIMIT = 64 * 1024 * 1024  # bytes a task may write to any one file in its temporary folder
PRINT_LIMIT = 1024 * 1024  # bytes a task may write to its stdout and stderr together
OPEN_FILES = 256
IDLE_FRACTION = 0.05  # below this share of one core over the time limit, a task is hung (sleeping, blocked)


def prctl(option: int, value: int) -> None:
    try:
        ctypes.CDLL(None, use_errno=True).prctl(option, value, 0, 0, 0)
    except (OSError, AttributeError):
        pass


def proc_status(pid: int, field: str) -> int:
    """A field of /proc/PID/status in kB (0 if the process is gone)."""
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        pass
    return 0


def cpu_seconds(pid: int) -> float:
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / TICK
    except (OSError, ValueError, IndexError):
        return 0.0


def my_children() -> list[int]:
    """Processes whose parent is this worker (orphans land here: the worker is a child subreaper)."""
    me, out = os.getpid(), []
    for name in os.listdir("/proc"):
        if name.isdigit():
            try:
                with open(f"/proc/{name}/stat") as f:
                    if int(f.read().rsplit(")", 1)[1].split()[1]) == me:
                        out.append(int(name))
            except (OSError, ValueError, IndexError):
                pass
    return out


def kill_strays() -> int:
    """Kill and reap every process a task left behind; return how many there were."""
    count = 0
    for _ in range(50):
        kids = my_children()
        if not kids:
            break
        for pid in kids:
            try:
                os.kill(pid, signal.SIGKILL)
                count += 1
            except ProcessLookupError:
                pass
        for pid in kids:
            try:
                os.waitpid(pid, 0)
            except ChildProcessError:
                pass
    return count


class AuditLog:
    """Records what contributor code tried that the sandbox forbids; the OS is what actually refuses it."""

    def __init__(self, tmp: str):
        self.tmp = os.path.realpath(tmp)
        self.events: list[str] = []

    def hook(self, event, args):
        if len(self.events) >= 5:
            return
        if event == "socket.connect":
            self.events.append(f"opened a network connection to {args[1]!r}")
        elif event == "open" and len(args) >= 2 and _writes(args[1], args[2] if len(args) > 2 else 0):
            path = args[0]
            if isinstance(path, (str, bytes)) and not _inside(path, self.tmp):
                self.events.append(f"wrote to {os.fsdecode(path)!r}, outside its temporary folder")


def _writes(mode, flags) -> bool:
    if isinstance(mode, str):
        return any(c in mode for c in "wax+")
    return bool((flags or 0) & (os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_APPEND | os.O_TRUNC))


def _inside(path, folder: str) -> bool:
    if isinstance(path, int):
        return True
    real = os.path.realpath(os.fsdecode(path))
    return real == folder or real.startswith(folder + os.sep) or real.startswith("/dev/")


def set_limits(cpu_seconds_limit: float, address_space: int) -> None:
    soft = max(1, int(cpu_seconds_limit + 0.999))
    for res, value in ((resource.RLIMIT_CPU, (soft, soft + 1)), (resource.RLIMIT_AS, (address_space,) * 2),
                       (resource.RLIMIT_NOFILE, (OPEN_FILES,) * 2), (resource.RLIMIT_FSIZE, (FILE_LIMIT,) * 2),
                       (resource.RLIMIT_CORE, (0, 0))):
        try:
            resource.setrlimit(res, value)
        except (ValueError, OSError):
            pass


def address_space_for(req, address_space: int) -> int:
    """No address-space limit for a task that touches the GPU: the CUDA driver reserves far more virtual memory
    than it uses (unified addressing), and under RLIMIT_AS its initialisation fails. Host memory of such a task
    is still bounded by the supervisor's resident-size watch (`supervise`)."""
    if req.get("kind") == "probe" or req.get("device") == "cuda":
        return resource.RLIM_INFINITY
    return address_space


def child_main(req, checks_dir: str, result_w: int, log: int, keep: tuple, tmp: str, address_space: int) -> None:
    """In the forked child: drop the worker's pipes, take the limits, run the task, write one frame, exit."""
    os.setpgid(0, 0)
    for fd in keep:
        os.close(fd)
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.dup2(log, 1)
    os.dup2(log, 2)
    os.close(null)
    os.close(log)
    os.chdir(tmp)
    tempfile.tempdir = tmp
    os.environ["TMPDIR"] = tmp
    os.environ["MPLCONFIGDIR"] = tmp
    limits = req.get("limits", {})
    set_limits(float(limits.get("cpu", 10)), address_space_for(req, address_space))
    audit = AuditLog(os.path.dirname(tmp))
    sys.addaudithook(audit.hook)
    try:
        result = run_task(req, checks_dir)
    except BaseException as e:  # noqa: B036 - SystemExit or KeyboardInterrupt raised by contributor code
        result = {"status": "memory" if is_memory_error(e) else "error", "error": f"{type(e).__name__}: {e}"}
    result["violations"] = list(result.get("violations") or []) + audit.events
    try:
        write_frame(result_w, result)
    except (FrameError, OSError, TypeError, ValueError) as e:
        write_frame(result_w, {"status": "error", "error": f"the result could not be sent: {e}"[:500]})
    os._exit(0)


class Streams:
    """The task's result pipe (kept whole, up to a frame's size) and its stdout/stderr (counted, tail kept)."""

    def __init__(self, result_r: int, log_r: int):
        self.result_r, self.log_r = result_r, log_r
        self.data, self.log_tail, self.printed = bytearray(), b"", 0
        self.open = {result_r, log_r}

    def pump(self, timeout: float) -> None:
        if not self.open:
            time.sleep(timeout)
            return
        for fd in select.select(list(self.open), [], [], timeout)[0]:
            chunk = os.read(fd, 1 << 20)
            if not chunk:
                self.open.discard(fd)
            elif fd == self.result_r:
                self.data += chunk
            else:
                self.printed += len(chunk)
                self.log_tail = (self.log_tail + chunk)[-4000:]

    def over_limit(self) -> bool:
        return len(self.data) > 9 * 1024 * 1024 or self.printed > PRINT_LIMIT


def supervise(pid: int, streams: Streams, limits: dict, base_rss_kb: int) -> dict:
    """Wait for a task child under the limits; return the outcome fields the worker adds to its reply."""
    status, usage, peak, killed = watch_child(pid, streams, limits, base_rss_kb)
    strays = kill_strays()
    drain(streams)
    outcome = {"cpu_seconds": round(usage.ru_utime + usage.ru_stime, 3),
               "peak_rss_mb": round(max(peak, usage.ru_maxrss) / 1024, 1), "strays": strays}
    sig = os.WTERMSIG(status) if os.WIFSIGNALED(status) else None
    return killed_outcome(killed, sig, outcome) or reply_outcome(streams, status, sig, outcome)


def watch_child(pid: int, streams: Streams, limits: dict, base_rss_kb: int):
    """Pump the child's output until it exits, killing it at the first limit it breaks.
    Returns (wait status, rusage, peak RSS in KiB, why it was killed or None)."""
    cpu_limit = float(limits.get("cpu", 10))
    memory_kb = int(limits.get("memory_mb", 2048)) * 1024
    start = time.monotonic()
    peak, killed = 0, None
    cpu_marks = [(start, 0.0)]
    while True:
        streams.pump(0.02)
        if streams.over_limit() and killed is None:
            killed = "output"
            os.kill(pid, signal.SIGKILL)
        done, status, usage = os.wait4(pid, os.WNOHANG)
        if done:
            return status, usage, peak, killed
        now = time.monotonic()
        rss = proc_status(pid, "VmRSS")
        peak = max(peak, rss)
        cpu_marks.append((now, cpu_seconds(pid)))
        if killed is None:
            killed = broken_limit(rss - base_rss_kb, memory_kb, now - start, cpu_limit, cpu_marks)
        if killed:
            os.kill(pid, signal.SIGKILL)


def broken_limit(rss_kb: int, memory_kb: int, elapsed: float, cpu_limit: float, cpu_marks: list) -> str | None:
    """"memory", "timeout" or None; cpu_marks: (time, CPU seconds) samples, the last one taken now."""
    if rss_kb > memory_kb:
        return "memory"
    if elapsed > cpu_limit:
        # Idle hang: over the limit in wall time while using almost no CPU in the last window.
        now, cpu = cpu_marks[-1]
        window = [c for t, c in cpu_marks if t >= now - cpu_limit]
        if cpu - window[0] < IDLE_FRACTION * cpu_limit or elapsed > 20 * cpu_limit + 30:
            return "timeout"
    return None


def drain(streams: Streams, seconds: float = 2.0) -> None:
    """Read what the pipes still hold: every writer is gone now, so both reach their end."""
    deadline = time.monotonic() + seconds
    while streams.open and time.monotonic() < deadline and not streams.over_limit():
        streams.pump(0.05)


def killed_outcome(killed: str | None, sig: int | None, outcome: dict) -> dict | None:
    """The reply for a child stopped by a limit (ours or the kernel's rlimit signal); None otherwise."""
    if killed == "memory":
        return {**outcome, "status": "memory"}
    if killed == "timeout" or sig == signal.SIGXCPU:
        return {**outcome, "status": "timeout"}
    if killed == "output" or sig == signal.SIGXFSZ:
        return {**outcome, "status": "violation",
                "violations": [f"printed more than {PRINT_LIMIT // 1024} KiB, or wrote a file over the limit"]}
    return None


def reply_outcome(streams: Streams, status: int, sig: int | None, outcome: dict) -> dict:
    """The child's one result frame with the outcome fields, or why there was not exactly one."""
    try:
        frames = parse_frames(bytes(streams.data))
    except FrameError as e:
        return {**outcome, "status": "violation", "violations": [f"sent a malformed result ({e})"]}
    if len(frames) != 1 or not isinstance(frames[0], dict):
        if not frames:
            code = -sig if sig else os.WEXITSTATUS(status)
            return {**outcome, "status": "crash", "returncode": code}
        return {**outcome, "status": "violation", "violations": ["sent more than one result"]}
    result = frames[0]
    violations = [str(v) for v in result.get("violations") or []][:5]
    if outcome["strays"]:
        violations.append(f"left {outcome['strays']} process(es) running after it finished")
    result.update(outcome)
    if violations:
        result["violations"] = violations
        result["task_status"] = result.get("status")
        result["status"] = "violation"
    return result


def preload_matplotlib() -> None:
    """Import matplotlib and build its font list once in the worker, so each figure task forks with it ready."""
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot  # noqa: F401
        from matplotlib import font_manager  # noqa: F401
    except ImportError:
        pass


def run_one(req, checks_dir: str, keep: tuple, address_space: int, base_rss_kb: int) -> dict:
    if req.get("kind") == "figures" and "matplotlib.pyplot" not in sys.modules:
        preload_matplotlib()
    tmp = tempfile.mkdtemp(prefix="task-")
    result_r, result_w = os.pipe()
    log_r, log_w = os.pipe()
    pid = os.fork()
    if pid == 0:
        try:
            os.close(result_r)
            os.close(log_r)
            child_main(req, checks_dir, result_w, log_w, keep, tmp, address_space)
        finally:
            os._exit(70)
    os.close(result_w)
    os.close(log_w)
    streams = Streams(result_r, log_r)
    try:
        reply = supervise(pid, streams, req.get("limits", {}), base_rss_kb)
    finally:
        os.close(result_r)
        os.close(log_r)
    if reply.get("status") in ("crash", "violation", "timeout", "memory"):
        reply["stderr"] = streams.log_tail.decode("utf-8", "replace")[-600:]
    _remove_tree(tmp)
    return reply


def _remove_tree(path: str) -> None:
    import shutil
    shutil.rmtree(path, ignore_errors=True)


def main(argv) -> int:
    checks_dir = os.path.realpath(argv[1])
    req_fd, rep_fd = int(argv[2]), int(argv[3])
    prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    prctl(PR_SET_CHILD_SUBREAPER, 1)
    prctl(PR_SET_DUMPABLE, 0)  # a task child may not ptrace the worker or open its descriptors via /proc
    if os.getppid() == 1 and not os.environ.get("DL500_SANDBOX"):
        return 1  # the pipeline died before we set the death signal
    sys.path.insert(0, os.path.dirname(checks_dir))
    try:
        import numpy  # noqa: F401  imported once per worker, shared copy-on-write by every task child
        import torch  # noqa: F401
    except ImportError:
        pass
    work = tempfile.mkdtemp(prefix="dl500-tasks-")  # the only folder task children may write in
    tempfile.tempdir = work
    memory_room = 0
    address_space = resource.RLIM_INFINITY
    base_rss = proc_status(os.getpid(), "VmRSS")
    write_frame(rep_fd, {"ready": True})
    while True:
        try:
            req = read_frame(req_fd)
        except FrameError:
            return 2
        if req is None or req.get("kind") == "exit":
            return 0
        memory_mb = int(req.get("limits", {}).get("memory_mb", 2048))
        if memory_mb != memory_room:
            memory_room = memory_mb
            # Address space: what the worker maps now plus the task's memory allowance (and room for threads).
            address_space = proc_status(os.getpid(), "VmSize") * 1024 + (memory_mb + 256) * 1024 * 1024
        reply = run_one(req, checks_dir, (req_fd, rep_fd), address_space, base_rss)
        reply["id"] = req.get("id")
        try:
            write_frame(rep_fd, reply)
        except FrameError as e:
            write_frame(rep_fd, {"id": req.get("id"), "status": "violation",
                                 "violations": [f"result too large ({e})"]})


if __name__ == "__main__":
    sys.exit(main(sys.argv))
