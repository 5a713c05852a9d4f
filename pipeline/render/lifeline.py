"""Child processes of a build die with it: Linux's parent-death signal, set in every worker and subprocess.

A SIGKILLed build runs no cleanup, so its forkserver, layout workers and pandoc must notice on their own. The
forkserver imports render.forkserver_init first (it heads the preload list), which arms the signal there; each pool worker arms it
again in its initializer (the signal is cleared on fork), and subprocesses arm it in preexec_fn.
"""

from __future__ import annotations

import ctypes
import os
import signal
import sys

PR_SET_PDEATHSIG = 1


def die_with_parent() -> None:
    """Ask the kernel to SIGKILL this process when its parent exits; exit now if the parent is already gone."""
    if not sys.platform.startswith("linux"):
        return
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    except (OSError, AttributeError):
        return
    if os.getppid() == 1:  # the parent died before the signal was armed
        os._exit(1)


def forkserver_context():
    """A forkserver context whose server preloads WeasyPrint and dies with the build (render.forkserver_init)."""
    import multiprocessing as mp
    ctx = mp.get_context("forkserver")
    # Everything a layout, templates or join worker imports: a fresh worker per task then imports nothing (pikepdf
    # and the rest were ~0.1 s a worker, ~40 workers a build).
    ctx.set_forkserver_preload(["pipeline.render.forkserver_init", "weasyprint", "pipeline.render.pdf.layout",
                                "pipeline.render.pdf.parts", "pipeline.render.pdf.drawings",
                                "pipeline.render.pdf.svgpath", "pipeline.render.pdf.lean", "pipeline.render.pdf.join",
                                "pikepdf", "uharfbuzz", "fontTools.ttLib"])
    return ctx


def start_forkserver() -> None:
    """Start the forkserver now: it imports WeasyPrint (~0.5 s) on another core while the build assembles the
    editions, so the first layout worker starts in milliseconds."""
    forkserver_context()
    from multiprocessing import forkserver
    forkserver.ensure_running()
