"""Images: resolve legacy paths (img/…, ./img/…, ../img/…), plan copies beside the chapter, list remote and missing."""

from __future__ import annotations

import re
from pathlib import Path, PurePosixPath
from urllib.parse import unquote

from .report import Report

REMOTE = re.compile(r"^(?:[a-z][a-z0-9+.-]*:|//)", re.I)


class ChapterImages:
    """The images one chapter's bodies use: dest path inside the chapter folder -> source file."""

    def __init__(self, root: Path, chapter_dir: Path, report: Report):
        self.root = root
        self.chapter_dir = chapter_dir
        self.report = report
        self.copies: dict[str, Path] = {}
        self.remote: list[str] = []

    def candidates(self, path: str, md_dir: Path) -> list[Path]:
        stripped = re.sub(r"^(?:\.{1,2}/)+", "", path)
        return [md_dir / path, self.chapter_dir / stripped, md_dir / stripped, self.root / stripped]

    def dest_for(self, path: str) -> str:
        parts = [p for p in PurePosixPath(re.sub(r"^(?:\.{1,2}/)+", "", path)).parts if p not in ("..", ".", "/")]
        if "img" in parts:
            parts = parts[len(parts) - 1 - parts[::-1].index("img"):]
        else:
            parts = ["img", *parts]
        return "/".join(parts)

    def claim(self, dest: str, src: Path) -> str:
        """Reserve dest for src; a different file already there gets a suffixed name."""
        stem, dot, ext = dest.rpartition(".")
        n = 1
        cand = dest
        while cand in self.copies and self.copies[cand] != src and \
                self.copies[cand].read_bytes() != src.read_bytes():
            n += 1
            cand = f"{stem}-{n}.{ext}" if dot else f"{dest}-{n}"
        self.copies.setdefault(cand, src)
        return cand

    def rewrite(self, url: str, md_file, line: int) -> str:
        """The URL to write for a legacy image URL; reports remote and missing images."""
        if url.startswith("data:"):
            return url
        if REMOTE.match(url):
            self.report.add("remote-image", md_file.rel, line, f"remote image {url} (not fetched)")
            self.remote.append(url)
            return url
        path = unquote(url.split("#", 1)[0].split("?", 1)[0])
        for cand in self.candidates(path, md_file.path.parent):
            try:
                found = cand.resolve()
            except OSError:
                continue
            if found.is_file() and found.is_relative_to(self.root):
                return self.claim(self.dest_for(path), found)
        self.report.add("missing-image", md_file.rel, line, f"image {url} does not exist")
        return url
