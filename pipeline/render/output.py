"""Atomic output: single files written beside the target and renamed; a build's whole set swapped in at once.

The output folder (build/) holds the published set through links that never change:

    build/zh -> .current/zh, build/en -> .current/en, build/site -> .current/site, build/manifest.json -> …
    build/.current -> .sets/<id>         (one symlink, replaced by rename(2): the swap)
    build/.sets/<id>/                    (a complete set: zh/, en/, site/, the report, manifest.json)

A build stages its set in build/.sets/staging-<pid>/ (unchanged files of the current set hard-linked in, so an
unchanged PDF costs nothing), writes every output there, writes manifest.json (size and sha256 of every file),
and only then replaces the .current link. A failed or killed build leaves .current, and so every published file,
as it was; the next build removes the staging folder it left. Files in a set are never written in place (every
writer renames a new file over the old one), so a hard link shared with the previous set is never changed.
A FileLock on build/.dl500-build.lock keeps a second build out of the folder while the first one runs.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import time
from pathlib import Path

SETS = ".sets"
CURRENT = ".current"
MANIFEST = "manifest.json"
LOCK = ".dl500-build.lock"


def atomic_write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        tmp.write_bytes(data)
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()


class BuildLocked(Exception):
    """Another build holds the output folder's lock past the wait allowed."""


def lock_output_folder(out_dir: Path, wait_s: float, on_wait=None):
    """The output folder's lock (filelock), held until released; waits up to `wait_s` seconds for another build,
    calling `on_wait(owner)` once first, and raises BuildLocked when the wait runs out."""
    from filelock import FileLock, Timeout
    out_dir.mkdir(parents=True, exist_ok=True)
    lock = FileLock(str(out_dir / LOCK))
    try:
        lock.acquire(timeout=0)
    except Timeout:
        owner = lock_owner(out_dir)
        if on_wait is not None:
            on_wait(owner)
        try:
            lock.acquire(timeout=max(0.0, wait_s))
        except Timeout:
            raise BuildLocked(owner) from None
    (out_dir / (LOCK + ".owner")).write_text(f"{os.getpid()}\n", "utf-8")
    return lock


def lock_owner(out_dir: Path) -> str:
    try:
        return (out_dir / (LOCK + ".owner")).read_text("utf-8").strip() or "?"
    except OSError:
        return "?"


class OutputSet:
    """One build's outputs, staged apart and published together (see the module's docstring)."""

    def __init__(self, out_dir: Path):
        self.out = Path(out_dir)
        self.sets = self.out / SETS
        self.staging = self.sets / f"staging-{os.getpid()}-{time.monotonic_ns()}"

    def begin(self) -> Path:
        """Create the staging folder holding the current set's folders (hard links); top-level files such as the
        report and the manifest are not carried: every build writes them anew."""
        self.remove_leftovers()
        self.staging.mkdir(parents=True)
        current = self.current()
        if current is not None:
            for entry in sorted(current.iterdir()):
                if entry.is_dir() and not entry.is_symlink():
                    link_tree(entry, self.staging / entry.name)
        else:
            self.adopt_unmanaged_folders()
        return self.staging

    def path(self, final: Path) -> Path:
        """Where an output that will be published at `final` (under the output folder) is written now."""
        return self.staging / Path(final).relative_to(self.out)

    def final(self, staged: Path) -> Path:
        """The published path of a file written under the staging folder (other paths are returned as they are)."""
        try:
            return self.out / Path(staged).relative_to(self.staging)
        except ValueError:
            return Path(staged)

    def current(self) -> Path | None:
        link = self.out / CURRENT
        return link.resolve() if link.is_symlink() and link.resolve().is_dir() else None

    def commit(self) -> dict:
        """Write the manifest, then swap the staged set in with one rename; returns the manifest."""
        manifest = write_manifest(self.staging)
        unique = self.staging.name.removeprefix("staging-")  # pid and clock: two builds in one second differ
        name = f"{time.strftime('%Y%m%dT%H%M%S', time.gmtime())}-{manifest['digest'][:12]}-{unique}"
        final = self.sets / name
        os.rename(self.staging, final)
        previous = self.current()
        replace_symlink(self.out / CURRENT, f"{SETS}/{name}")
        for entry in sorted(final.iterdir()):
            self.link_entry(entry.name)
        if previous is not None and previous != final:
            shutil.rmtree(previous, ignore_errors=True)
        return manifest

    def abort(self) -> None:
        shutil.rmtree(self.staging, ignore_errors=True)

    def link_entry(self, name: str) -> None:
        """build/<name> -> .current/<name>, made once: later swaps move it with .current."""
        top = self.out / name
        want = f"{CURRENT}/{name}"
        if top.is_symlink() and os.readlink(top) == want:
            return
        if top.is_dir() and not top.is_symlink():  # a folder from before sets (or from `dl500 serve`)
            aside = self.sets / f"old-{name}-{os.getpid()}"
            os.rename(top, aside)
            shutil.rmtree(aside, ignore_errors=True)
        replace_symlink(top, want)

    def adopt_unmanaged_folders(self) -> None:
        """First build with sets: outputs of an older build (real folders zh/, en/, site/) are carried like a set."""
        for name in ("zh", "en", "site"):
            old = self.out / name
            if old.is_dir() and not old.is_symlink():
                link_tree(old, self.staging / name)

    def remove_leftovers(self) -> None:
        """Staging folders of builds that were killed (the lock is ours, so none is in use) and stray sets."""
        if not self.sets.is_dir():
            return
        keep = self.current()
        for entry in self.sets.iterdir():
            if entry.resolve() != keep:
                shutil.rmtree(entry, ignore_errors=True)


def replace_symlink(path: Path, target: str) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.link")
    if tmp.is_symlink() or tmp.exists():
        tmp.unlink()
    os.symlink(target, tmp)
    os.replace(tmp, path)


def link_tree(src: Path, dst: Path) -> None:
    """Copy a folder as hard links (a copy where the file system has none)."""
    def link(s, d):
        try:
            os.link(s, d)
        except OSError:
            shutil.copy2(s, d)
    shutil.copytree(src, dst, symlinks=True, copy_function=link)


def file_digest(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def set_files(folder: Path) -> list[tuple[str, str]]:
    """(path relative to `folder` with "/", full path) of every plain file under it but manifests, sorted; links
    are neither followed nor listed. One scandir per folder: the site's 6,600 files in ~0.05 s, not ~0.2 s."""
    out, folders = [], [("", os.fspath(folder))]
    while folders:
        prefix, path = folders.pop()
        with os.scandir(path) as entries:
            for e in entries:
                if e.is_symlink():
                    continue
                if e.is_dir():
                    folders.append((f"{prefix}{e.name}/", e.path))
                elif e.is_file() and e.name != MANIFEST:
                    out.append((prefix + e.name, e.path))
    return sorted(out, key=lambda item: item[0].split("/"))  # the order of sorted(Path.rglob()): by parts


def size_and_digest(path: str) -> tuple[int, str]:
    """A file's size and sha256, from one open."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        size = os.fstat(f.fileno()).st_size
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return size, h.hexdigest()


def write_manifest(folder: Path) -> dict:
    """manifest.json: every file of the set with its size and sha256, and one digest over all of them."""
    files = {}
    for rel, path in set_files(folder):
        size, sha = size_and_digest(path)
        files[rel] = {"size": size, "sha256": sha}
    digest = hashlib.sha256(json.dumps(files, sort_keys=True).encode()).hexdigest()
    manifest = {"schema": "dl500.output-set/1", "digest": digest, "files": files}
    (folder / MANIFEST).write_text(json.dumps(manifest, indent=1, sort_keys=True) + "\n", "utf-8")
    return manifest


def verify_manifest(folder: Path) -> list[str]:
    """Files of a published set that differ from its manifest (empty: the set is whole)."""
    manifest = json.loads((Path(folder) / MANIFEST).read_text("utf-8"))
    bad = [rel for rel, rec in manifest["files"].items()
           if not (Path(folder) / rel).is_file() or file_digest(Path(folder) / rel) != rec["sha256"]]
    extra = [p.relative_to(folder).as_posix() for p in Path(folder).rglob("*")
             if p.is_file() and p.name != MANIFEST and p.relative_to(folder).as_posix() not in manifest["files"]]
    return bad + extra
