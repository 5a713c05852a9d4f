"""Scan a legacy repository: which chapter folders exist, which variant and which Markdown file each uses."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote

CHAPTER_DIR = re.compile(r"^ch(?P<num>\d{1,2})_(?P<title>.+)$", re.I)
ENGLISH_DIR = "English version"
DEFAULT_CHAPTERS = "1-18"


class ImportFailure(Exception):
    """The user asked for something the importer cannot do; a message and a hint, exit code 2."""

    def __init__(self, message: str, hint: str = ""):
        super().__init__(message)
        self.message = message
        self.hint = hint


@dataclass(frozen=True)
class LegacyFile:
    path: Path
    rel: str  # relative to the legacy root, with forward slashes


@dataclass
class LegacyChapter:
    number: int
    folder: LegacyFile
    folder_title: str
    main: LegacyFile
    english: LegacyFile | None = None
    extras: list = field(default_factory=list)


def legacy_file(root: Path, path: Path) -> LegacyFile:
    return LegacyFile(path, path.relative_to(root).as_posix())


def parse_chapter_spec(spec: str | None) -> list[int]:
    """'1-18', '1,3,5' or '2-4,7' → sorted chapter numbers."""
    spec = spec or DEFAULT_CHAPTERS
    out: set[int] = set()
    for part in spec.replace(" ", "").split(","):
        m = re.fullmatch(r"(\d+)(?:-(\d+))?", part)
        if not m:
            raise ImportFailure(f"--chapters: cannot read '{part}'", "write numbers and ranges, e.g. 1-18 or 1,3,5")
        lo, hi = int(m.group(1)), int(m.group(2) or m.group(1))
        if lo > hi:
            raise ImportFailure(f"--chapters: range '{part}' runs backwards", f"write {hi}-{lo}")
        out.update(range(lo, hi + 1))
    return sorted(out)


def read_variants(path: str | None) -> dict[int, str]:
    """The variant mapping file: YAML `18: ch18_<folder name>` lines."""
    if not path:
        return {}
    from ruamel.yaml import YAML
    from ruamel.yaml.error import YAMLError
    p = Path(path)
    if not p.is_file():
        raise ImportFailure(f"--variants: no such file: {path}", "write a YAML mapping, e.g. 18: ch18_<folder>")
    try:
        data = YAML(typ="safe").load(p.read_text("utf-8-sig"))
    except (YAMLError, UnicodeDecodeError) as e:
        raise ImportFailure(f"--variants: {path} is not readable YAML: {e}", "write lines like 18: ch18_<folder>") from None
    if not isinstance(data, dict) or not all(str(k).isdigit() and isinstance(v, str) for k, v in data.items()):
        raise ImportFailure(f"--variants: {path} must map chapter numbers to folder names",
                            "e.g. 18: ch18_<folder name>")
    return {int(k): v for k, v in data.items()}


def sidebar_order(root: Path) -> dict[int, str]:
    """Chapter number → the folder the legacy README links first (the sidebar a reader sees)."""
    for name in ("README.md", "readme.md", "Readme.md"):
        p = root / name
        if p.is_file():
            text = unquote(p.read_text("utf-8-sig", errors="replace"))
            out: dict[int, str] = {}
            for m in re.finditer(r"(?<![\w/])(ch\d{1,2}_[^/)\]\s\"'#]+)/", text, re.I):
                num = int(CHAPTER_DIR.match(m.group(1)).group("num"))
                out.setdefault(num, m.group(1))
            return out
    return {}


def chapter_folders(root: Path) -> dict[int, list[Path]]:
    out: dict[int, list[Path]] = {}
    for p in sorted(root.iterdir()):
        m = CHAPTER_DIR.match(p.name)
        if p.is_dir() and m:
            out.setdefault(int(m.group("num")), []).append(p)
    return out


def markdown_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.is_file() and p.suffix.lower() == ".md"
                  and p.stem.lower() != "readme")


def choose_main(files: list[Path]) -> Path | None:
    """The chapter's main file: `第X章_….md` when there is one, else the largest Markdown file."""
    if not files:
        return None
    named = [f for f in files if re.match(r"^第.+章", f.name) or re.match(r"^chapter", f.name, re.I)]
    pool = named or files
    return sorted(pool, key=lambda f: (-f.stat().st_size, f.name))[0]


def english_chapters(root: Path) -> dict[int, Path]:
    base = root / ENGLISH_DIR
    out: dict[int, Path] = {}
    if not base.is_dir():
        return out
    for p in sorted(base.iterdir()):
        m = CHAPTER_DIR.match(p.name)
        if p.is_dir() and m:
            main = choose_main(markdown_files(p))
            if main is not None:
                out.setdefault(int(m.group("num")), main)
    return out


def check_layout(root: Path) -> dict[int, list[Path]]:
    if not root.exists():
        raise ImportFailure(f"no such folder: {root}", "pass the folder of the legacy repository")
    if not root.is_dir():
        raise ImportFailure(f"not a folder: {root}", "pass the folder of the legacy repository")
    folders = chapter_folders(root)
    if not folders:
        raise ImportFailure(f"{root} is not a legacy layout: no chNN_<title>/ chapter folders in it",
                            "pass the root of a repository laid out like scutan90/DeepLearning-500-questions")
    return folders


def pick_variant(num: int, candidates: list[Path], variants: dict[int, str], sidebar: dict[int, str]) -> Path:
    if num in variants:
        for c in candidates:
            if c.name == variants[num]:
                return c
        raise ImportFailure(f"--variants: chapter {num} has no folder '{variants[num]}'",
                            "choose one of: " + ", ".join(c.name for c in candidates))
    for c in candidates:
        if c.name == sidebar.get(num):
            return c
    return candidates[0]


def scan_legacy(root: Path, spec: str | None, variants_path: str | None):
    """Return (chapters, notes): the chapters to import and what the scan noticed, as report defects."""
    root = Path(root).resolve()
    folders = check_layout(root)
    wanted = parse_chapter_spec(spec)
    variants = read_variants(variants_path)
    explicit = spec is not None
    sidebar = sidebar_order(root)
    english = english_chapters(root)
    chapters, notes, missing = [], [], []
    for num in wanted:
        candidates = folders.get(num)
        if not candidates:
            if explicit:
                raise ImportFailure(f"--chapters: the legacy repository has no chapter {num}",
                                    "chapters present: " + ", ".join(map(str, sorted(folders))))
            missing.append(num)
            continue
        folder = pick_variant(num, candidates, variants, sidebar)
        for other in candidates:
            if other != folder:
                notes.append(("variant-skipped", legacy_file(root, other).rel, 1,
                              f"chapter {num} also exists as {other.name}; took {folder.name}"))
        files = markdown_files(folder)
        main = choose_main(files)
        if main is None:
            notes.append(("no-main-file", legacy_file(root, folder).rel, 1, f"chapter {num} has no Markdown file"))
            continue
        for extra in files:
            if extra != main:
                notes.append(("extra-file", legacy_file(root, extra).rel, 1,
                              f"not imported: the chapter's main file is {main.name}"))
        title = CHAPTER_DIR.match(folder.name).group("title")
        en = english.get(num)
        chapters.append(LegacyChapter(num, legacy_file(root, folder), title, legacy_file(root, main),
                                      legacy_file(root, en) if en else None))
    if missing:
        notes.append(("missing-chapter", "", 1, "no folder for chapter(s) " + ", ".join(map(str, missing))))
    for num, path in sorted(english.items()):
        if num not in {c.number for c in chapters}:
            notes.append(("unmatched-translation", legacy_file(root, path).rel, 1,
                          f"English chapter {num} has no imported Chinese chapter"))
    if not chapters:
        raise ImportFailure(f"no chapter of {spec or DEFAULT_CHAPTERS} found in {root}",
                            "chapters present: " + ", ".join(map(str, sorted(folders))))
    return root, chapters, notes
