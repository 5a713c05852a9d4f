"""The content-addressed cache every stage uses (pipeline/cache.py) and `dl500 clean`."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import copy_fixture, run_cli

from pipeline.cache import ContentCache, clean, key, remove_stale_temps

ROOT = Path(__file__).resolve().parents[1]


def test_values_round_trip_as_bytes_text_and_json(tmp_path):
    cache = ContentCache(tmp_path / "ns")
    k = cache.key("input")
    assert cache.get_json(k) is None
    cache.put_json(k, {"svg": "<svg/>", "n": [1, 2]})
    assert cache.get_json(k) == {"svg": "<svg/>", "n": [1, 2]}
    cache.put_text(k, "数学 \r\n")
    assert cache.get_text(k) == "数学 \r\n" and cache.get_bytes(k) == "数学 \r\n".encode()
    cache.put_bytes(k, b"\xff not utf-8 {")
    assert cache.get_text(k) is None and cache.get_json(k) is None
    assert ContentCache(tmp_path / "ns", enabled=False).get_bytes(k) is None


def test_key_changes_with_every_part_and_with_a_tool_version():
    assert key("ab", "c") != key("a", "bc") != key("abc")
    assert key("x") == key("x") and key("x") != key(b"y")
    old = ContentCache(Path("/nonexistent"), versions=("pandoc 3.8",))
    new = ContentCache(Path("/nonexistent"), versions=("pandoc 3.9",))
    assert old.key("same body") != new.key("same body")


def test_fragment_and_formula_keys_change_when_the_tool_changes(monkeypatch):
    import ziamath

    from pipeline.render import math as mathr
    from pipeline.render import pandoc
    before = pandoc.fragment_key("$x$")
    monkeypatch.setattr(pandoc, "pandoc_version", lambda: "0.0-test")
    assert pandoc.fragment_key("$x$") != before
    # the version is read from the package's metadata (no import of ziamath to look a formula up): the same string
    assert mathr.package_version("ziamath") == ziamath.__version__
    f = mathr.formula_key("x^2", False)
    monkeypatch.setattr(mathr, "package_version", lambda name: "0.0-test")
    assert mathr.formula_key("x^2", False) != f


WRITER = """
import os, sys, time
sys.path.insert(0, sys.argv[1])
from pathlib import Path
from pipeline import cache as c
def stop(*a):
    print("written", flush=True)
    time.sleep(60)
os.replace = stop
c.ContentCache(Path(sys.argv[2])).put_bytes("k", b"new" * 500_000)
"""


def test_a_writer_killed_before_the_rename_leaves_the_old_entry_and_no_partial_one(tmp_path):
    cache = ContentCache(tmp_path / "ns", suffix=".bin")
    cache.put_bytes("k", b"old")
    p = subprocess.Popen([sys.executable, "-c", WRITER, str(ROOT), str(tmp_path / "ns")], stdout=subprocess.PIPE,
                         text=True)
    try:
        assert p.stdout.readline().strip() == "written"  # its whole value is in the temporary file now
    finally:
        p.send_signal(signal.SIGKILL)
        p.wait()
    assert cache.get_bytes("k") == b"old"
    assert [e[0].name for e in cache.entries()] == ["k.bin"]
    leftovers = [n for n in os.listdir(tmp_path / "ns") if n != "k.bin"]
    assert len(leftovers) == 1 and leftovers[0].startswith(".")  # the dead writer's file, under a hidden name
    assert remove_stale_temps(tmp_path / "ns", older_than_s=0).files == 1
    assert os.listdir(tmp_path / "ns") == ["k.bin"]


@pytest.mark.parametrize("kind", ["dev-zero", "fifo", "folder", "too-big", "dangling"])
def test_an_entry_that_is_not_a_small_plain_file_is_a_miss_and_never_blocks(tmp_path, kind):
    cache = ContentCache(tmp_path / "ns", entry_limit=1000)
    p = cache.path("k")
    p.parent.mkdir()
    if kind == "dev-zero":
        p.symlink_to("/dev/zero")
    elif kind == "fifo":
        os.mkfifo(p)
    elif kind == "folder":
        p.mkdir()
    elif kind == "too-big":
        p.write_bytes(b"1" * 1001)
    else:
        p.symlink_to(tmp_path / "missing")
    start = time.monotonic()
    assert cache.get_bytes("k") is None and cache.get_json("k") is None
    assert time.monotonic() - start < 2
    # only plain files count as entries (and take up room under the cap)
    assert [e[1] for e in cache.entries()] == ([1001] if kind == "too-big" else [])


def test_a_symlink_to_a_real_file_is_not_believed(tmp_path):
    secret = tmp_path / "secret.json"
    secret.write_text('{"status": "passed"}')
    cache = ContentCache(tmp_path / "ns")
    cache.path("k").parent.mkdir()
    cache.path("k").symlink_to(secret)
    assert cache.get_json("k") is None


def test_prune_removes_the_least_recently_used_first_and_keeps_the_cap(tmp_path):
    cache = ContentCache(tmp_path / "ns", suffix=".bin")
    t0 = time.time() - 3 * 3600  # a hit marks an entry used again when its mark is over an hour old
    for i in range(10):
        cache.put_bytes(f"e{i}", bytes(1000))
        os.utime(cache.path(f"e{i}"), (t0 + i, t0 + i))
    assert cache.get_bytes("e0") is not None  # a hit: e0 is now the most recently used
    freed = cache.prune(5000)
    assert (freed.files, freed.bytes) == (5, 5000)
    assert sorted(p.name for p, _, _ in cache.entries()) == ["e0.bin", "e6.bin", "e7.bin", "e8.bin", "e9.bin"]


def test_a_hit_on_an_entry_used_within_the_hour_writes_nothing(tmp_path):
    """A build reads thousands of entries: marking each one used again on every hit was a write per read."""
    cache = ContentCache(tmp_path / "ns", suffix=".bin")
    cache.put_bytes("e", b"x")
    recent = time.time() - 60
    os.utime(cache.path("e"), (recent, recent))
    assert cache.get_bytes("e") == b"x"
    assert cache.path("e").stat().st_mtime == recent


def test_writes_keep_a_namespace_near_its_cap(tmp_path):
    cache = ContentCache(tmp_path / "ns", suffix=".bin", max_bytes=8000)
    for i in range(40):
        cache.put_bytes(f"e{i}", bytes(1000))
    total = sum(size for _, size, _ in cache.entries())
    assert 0 < total <= 8000 + 8000 // 8 + 1000
    assert cache.get_bytes("e39") is not None  # the newest survived


def test_clear_and_clean_never_follow_a_link_out_of_the_cache(tmp_path):
    outside = tmp_path / "home"
    outside.mkdir()
    (outside / "precious.txt").write_text("keep me")
    cache = ContentCache(tmp_path / ".dl500-cache" / "math")
    cache.put_json("a", {"x": 1})
    (tmp_path / ".dl500-cache" / "math" / "link").symlink_to(outside)
    (tmp_path / ".dl500-cache" / "file-link.json").symlink_to(outside / "precious.txt")
    freed = clean(tmp_path / ".dl500-cache")
    assert freed.files == 3 and (outside / "precious.txt").read_text() == "keep me"
    assert list((tmp_path / ".dl500-cache").iterdir()) == []
    cache.put_json("b", {"y": 2})
    assert cache.clear().files == 1 and cache.get_json("b") is None


def test_clean_refuses_a_cache_folder_that_is_a_link(tmp_path):
    outside = tmp_path / "home"
    outside.mkdir()
    (outside / "precious.txt").write_text("keep me")
    (tmp_path / "project").mkdir()
    (tmp_path / "project" / ".dl500-cache").symlink_to(outside)
    with pytest.raises(ValueError):
        clean(tmp_path / "project" / ".dl500-cache")
    assert (outside / "precious.txt").read_text() == "keep me"


def test_dl500_clean_removes_the_cache_and_says_what_it_freed(tmp_path, capsys):
    root = copy_fixture("minimal", tmp_path / "book")
    project = root if (root / "source" / "book.yaml").is_file() else root.parent
    cache_dir = project / ".dl500-cache"
    old = ContentCache(cache_dir / "render" / "pandoc", suffix=".html")
    old.put_text("old", "x" * 3000)
    long_ago = time.time() - 40 * 86400
    os.utime(old.path("old"), (long_ago, long_ago))
    fresh = ContentCache(cache_dir / "claims")
    fresh.put_json("c-fresh", {"status": "passed"})
    rc, out, err = run_cli(capsys, "clean", str(root), "--older-than", "30")
    assert rc == 0, err
    assert "2.9 KiB in 1 file(s) unused for 30 day(s)" in out
    assert old.get_text("old") is None and fresh.get_json("c-fresh") == {"status": "passed"}
    rc, out, err = run_cli(capsys, "clean", str(root))
    assert rc == 0 and "in 1 file(s)" in out
    assert [p for p in cache_dir.rglob("*") if not p.is_dir()] == []


def test_dl500_clean_on_a_folder_without_a_book_is_a_usage_error(tmp_path, capsys):
    rc, out, err = run_cli(capsys, "clean", str(tmp_path / "nonexistent"))
    assert rc == 2 and "no book" in err and out == ""
    (tmp_path / "p").mkdir()
    (tmp_path / "p" / ".dl500-cache").symlink_to(tmp_path)
    rc, out, err = run_cli(capsys, "clean", str(tmp_path / "p"))
    assert rc == 2 and "not a folder" in err


def test_a_build_record_that_is_a_link_a_list_or_garbage_reads_as_empty(tmp_path):
    """last-build.json and <lang>-pages.json: a committed link to /dev/zero must not hang or fill memory."""
    from pipeline.cache import read_json
    good, link, listed, bad = (tmp_path / n for n in ("good.json", "link.json", "list.json", "bad.json"))
    good.write_text('{"key": "abc"}')
    link.symlink_to("/dev/zero")
    listed.write_text("[1, 2]")
    bad.write_text("{not json")
    assert read_json(good) == {"key": "abc"}
    assert read_json(link) == {} and read_json(listed) == {} and read_json(bad) == {}
    assert read_json(tmp_path / "missing.json") == {}
