"""Length-prefixed JSON frames on a pipe: the only way results travel between the pipeline and its workers."""

from __future__ import annotations

import json
import os
import select
import struct
import time

HEADER = struct.Struct(">Q")
MAX_FRAME = 8 * 1024 * 1024  # a reply larger than this is refused, never parsed


class FrameError(Exception):
    """A frame that is malformed, too large, or did not arrive in time."""


def write_frame(fd: int, obj) -> None:
    data = json.dumps(obj, separators=(",", ":")).encode("utf-8")
    if len(data) > MAX_FRAME:
        raise FrameError(f"frame of {len(data)} bytes is over the {MAX_FRAME}-byte limit")
    buf = HEADER.pack(len(data)) + data
    while buf:
        n = os.write(fd, buf)
        buf = buf[n:]


def _read_exact(fd: int, n: int, deadline: float | None) -> bytes | None:
    chunks, got = [], 0
    while got < n:
        if deadline is not None:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([fd], [], [], left)[0]:
                raise FrameError("no reply in time")
        chunk = os.read(fd, min(n - got, 1 << 20))
        if not chunk:
            if got == 0:
                return None
            raise FrameError("the pipe closed in the middle of a frame")
        chunks.append(chunk)
        got += len(chunk)
    return b"".join(chunks)


def read_frame(fd: int, timeout: float | None = None):
    """The next frame's object, or None at a clean end of stream; FrameError for anything else."""
    deadline = None if timeout is None else time.monotonic() + timeout
    head = _read_exact(fd, HEADER.size, deadline)
    if head is None:
        return None
    (size,) = HEADER.unpack(head)
    if size > MAX_FRAME:
        raise FrameError(f"a frame announced {size} bytes, over the {MAX_FRAME}-byte limit")
    data = _read_exact(fd, size, deadline)
    if data is None:
        raise FrameError("the pipe closed after a frame header")
    try:
        return json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as e:
        raise FrameError(f"a frame is not JSON: {e}") from None


def parse_frames(data: bytes) -> list:
    """All frames in a complete buffer (a task child's whole output); FrameError if it is not exactly frames."""
    out, pos = [], 0
    while pos < len(data):
        if len(data) - pos < HEADER.size:
            raise FrameError("trailing bytes after the last frame")
        (size,) = HEADER.unpack_from(data, pos)
        pos += HEADER.size
        if size > MAX_FRAME or pos + size > len(data):
            raise FrameError("a frame is truncated or too large")
        try:
            out.append(json.loads(data[pos:pos + size].decode("utf-8")))
        except (UnicodeDecodeError, ValueError) as e:
            raise FrameError(f"a frame is not JSON: {e}") from None
        pos += size
    return out
