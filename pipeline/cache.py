"""One content-addressed cache for every stage: a folder of plain files under .dl500-cache/, one per key.

A key is the SHA-256 of everything the value depends on (the inputs and the versions of the tools that made it),
so a hit can never be stale and nothing is ever invalidated by hand. The cache lives in the working tree, where a
pull request can put anything: reads take only regular files under a size cap (a committed symlink to /dev/zero or
a FIFO is a miss, never a hang), and a value of the wrong shape is the caller's miss too. Writes go to a temporary
file in the same folder and are renamed into place, so a reader (or a killed writer) never sees half an entry.
Each namespace keeps itself under a size cap by removing the entries used least recently (a hit touches its file).

Why not diskcache: its index is an SQLite file and its default values are pickles, so a cache committed to a pull
request would be code we run; plain JSON/HTML/SVG files are also what tests and `--verify-cache` inspect and edit.
"""

from __future__ import annotations

import hashlib
import json
import os
import stat
import threading
import time
from dataclasses import dataclass
from pathlib import Path

CACHE_FOLDER = ".dl500-cache"
ENTRY_LIMIT = 16 * 1024 * 1024  # bytes; no single rendered fragment, formula, figure or claim result comes near it
DEFAULT_MAX_BYTES = 1024 * 1024 * 1024  # per namespace
TEMP_SUFFIX = ".tmp"
STALE_TEMP_S = 3600.0  # a temporary file this old belongs to a writer that died


def key(*parts: str | bytes) -> str:
    """The SHA-256 of the parts (each length-prefixed, so ("ab", "c") and ("a", "bc") differ), 32 hex digits."""
    h = hashlib.sha256()
    for p in parts:
        b = p if isinstance(p, bytes) else str(p).encode("utf-8")
        h.update(len(b).to_bytes(8, "big") + b)
    return h.hexdigest()[:32]


def cache_root(project: Path) -> Path:
    """The cache folder of a project (the folder that holds source/)."""
    return Path(project) / CACHE_FOLDER


TOUCH_AFTER_S = 3600


def open_plain_file(path) -> tuple[int, os.stat_result] | None:
    """(an open read-only descriptor, its stat) of `path`, or None unless it is a regular file reached without
    following a symlink: a FIFO or device is opened non-blocking and refused before anything reads it. The caller
    closes the descriptor."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError:
        return None
    try:
        st = os.fstat(fd)
    except OSError:
        os.close(fd)
        return None
    if not stat.S_ISREG(st.st_mode):
        os.close(fd)
        return None
    return fd, st


def read_small_file(path: Path, limit: int = ENTRY_LIMIT, touch: bool = False) -> bytes | None:
    """A file's bytes, or None unless it is a regular file (no symlink, FIFO or device) of at most `limit` bytes.

    `touch` marks it as just used (its modification time), for the least-recently-used pruning, at most once an
    hour (TOUCH_AFTER_S): pruning counts in days, and a build hits thousands of entries.
    """
    opened = open_plain_file(path)
    if opened is None:
        return None
    fd, st = opened
    try:
        if st.st_size > limit:
            return None
        chunks, left = [], limit + 1  # plain os.read: a build reads ~13,000 entries, a file object each was 4x slower
        while left > 0:
            chunk = os.read(fd, min(left, st.st_size + 1))
            if not chunk:
                break
            chunks.append(chunk)
            left -= len(chunk)
        data = b"".join(chunks)
        if touch and time.time() - st.st_mtime > TOUCH_AFTER_S:
            try:
                os.utime(fd)
            except OSError:  # a read-only cache still serves hits
                pass
        return data if len(data) <= limit else None
    except OSError:
        return None
    finally:
        os.close(fd)


def read_json(path: Path) -> dict:
    """A small JSON object the pipeline wrote (a record beside the cache entries), or {} when it is missing, not a
    plain file, too large or not a JSON object."""
    data = read_small_file(path)
    try:
        value = json.loads(data) if data is not None else {}
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def write_atomic(path: Path, data: bytes) -> None:
    """Write through a temporary file in the same folder, renamed into place: readers see all of it or nothing."""
    path.parent.mkdir(parents=True, exist_ok=True)
    # pid and thread: two threads may store the same key (identical blocks in zh and en)
    tmp = path.parent / f".{path.name}.{os.getpid()}.{threading.get_ident()}{TEMP_SUFFIX}"
    tmp.unlink(missing_ok=True)  # left by a dead writer whose pid came back; "x" below never follows a link
    try:
        with open(tmp, "xb") as f:
            f.write(data)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


@dataclass
class Freed:
    """What a clean or a prune removed."""
    files: int = 0
    bytes: int = 0

    def add(self, other: Freed) -> Freed:
        return Freed(self.files + other.files, self.bytes + other.bytes)


class ContentCache:
    """One namespace of the cache: `folder/<key><suffix>`, values as bytes, text or JSON."""

    def __init__(self, folder: Path, *, suffix: str = ".json", versions: tuple = (), enabled: bool = True,
                 max_bytes: int = DEFAULT_MAX_BYTES, entry_limit: int = ENTRY_LIMIT):
        self.folder = Path(folder)
        self.suffix = suffix
        self.versions = tuple(versions)
        self.enabled = enabled
        self.max_bytes = max_bytes
        self.entry_limit = entry_limit
        self._written = 0  # bytes written since the last prune

    def key(self, *parts: str | bytes) -> str:
        """The key of a value made from `parts` by the tools this namespace was created with (`versions`)."""
        return key(*self.versions, *parts)

    def path(self, k: str) -> Path:
        if not k or "/" in k or "\0" in k or k.startswith("."):
            raise ValueError(f"not a cache key: {k!r}")
        return self.folder / f"{k}{self.suffix}"

    def get_bytes(self, k: str) -> bytes | None:
        if not self.enabled:
            return None
        return read_small_file(self.path(k), self.entry_limit, touch=True)

    def put_bytes(self, k: str, data: bytes) -> None:
        if len(data) > self.entry_limit:
            return  # it could never be read back
        write_atomic(self.path(k), data)
        self._written += len(data)
        if self._written > self.max_bytes // 8:
            self.prune()

    def get_text(self, k: str) -> str | None:
        data = self.get_bytes(k)
        try:
            return data.decode("utf-8") if data is not None else None
        except UnicodeDecodeError:
            return None

    def put_text(self, k: str, text: str) -> None:
        self.put_bytes(k, text.encode("utf-8"))

    def get_json(self, k: str):
        """The stored value, or None when absent or not JSON (the caller checks its shape)."""
        data = self.get_bytes(k)
        try:
            return json.loads(data) if data is not None else None
        except (ValueError, RecursionError):
            return None

    def put_json(self, k: str, value) -> None:
        self.put_bytes(k, json.dumps(value).encode("utf-8"))

    def delete(self, k: str) -> None:
        self.path(k).unlink(missing_ok=True)

    def entries(self) -> list[tuple[Path, int, float]]:
        """(path, size, last used) of every plain-file entry, least recently used first."""
        out = []
        try:
            names = os.listdir(self.folder)
        except OSError:
            return []
        for name in names:
            if name.startswith(".") or not name.endswith(self.suffix):
                continue
            try:
                st = os.lstat(self.folder / name)
            except OSError:
                continue
            if stat.S_ISREG(st.st_mode):
                out.append((self.folder / name, st.st_size, st.st_mtime))
        return sorted(out, key=lambda e: (e[2], e[0].name))

    def prune(self, max_bytes: int | None = None) -> Freed:
        """Remove the least recently used entries until the namespace holds at most `max_bytes`."""
        self._written = 0
        cap = self.max_bytes if max_bytes is None else max_bytes
        entries = self.entries()
        total = sum(size for _, size, _ in entries)
        freed = Freed()
        for p, size, _ in entries:
            if total <= cap:
                break
            try:
                p.unlink()
            except OSError:
                continue
            total -= size
            freed = freed.add(Freed(1, size))
        return freed.add(remove_stale_temps(self.folder))

    def clear(self) -> Freed:
        """Remove every entry of this namespace (and any temporary file a writer left)."""
        return clean(self.folder)


def remove_stale_temps(folder: Path, older_than_s: float = STALE_TEMP_S) -> Freed:
    freed, cutoff = Freed(), time.time() - older_than_s
    try:
        names = os.listdir(folder)
    except OSError:
        return freed
    for name in names:
        if name.startswith(".") and name.endswith(TEMP_SUFFIX):
            freed = freed.add(_remove_if_older(Path(folder) / name, cutoff))
    return freed


def clean(folder: Path, older_than_s: float | None = None) -> Freed:
    """Remove the files under `folder` (all, or those unused for `older_than_s` seconds) and the folders emptied.

    Symbolic links are removed as links, never followed: a committed `.dl500-cache/x -> /home` deletes nothing
    outside the cache. A `folder` that is itself a link is refused (ValueError).
    """
    folder = Path(folder)
    try:
        st = os.lstat(folder)
    except FileNotFoundError:
        return Freed()
    if not stat.S_ISDIR(st.st_mode):
        raise ValueError(f"{folder} is not a folder (a symbolic link or a file): remove it yourself")
    cutoff = None if older_than_s is None else time.time() - older_than_s
    freed = Freed()
    for dirpath, dirnames, filenames in os.walk(folder, topdown=False, followlinks=False):
        for name in filenames + [d for d in dirnames if os.path.islink(os.path.join(dirpath, d))]:
            freed = freed.add(_remove_if_older(Path(dirpath) / name, cutoff))
        if Path(dirpath) != folder:
            try:
                os.rmdir(dirpath)  # only when emptied
            except OSError:
                pass
    return freed


def _remove_if_older(p: Path, cutoff: float | None) -> Freed:
    try:
        st = os.lstat(p)
        if cutoff is not None and st.st_mtime >= cutoff:
            return Freed()
        p.unlink()
    except OSError:
        return Freed()
    return Freed(1, st.st_size if stat.S_ISREG(st.st_mode) else 0)
