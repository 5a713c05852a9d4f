"""The gate holds against careless and hostile contributors: a sandbox for their code, an unforgeable result
path, a cache that stores only what code produced, and a comparison with the text on every run."""

from __future__ import annotations

import json
import os
import socket
from pathlib import Path

import pytest

from conftest import copy_fixture, diagnostics_json, patch_file, run_cli

HOSTILE = "source/ch01/hostile.zh.md"
BLOCKS = "source/ch01/blocks.zh.md"
SECRET = "DL500_TEST_SECRET_TOKEN"


def sandbox_strong() -> bool:
    from pipeline.sandbox import sandbox_kind
    return sandbox_kind().strong


needs_bwrap = pytest.mark.skipif(not sandbox_strong() and not os.environ.get("CI"),
                                 reason="bubblewrap cannot create namespaces on this machine")


def processes_with(marker: str) -> list[str]:
    out = []
    for pid in os.listdir("/proc"):
        if pid.isdigit():
            try:
                cmd = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
            except OSError:
                continue
            if marker in cmd:
                out.append(cmd)
    return out


def run_claims_api(root: Path, **kw):
    from pipeline.claims import run_claims
    from pipeline.load import load_book
    book, _ = load_book(root)
    return run_claims(book, device="cpu", quiet=True, **kw)


@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    """Run the hostile fixture once with a listener on 127.0.0.1 and a secret in the environment."""
    root = copy_fixture("claims_hostile", tmp_path_factory.mktemp("hostile") / "book")
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    listener.setblocking(False)
    (root / "checks" / "port.txt").write_text(str(listener.getsockname()[1]))
    os.environ[SECRET] = "hunter2"
    try:
        first = run_claims_api(root)
        second = run_claims_api(root)
    finally:
        del os.environ[SECRET]
    connections = 0
    while True:
        try:
            listener.accept()[0].close()
            connections += 1
        except BlockingIOError:
            break
    listener.close()
    return {"root": root, "first": first, "second": second, "connections": connections,
            "diags": [(d.code, d.file, d.line, d.message) for d in first.diagnostics]}


@needs_bwrap
@pytest.mark.parametrize("line,code,what", [
    (8, "DL720", "more than one result"),      # forges protocol frames on every descriptor
    (10, "DL720", "printed more than"),        # 10 MB to fd 1
    (12, "DL720", "network connection"),       # connects to 127.0.0.1
    (13, "DL720", "outside its temporary"),    # writes into the book and the home folder
    (14, "DL720", "left 1 process"),           # forks a child that outlives it
    (15, "DL706", "memory"),                   # 30 GiB
    (16, "DL705", "time limit"),               # spins forever
    (17, "DL706", "crashed"),                  # os._exit(0)
    (18, "DL706", "exit -11"),                 # segfault
])
def test_each_hostile_check_gets_one_diagnostic_at_its_line(hostile, line, code, what):
    hits = [d for d in hostile["diags"] if d[1] == HOSTILE and d[2] == line]
    assert [d[0] for d in hits] == [code], hits
    assert what in hits[0][3]
    assert "checks/evil.py:" in hits[0][3]


@needs_bwrap
def test_honest_claims_keep_their_true_results(hostile):
    # 0.25, 7 and 3 after a forger; no secret visible; numpy.sum untouched by another check's monkeypatch.
    for line in (7, 9, 11, 19, 20, 21):
        assert not [d for d in hostile["diags"] if d[1] == HOSTILE and d[2] == line], line


@needs_bwrap
def test_hostile_block_is_reported_and_its_forged_frame_ignored(hostile):
    hits = [d for d in hostile["diags"] if d[1] == BLOCKS]
    assert [(d[0], d[2]) for d in hits] == [("DL720", 7)], hits
    assert "network connection" in hits[0][3]


@needs_bwrap
def test_nothing_escaped_the_sandbox(hostile):
    root = hostile["root"]
    assert hostile["connections"] == 0
    assert not (root / "pwned.txt").exists() and not (root / "source" / "pwned.txt").exists()
    assert not Path(os.path.expanduser("~/.pwned")).exists()
    assert processes_with("987654") == []  # the child left behind by evil.leave_child
    assert processes_with(str(root / "checks")) == []  # no worker of this run


@needs_bwrap
def test_no_cache_entry_for_a_task_that_misbehaved(hostile):
    # Second run: the nine hostile checks and the hostile question run again; the honest ones come from the cache.
    second = hostile["second"]
    assert second.ran == 10
    assert second.cached == 6
    assert [(d.code, d.line) for d in second.diagnostics if d.file == HOSTILE] == \
        [(d[0], d[2]) for d in hostile["diags"] if d[1] == HOSTILE]


@needs_bwrap
def test_cache_holds_true_values_and_verify_cache_finds_tampering(hostile):
    root = hostile["root"]
    res = run_claims_api(root, verify_cache=-1)
    assert res.verified == 6 and not [d for d in res.diagnostics if d.code == "DL722"]
    # Poison one entry by hand (what a writer with access to the cache could do), then verify.
    folder = root / ".dl500-cache" / "claims"
    for f in folder.glob("c-*.json"):
        entry = json.loads(f.read_text())
        if entry.get("value") == 7.0:
            entry["value"] = 8.0
            f.write_text(json.dumps(entry))
            break
    else:
        pytest.fail("no cache entry for evil.honest_seven")
    poisoned = run_claims_api(root)
    assert [(d.code, d.line) for d in poisoned.diagnostics if d.file == HOSTILE and d.line == 9] == [("DL701", 9)]
    verified = run_claims_api(root, verify_cache=-1)
    assert [(d.code, d.line) for d in verified.diagnostics if d.code == "DL722"] == [("DL722", 9)]
    honest = run_claims_api(root)
    assert not [d for d in honest.diagnostics if d.file == HOSTILE and d.line == 9]


def test_no_op_warm_run_starts_no_worker(book):
    first = run_claims_api(book)
    assert first.workers_started == 1 and first.ran > 0
    second = run_claims_api(book)
    assert second.workers_started == 0 and second.ran == 0 and second.cached == first.ran + first.cached


@pytest.mark.parametrize("rel,old,new,code", [
    ("source/ch02/conv-params.zh.md", "[73,856]", "[73,857]", "DL701"),
    ("source/ch01/sigmoid-grad.zh.md", "[0.25]", "[0.26]", "DL701"),
    ("source/ch01/sigmoid-grad.en.md", "[0.25]", "[0.24]", "DL701"),
    ("source/ch01/relu-why.zh.md", "[0. 2.]", "[0. 2.] 42", "DL801"),  # reported at the output block's fence
])
def test_text_is_compared_on_every_warm_run(book, capsys, rel, old, new, code):
    rc, _, err = run_cli(capsys, "claims", ".", "--device", "cpu")
    assert rc == 0, err
    line = next(i for i, t in enumerate((book / rel).read_text().split("\n"), 1) if old in t)
    line -= code == "DL801"
    patch_file(book, rel, old, new)
    rc, diags = diagnostics_json(capsys, "claims", ".", "--device", "cpu", "--quiet")
    assert rc == 1
    errors = [(d["code"], d["file"], d["line"]) for d in diags if d["severity"] == "error"]
    # Changing one language's number also makes the pair drift apart (DL712 at the translation): expected.
    assert [e for e in errors if e[0] != "DL712"] == [(code, rel, line)]


def test_changed_tolerance_is_compared_on_a_warm_run(book, capsys):
    rel = "source/ch02/conv-params.zh.md"
    patch_file(book, rel, '[73,856]{.claim check="act.conv_params"}', '[73,900]{.claim check="act.conv_params" rtol=0.01}')
    rc, _, err = run_cli(capsys, "claims", ".", "--device", "cpu")
    assert rc == 0, err
    patch_file(book, rel, "rtol=0.01", "rtol=0.0001")
    rc, diags = diagnostics_json(capsys, "claims", ".", "--device", "cpu", "--quiet")
    errors = [(d["code"], d["file"], d["line"]) for d in diags if d["severity"] == "error" and d["code"] != "DL712"]
    assert rc == 1 and errors == [("DL701", rel, 7)]


def test_without_the_sandbox_every_run_warns_and_require_sandbox_refuses(book, capsys, monkeypatch):
    from pipeline.sandbox import sandbox_kind
    monkeypatch.setenv("DL500_SANDBOX_DISABLE", "1")
    sandbox_kind.cache_clear()
    try:
        rc, diags = diagnostics_json(capsys, "claims", ".", "--device", "cpu", "--quiet")
        assert rc == 0
        assert [(d["code"], d["severity"]) for d in diags if d["code"] == "DL721"] == [("DL721", "warning")]
        import shutil
        shutil.rmtree(book / ".dl500-cache")
        rc, diags = diagnostics_json(capsys, "claims", ".", "--device", "cpu", "--quiet", "--require-sandbox")
        assert rc == 1
        assert [(d["code"], d["severity"]) for d in diags if d["code"] == "DL721"] == [("DL721", "error")]
        assert not any((book / ".dl500-cache" / "claims").glob("*.json"))  # nothing ran, so nothing was stored
    finally:
        monkeypatch.delenv("DL500_SANDBOX_DISABLE")
        sandbox_kind.cache_clear()


def test_fallback_worker_still_keeps_results_private(book, capsys, monkeypatch):
    """Without bubblewrap: same fork-per-task worker, same private pipes, a clean environment."""
    from pipeline.sandbox import sandbox_kind
    monkeypatch.setenv("DL500_SANDBOX_DISABLE", "1")
    monkeypatch.setenv(SECRET, "hunter2")
    sandbox_kind.cache_clear()
    try:
        patch_file(book, "source/ch01/relu-why.zh.md", "print(np.maximum(x, 0))",
                   "import os\nos.write(1, b'{\"status\": \"ok\"}\\n')\n"
                   "print(np.maximum(x, 0), len([k for k in os.environ if 'SECRET' in k]))")
        patch_file(book, "source/ch01/relu-why.zh.md", "[0. 2.]\n```", "[0. 2.] 0\n```")
        rc, diags = diagnostics_json(capsys, "claims", ".", "--device", "cpu", "--quiet")
        assert rc == 0, diags
    finally:
        sandbox_kind.cache_clear()


FIGURE = """import os
import matplotlib.pyplot as plt
os.environ['DL500_FIGURE_RAN_HERE'] = '1'


def curve():
    fig, ax = plt.subplots(figsize=(2, 1))
    ax.plot([0, 1], [0, 1])
    return fig
"""


def test_figure_scripts_run_in_the_sandbox_not_in_the_pipeline(book, tmp_path):
    from pipeline.render.figures import draw_figures
    (book / "source" / "ch01" / "figures.py").write_text(FIGURE, "utf-8")
    (book / "source" / "ch02" / "figures.py").write_text(
        FIGURE + "\n\ndef evil():\n    with open(os.path.expanduser('~/.dl500-pwned-by-figure'), 'w') as f:\n"
        "        f.write('x')\n    return curve()\n", "utf-8")
    ch1, ch2 = book / "source" / "ch01", book / "source" / "ch02"
    out, errors = draw_figures([(ch1, "figures/curve.svg"), (ch2, "figures/curve.svg"), (ch2, "figures/evil.svg")],
                               tmp_path / "figs")
    assert "<svg" in out[("ch01", "figures/curve.svg")]
    assert set(out) == {("ch01", "figures/curve.svg")}  # nothing from the script that broke the rules
    assert "sandbox" in errors[("ch02", "figures/evil.svg")]
    assert "DL500_FIGURE_RAN_HERE" not in os.environ
    assert not Path(os.path.expanduser("~/.dl500-pwned-by-figure")).exists()


def test_unchanged_book_replays_without_torch_or_a_worker(book, capsys):
    import subprocess
    import sys
    rc, _, err = run_cli(capsys, "claims", ".", "--device", "cpu")
    assert rc == 0, err
    probe = ("import sys; from pipeline.cli import main; rc = main(['claims', '.', '--device', 'cpu']); "
             "print('torch' in sys.modules, 'numpy' in sys.modules, rc)")
    import pipeline
    env = dict(os.environ, PYTHONPATH=str(Path(pipeline.__file__).resolve().parents[1]))  # this copy of the code
    r = subprocess.run([sys.executable, "-c", probe], cwd=book, capture_output=True, text=True, timeout=120, env=env)
    assert "nothing changed since the last run: 0 task(s) run" in r.stdout
    assert r.stdout.strip().splitlines()[-1] == "False False 0"
    # Any byte of the text changes the key: the next run compares again and finds the wrong number.
    patch_file(book, "source/ch02/conv-params.zh.md", "[73,856]", "[73,855]")
    r = subprocess.run([sys.executable, "-c", probe], cwd=book, capture_output=True, text=True, timeout=300, env=env)
    assert "DL701" in r.stderr and r.stdout.strip().splitlines()[-1].endswith(" 1")


def _spin(seconds: float) -> None:
    import time
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        pass


def test_time_limit_counts_cpu_time_so_a_busy_machine_does_not_fail_a_check(book, capsys):
    """A check that needs 1.2 s of CPU under a 2 s limit passes while four busy loops slow it down in wall time."""
    import multiprocessing
    patch_file(book, "checks/act.py", "import math\n", "import math\nimport time\n\n\ndef burn(device):\n"
               "    t = time.process_time()\n    while time.process_time() - t < 1.2:\n        pass\n    return 1\n")
    patch_file(book, "source/ch02/conv-params.zh.md", "个参数。", "个参数。烧：[1]{.claim check=\"act.burn\"}。")
    patch_file(book, "source/book.yaml", "chapters:", "options: {claim_timeout: 2}\nchapters:")
    hogs = [multiprocessing.Process(target=_spin, args=(8.0,)) for _ in range(4)]
    for h in hogs:
        h.start()
    try:
        rc, diags = diagnostics_json(capsys, "claims", ".", "--device", "cpu", "--quiet", "--jobs", "1")
    finally:
        for h in hogs:
            h.terminate()
            h.join()
    assert rc == 0, diags


def test_a_cache_entry_that_is_not_a_plain_file_is_ignored(book, capsys):
    """A committed symlink to /dev/zero (or a FIFO) in the cache must neither hang nor be believed."""
    rc, _, err = run_cli(capsys, "claims", ".", "--device", "cpu")
    assert rc == 0, err
    folder = book / ".dl500-cache" / "claims"
    entries = sorted(folder.glob("c-*.json"))
    entries[0].unlink()
    entries[0].symlink_to("/dev/zero")
    os.mkfifo(entries[1].with_suffix(".tmp"))
    entries[1].unlink()
    entries[1].with_suffix(".tmp").rename(entries[1])
    (book / ".dl500-cache" / "claims-run.json").unlink()
    rc, diags = diagnostics_json(capsys, "check", ".")
    assert rc == 0, diags
    rc, diags = diagnostics_json(capsys, "claims", ".", "--device", "cpu", "--quiet")
    assert rc == 0, diags


def test_gpu_tasks_run_without_an_address_space_limit_cpu_tasks_keep_theirs():
    """CUDA's driver reserves terabytes of virtual memory: under RLIMIT_AS torch would see no GPU at all."""
    import resource

    from pipeline.sandbox.worker import address_space_for
    assert address_space_for({"kind": "check", "device": "cpu"}, 1 << 30) == 1 << 30
    assert address_space_for({"kind": "code", "device": "cpu"}, 1 << 30) == 1 << 30
    assert address_space_for({"kind": "check", "device": "cuda"}, 1 << 30) == resource.RLIM_INFINITY
    assert address_space_for({"kind": "code", "device": "cuda"}, 1 << 30) == resource.RLIM_INFINITY
    assert address_space_for({"kind": "probe"}, 1 << 30) == resource.RLIM_INFINITY


def test_a_worker_that_cannot_start_is_a_diagnostic_not_a_traceback(book, monkeypatch):
    """bwrap refusing, or an interpreter the sandbox cannot see: DL724 at book.yaml, nothing cached."""
    import pipeline.sandbox.pool as pool_mod

    def broken(checks_dir, read_only, req_fd, rep_fd, strong, tmp):
        return ["/bin/sh", "-c", "echo 'bwrap: execvp /nowhere/python: No such file or directory' >&2"], {}, tmp
    monkeypatch.setattr(pool_mod, "worker_command", broken)
    res = run_claims_api(book, use_cache=False)
    codes = [(d.code, d.file) for d in res.diagnostics if d.severity == "error"]
    assert ("DL724", "source/book.yaml") in codes, codes
    msg = next(d.message for d in res.diagnostics if d.code == "DL724")
    assert "No such file or directory" in msg


@needs_bwrap
def test_a_virtual_environment_reached_through_a_symlink_starts_in_the_sandbox(book, tmp_path):
    """sys.executable names the venv by the link; the link's path must exist inside the sandbox too."""
    import subprocess
    import sys

    import pipeline
    link = tmp_path / "venv-link"
    link.symlink_to(os.path.realpath(sys.prefix), target_is_directory=True)
    python = link / "bin" / Path(sys.executable).name
    probe = ("from pipeline.claims import run_claims; from pipeline.load import load_book; "
             "b, _ = load_book(__import__('pathlib').Path('.')); r = run_claims(b, device='cpu', quiet=True, "
             "use_cache=False); print(r.ran, sorted({d.code for d in r.diagnostics if d.severity == 'error'}))")
    env = dict(os.environ, PYTHONPATH=str(Path(pipeline.__file__).resolve().parents[1]))
    r = subprocess.run([str(python), "-c", probe], cwd=book, capture_output=True, text=True, timeout=300, env=env)
    ran, codes = r.stdout.strip().splitlines()[-1].split(" ", 1)
    assert int(ran) > 0 and "DL724" not in codes, r.stdout + r.stderr
