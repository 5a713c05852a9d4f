"""manifest.json lists every plain file of a set (not links, FIFOs or manifests) with its size and sha256, in the
order of the set's paths by their parts; the scandir walk must agree with the obvious pathlib one."""

from __future__ import annotations

import hashlib
import json
import os

from pipeline.render.output import MANIFEST, verify_manifest, write_manifest


def reference_files(folder) -> dict:
    """The manifest's files as pathlib says (what write_manifest did before it walked with scandir)."""
    files = {}
    for p in sorted(folder.rglob("*")):
        if p.is_file() and not p.is_symlink() and p.name != MANIFEST:
            data = p.read_bytes()
            files[p.relative_to(folder).as_posix()] = {"size": len(data), "sha256": hashlib.sha256(data).hexdigest()}
    return files


def odd_set(root):
    (root / "site" / "zh" / "q").mkdir(parents=True)
    (root / "site" / "zh" / "q" / "index.html").write_text("<p>问题</p>", "utf-8")
    (root / "site" / ".hidden").write_text("dot file")
    (root / "site" / MANIFEST).write_text("{}")  # a manifest anywhere is not listed
    (root / "a").mkdir()
    (root / "a" / "b").write_bytes(b"\0" * (3 << 20))  # more than one read block
    (root / "a-b").mkdir()
    (root / "a-b" / "x").write_text("'a-b' sorts before 'a/' as text, after 'a' by parts")
    (root / "zh").mkdir()
    (root / "zh" / "dl500.pdf").write_bytes(b"%PDF-1.7 ...")
    (root / "zh" / "link.pdf").symlink_to("dl500.pdf")
    (root / "site-link").symlink_to("site")
    (root / "dangling").symlink_to("nowhere")
    os.mkfifo(root / "fifo")
    (root / "empty").mkdir()
    return root


def test_the_manifest_lists_what_pathlib_lists_in_the_same_order(tmp_path):
    root = odd_set(tmp_path / "set")
    manifest = write_manifest(root)
    want = reference_files(root)
    assert list(manifest["files"].items()) == list(want.items())
    assert "a/b" in want and "site/.hidden" in want and "zh/link.pdf" not in want and "fifo" not in want
    on_disk = json.loads((root / MANIFEST).read_text("utf-8"))
    assert on_disk["files"] == want and on_disk["digest"] == manifest["digest"]
    (root / "zh" / "link.pdf").unlink()  # verify_manifest follows file links: a built set has none
    assert verify_manifest(root) == []


def test_a_changed_file_changes_the_digest(tmp_path):
    root = odd_set(tmp_path / "set")
    (root / "zh" / "link.pdf").unlink()
    before = write_manifest(root)["digest"]
    (root / "a-b" / "x").write_text("edited")
    assert verify_manifest(root) == ["a-b/x"]
    assert write_manifest(root)["digest"] != before
