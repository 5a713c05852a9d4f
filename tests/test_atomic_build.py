"""One atomic output set: a failed or SIGKILLed build leaves the previous outputs byte for byte and no process
behind; two builds at once take turns; the published set matches its manifest."""

from __future__ import annotations

import hashlib
import os
import random
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from conftest import copy_fixture, patch_file, run_cli

REPO = Path(__file__).resolve().parents[1]
EPOCH = "1700000000"


def published(root: Path) -> dict:
    """Every published file (through the build folder's links) → sha256; the lock and the sets' store aside."""
    out = {}
    build = root / "build"
    for top in sorted(build.iterdir()):
        if top.name.startswith("."):
            continue
        files = [top] if top.is_file() else sorted(p for p in top.rglob("*") if p.is_file())
        for p in files:
            out[str(p.relative_to(build))] = hashlib.sha256(p.read_bytes()).hexdigest()
    return out


def build_in_process(capsys, *formats) -> tuple[int, str]:
    args = ["build", "."]
    for f in formats:
        args += ["--format", f]
    rc, _, err = run_cli(capsys, *args)
    return rc, err


@pytest.fixture
def book(tmp_path, monkeypatch):
    root = copy_fixture("minimal", tmp_path / "book")
    monkeypatch.chdir(root)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", EPOCH)
    return root


def test_set_matches_its_manifest_and_links_move_together(book, capsys):
    from pipeline.render.output import verify_manifest
    rc, err = build_in_process(capsys, "epub", "html")
    assert rc == 0, err
    current = (book / "build" / ".current").resolve()
    assert verify_manifest(current) == []
    for name in ("zh", "en", "site", "translation-status.json", "manifest.json"):
        assert (book / "build" / name).resolve().parent == current
    first = published(book)
    patch_file(book, "source/ch02/conv-params.zh.md", "个参数。", "个参数（改）。")
    rc, err = build_in_process(capsys, "epub")
    assert rc == 0, err
    second = published(book)
    assert second["zh/dl500.epub"] != first["zh/dl500.epub"]
    assert second["site/index.html"] == first["site/index.html"]  # carried over: an epub build keeps the site
    assert verify_manifest((book / "build" / ".current").resolve()) == []
    assert len(list((book / "build" / ".sets").iterdir())) == 1  # the previous set is gone, no staging left


def test_build_stage_error_publishes_nothing(book, capsys):
    rc, err = build_in_process(capsys, "epub", "html")
    assert rc == 0, err
    before = published(book)
    patch_file(book, "source/ch02/conv-params.zh.md", "个参数。", "个参数。\n\n公式 $\\frobnicate{x}$ 有问题。")
    rc, err = build_in_process(capsys, "epub", "html")
    assert rc == 1 and "DL506" in err and "DL911" in err
    assert published(book) == before
    assert [p.name for p in (book / "build" / ".sets").iterdir()] == [(book / "build/.current").resolve().name]


def session_processes(sid: int) -> list[str]:
    """Live (not zombie) processes of a session: `pid state command`."""
    found = []
    for d in Path("/proc").iterdir():
        if not d.name.isdigit():
            continue
        try:
            stat = (d / "stat").read_text()
        except OSError:
            continue
        comm, rest = stat[stat.index("(") + 1:stat.rindex(")")], stat[stat.rindex(")") + 2:].split()
        if int(rest[3]) == sid and rest[0] != "Z":
            found.append(f"{d.name} {rest[0]} {comm}")
    return found


def start_build(root: Path, formats, env_extra=None) -> subprocess.Popen:
    cmd = [sys.executable, "-m", "pipeline", "build", ".", "--jobs", "2"]
    for f in formats:
        cmd += ["--format", f]
    env = dict(os.environ, SOURCE_DATE_EPOCH=EPOCH, PYTHONPATH=str(REPO), **(env_extra or {}))
    return subprocess.Popen(cmd, cwd=root, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            start_new_session=True, text=True)


def kill_after(proc: subprocess.Popen, stage: str, delay: float, limit_s: float = 300) -> list[str]:
    """SIGKILL the build `delay` s after it reports `stage`; the lines it printed (the kill is skipped when the
    build ended first)."""
    lines, seen = [], threading.Event()

    def read():
        for line in proc.stderr:
            lines.append(line)
            if stage in line:
                seen.set()
    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    assert seen.wait(limit_s) or proc.poll() is not None, f"never reached {stage!r}: {''.join(lines)[-2000:]}"
    time.sleep(delay)
    if proc.poll() is None:
        os.kill(proc.pid, signal.SIGKILL)
    proc.wait(60)
    reader.join(10)
    return lines


def wait_until_gone(sid: int, limit_s: float = 20) -> list[str]:
    deadline = time.monotonic() + limit_s
    while time.monotonic() < deadline:
        left = session_processes(sid)
        if not left:
            return []
        time.sleep(0.2)
    return session_processes(sid)


# (stage line the build prints, formats): points from validation to the end of each kind of build
KILL_POINTS = [
    ("validating", ("epub", "html")),
    ("pandoc:", ("epub", "html")),
    ("epub zh", ("epub", "html")),
    ("web edition", ("epub", "html")),
    ("translation report", ("epub", "html")),
    (": laying out in parts", ("pdf", "epub", "html")),  # "pdf zh and en: laying out in parts …"
    (": laying out in parts", ("pdf", "epub", "html")),  # "pdf zh and en: laying out in parts …"
]


def test_sigkill_at_random_points_keeps_previous_outputs_and_leaves_no_process(book, capsys):
    from pipeline.render.output import verify_manifest
    rc, err = build_in_process(capsys, "epub", "html")
    assert rc == 0, err
    before = first = published(book)
    patch_file(book, "source/ch02/conv-params.zh.md", "个参数。", "个参数（新的一版）。")
    seed = int(os.environ.get("DL500_KILL_SEED", time.time_ns() % 100_000))
    rng = random.Random(seed)
    killed = 0
    current = os.readlink(book / "build" / ".current")
    for stage, formats in KILL_POINTS:
        delay = rng.uniform(0.0, 3.0 if "laying out" in stage else 0.4)
        proc = start_build(book, formats)
        kill_after(proc, stage, delay)
        where = f"seed {seed}, killed {delay:.2f} s after {stage!r}"
        assert wait_until_gone(proc.pid) == [], where
        assert verify_manifest((book / "build" / ".current").resolve()) == [], where
        if os.readlink(book / "build" / ".current") != current:
            # the kill came after the swap: the new set is whole (checked above) and is now the one to keep
            current, before = os.readlink(book / "build" / ".current"), published(book)
            continue
        killed += 1
        assert published(book) == before, where
    assert killed >= len(KILL_POINTS) - 2
    # the next build clears what the killed ones left and publishes a whole new set
    rc, err = build_in_process(capsys, "epub", "html")
    assert rc == 0, err
    assert published(book) != first
    assert verify_manifest((book / "build" / ".current").resolve()) == []
    assert [p.name for p in (book / "build" / ".sets").iterdir()] == [(book / "build/.current").resolve().name]


def test_two_builds_at_once_take_turns(book):
    procs = [start_build(book, ("html",)) for _ in range(2)]
    errs = [p.communicate(timeout=600)[1] for p in procs]
    assert [p.returncode for p in procs] == [0, 0], errs
    assert any("waiting for the build" in e for e in errs) or any("nothing changed" in e for e in errs), errs
    from pipeline.render.output import verify_manifest
    assert verify_manifest((book / "build" / ".current").resolve()) == []


def test_second_build_gives_up_with_a_clear_message(book, capsys, monkeypatch):
    from pipeline.render.output import lock_output_folder
    rc, err = build_in_process(capsys, "epub")
    assert rc == 0, err
    before = published(book)
    monkeypatch.setenv("DL500_BUILD_LOCK_WAIT_S", "0.5")
    held = lock_output_folder(book / "build", 0)
    try:
        patch_file(book, "source/ch02/conv-params.zh.md", "个参数。", "个参数（又改）。")
        rc, err = build_in_process(capsys, "epub")
    finally:
        held.release()
    assert rc == 2 and "DL910" in err and "another build" in err
    assert published(book) == before
