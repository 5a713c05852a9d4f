"""Where contributor code runs: a bubblewrap sandbox around a forking worker, or a weaker fallback, said loudly.

The strong sandbox is bubblewrap (Debian `bubblewrap`): new user, PID, network, IPC and UTS namespaces, the
system and the Python installation read-only, the book read-only, nothing else of the host (no home, no .git,
no cache) visible, a private /tmp, a clean environment, and the worker dies with the pipeline. Inside it the
worker forks one child per task under rlimits (pipeline.sandbox.worker). Without bubblewrap the same worker
runs with the same limits and a scrubbed environment, but without filesystem or network isolation; the claims
stage reports that as a warning on every run (an error with --require-sandbox).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

PASSED_ENV = ("LANG", "LC_ALL", "CUDA_VISIBLE_DEVICES", "NVIDIA_VISIBLE_DEVICES", "NVIDIA_DRIVER_CAPABILITIES",
              "LD_LIBRARY_PATH", "OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE", "OMP_NUM_THREADS")
SYSTEM_DIRS = ("/usr", "/bin", "/lib", "/lib64", "/lib32", "/sbin", "/etc", "/sys")


@dataclass(frozen=True)
class SandboxKind:
    strong: bool
    mechanism: str  # "bubblewrap" or "rlimits only"
    reason: str = ""  # why the strong sandbox is not available


@lru_cache(maxsize=1)
def sandbox_kind() -> SandboxKind:
    """Whether bubblewrap can make the namespaces here (it cannot in some containers and locked-down hosts)."""
    if os.environ.get("DL500_SANDBOX_DISABLE") == "1":
        return SandboxKind(False, "rlimits only", "DL500_SANDBOX_DISABLE=1 is set")
    bwrap = shutil.which("bwrap")
    if not bwrap:
        return SandboxKind(False, "rlimits only", "bubblewrap (bwrap) is not installed")
    try:
        r = subprocess.run([bwrap, *_namespace_args(), *_ro_binds(["/usr", "/bin", "/lib", "/lib64"]), "--", "true"],
                           capture_output=True, timeout=20)
    except (OSError, subprocess.TimeoutExpired) as e:
        return SandboxKind(False, "rlimits only", f"bwrap did not run: {e}")
    if r.returncode != 0:
        msg = r.stderr.decode("utf-8", "replace").strip().splitlines()
        return SandboxKind(False, "rlimits only", "bwrap cannot create namespaces here: " + (msg[-1] if msg else
                                                                                            f"exit {r.returncode}"))
    return SandboxKind(True, "bubblewrap")


def _namespace_args() -> list[str]:
    return ["--unshare-all", "--die-with-parent", "--cap-drop", "ALL", "--proc", "/proc", "--dev", "/dev",
            "--tmpfs", "/tmp"]


def _ro_binds(paths) -> list[str]:
    out, seen = [], set()
    for p in paths:
        if p and os.path.exists(p) and p not in seen:
            seen.add(p)
            out += ["--ro-bind", p, p]
    return out


def python_paths() -> list[str]:
    """The Python installation the worker needs: prefixes and every sys.path folder, resolved."""
    prefixes = {os.path.realpath(p) for p in (sys.prefix, sys.base_prefix, sys.exec_prefix)}
    # The prefix as the interpreter names it too: a virtual environment reached through a symlink is started by
    # that path (sys.executable), which must exist inside the sandbox as well as its resolved target.
    prefixes |= {os.path.abspath(p) for p in (sys.prefix, sys.exec_prefix)}
    prefixes.add(os.path.realpath(sys.executable).rsplit("/bin/", 1)[0])
    paths = set(prefixes)
    for p in sys.path:  # site folders outside the prefixes (never the project folder or a test folder)
        real = os.path.realpath(p) if p else ""
        if os.path.isdir(real) and ("site-packages" in real or "dist-packages" in real):
            paths.add(real)
    return sorted(paths)


def _gpu_devices() -> list[str]:
    try:
        return [f"/dev/{d}" for d in sorted(os.listdir("/dev")) if d.startswith("nvidia")]
    except OSError:
        return []


def scrubbed_env(home: str, strong: bool) -> dict:
    """Only what the code needs: no tokens, no CI variables, no proxies."""
    env = {k: os.environ[k] for k in PASSED_ENV if k in os.environ}
    env.update(PATH="/usr/local/bin:/usr/bin:/bin", HOME=home, TMPDIR=str(Path(home).parent),
               PYTHONHASHSEED="0", PYTHONDONTWRITEBYTECODE="1", MPLBACKEND="Agg")
    env.setdefault("LANG", "C.UTF-8")
    env.setdefault("OMP_NUM_THREADS", "1")  # parallelism comes from the pool; results stay repeatable
    if strong:
        env["DL500_SANDBOX"] = "1"
    return env


def worker_command(checks_dir: Path, read_only: list[Path], req_fd: int, rep_fd: int, strong: bool,
                   tmp: str) -> tuple[list[str], dict, str]:
    """(argv, environment, cwd) that start one worker, inside bubblewrap when `strong`."""
    package_root = str(Path(__file__).resolve().parents[1])
    # -I: no environment variables, no user site, no current folder on the path; the package's own folder
    # is put on the path just long enough to import the worker, so the worker is this copy of the pipeline,
    # however it was installed, and the project's own folders never shadow the book's `checks` package.
    boot = (f"import sys; sys.path.insert(0, {os.path.dirname(package_root)!r}); "
            "import pipeline.sandbox.worker as w; del sys.path[0]; sys.exit(w.main(sys.argv))")
    worker = [sys.executable, "-I", "-B", "-c", boot, str(checks_dir), str(req_fd), str(rep_fd)]
    if not strong:
        home = os.path.join(tmp, "home")
        os.makedirs(home, exist_ok=True)
        return worker, scrubbed_env(home, False), tmp
    mounts = _ro_binds([*SYSTEM_DIRS, *python_paths(), package_root, *(str(p.resolve()) for p in read_only)])
    for dev in _gpu_devices():
        mounts += ["--dev-bind", dev, dev]
    env = scrubbed_env("/tmp/home", True)
    # The full path: Popen looks a bare name up in the scrubbed PATH, which misses a bwrap installed elsewhere.
    argv = [shutil.which("bwrap") or "bwrap", *_namespace_args(), *mounts, "--dir", "/tmp/home", "--remount-ro", "/", "--chdir", "/tmp",
            "--clearenv"]
    for k, v in sorted(env.items()):
        argv += ["--setenv", k, v]
    return [*argv, "--", *worker], env, tmp
