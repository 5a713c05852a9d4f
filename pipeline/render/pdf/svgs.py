"""The SVGs of an edition's formulas and drawn figures, stored once by content for the layout workers.

As data: URIs inline, the ~5,900 formulas made each edition's HTML ~39 MB: held by the build process (with its
parts' copies, ~0.8 GiB for both editions), hashed, pickled to every worker and tokenized by WeasyPrint's HTML
parser. Instead each SVG is written once to `pdf-parts/svg/<sha256>.svg` and the HTML says
`src="dl500-svg:<sha256>"`; the layout worker's URL fetcher reads it back. The name is the content's hash, so the
part HTML (and its cache key) still changes with any formula, and a file that is not a plain file, is too large or
does not hash to its name (planted in the working tree's cache, say) is refused: the layout fails, it never
draws something else.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

from ...cache import read_small_file, write_atomic

SCHEME = "dl500-svg:"
KEY = re.compile(r"[0-9a-f]{64}")


class SvgStore:
    """Writes each distinct SVG once (verifying what an earlier build left) and names it by its hash."""

    def __init__(self, folder: Path):
        self.folder = Path(folder)
        self.known: dict = {}  # svg text -> src

    def src(self, svg: str) -> str:
        hit = self.known.get(svg)
        if hit is not None:
            return hit
        data = svg.encode("utf-8")
        key = hashlib.sha256(data).hexdigest()
        path = self.folder / f"{key}.svg"
        if read_small_file(path) != data:
            write_atomic(path, data)
        self.known[svg] = SCHEME + key
        return self.known[svg]


# (folder, sha256) -> bytes already read and checked in this process (a formula is fetched twice: once by WeasyPrint, once by
# the direct drawing in pdf.drawings), up to MEMO_BYTES
_verified: dict = {}
_memo_size = [0]
MEMO_BYTES = 64 * 1024 * 1024


def fetch(url: str, folder: Path) -> bytes:
    """The SVG that `url` (dl500-svg:<sha256>) names, or ValueError. What was read and checked once in this
    process is given again without reading (its name is its content's hash)."""
    key = url[len(SCHEME):]
    if not KEY.fullmatch(key):
        raise ValueError(f"dl500: not a stored SVG: {url[:80]}")
    hit = _verified.get((str(folder), key))
    if hit is not None:
        return hit
    data = read_small_file(Path(folder) / f"{key}.svg")
    if data is None or hashlib.sha256(data).hexdigest() != key:
        raise ValueError(f"dl500: the stored SVG {key[:12]}… is missing or altered ({folder})")
    if _memo_size[0] + len(data) > MEMO_BYTES:
        _verified.clear()
        _memo_size[0] = 0
    _verified[(str(folder), key)] = data
    _memo_size[0] += len(data)
    return data
