"""Property: `dl500 check` on a mutated fixture book ends with a diagnostic or success, never a traceback or a hang.

A mutation is a (mutator, seed) pair: the mutator changes the copy of the book with random.Random(seed), so every
case Hypothesis finds is reproducible and shrinks to a few small steps. The same mutators drive
benchmarks/bench_mutations.py, which runs 10,000 seeded mutations in forked processes.

Profiles (DL500_MUTATIONS=ci|long): `ci` (default) runs a few dozen derandomised examples in well under 30 s;
`long` (tox -e mutations) runs a thousand.
"""

from __future__ import annotations

import contextlib
import io
import os
import random
import shutil
import signal
import tempfile
import time
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

FIXTURE = Path(__file__).parent / "fixtures" / "minimal"
TIME_LIMIT_S = 30  # per check; the minimal book checks in ~20 ms

settings.register_profile("ci", max_examples=40, deadline=None, derandomize=True, database=None,
                          suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("long", max_examples=1000, deadline=None, database=None,
                          suppress_health_check=[HealthCheck.too_slow])

# --- the mutators: each takes the project folder and a Random, and changes what is under source/ --------------

MARKDOWN_TOKENS = [
    "$", "$$", "\\", "`", "```", "~~~", "```{.python .run}\n", "```{.output}\n", "[", "]", "](", "](#", "]{", "{",
    "}", "{.claim check=\"act.x\"}", "[1]{.claim check=\"\"}", "![x](", "<img src=\"", "<a href='", "<file:///x>",
    "[r]: /etc/passwd\n", "&#106;avascript:", "见 1.1", "第 9.9.9 节", "\n---\n", "---", "\n\n", "\r", "\r\n",
    "\x00", "\x1b", "\ufeff", "\u200b", "# ", "####### ", "\t", "(", ")", "\"", "'", "<", ">", "&", "%", "\\begin{x}",
    "\\left(", "\\end{y}", "{#fig:x}", "[](#)", "[](#fig:)", "[](../../x)", "![](/etc/passwd)", "![](data:,x)",
]
YAML_VALUES = [
    "[1, 2]", "7", "-1", "0", "null", "~", "true", "{a: b}", "{}", "[]", '""', "''", "/etc", "../..", "../../..",
    ".", "&a [*a]", "*undefined", "&x 1", "9" * 5000, "[" * 200 + "]" * 200, "{a: " * 50 + "b" + "}" * 50,
    "!!binary aGVsbG8=", "!!python/object:os.system x", "!!set {a, b}", "!!omap [a: 1]", "2024-13-45", "1e999",
    ".inf", ".nan", "'unterminated", "{", "[", "|\n  block", ">-\n  folded", "? [a]\n: b", "x: y: z", "@", "%TAG",
    "- a\n- b", "\"\\x00\"", "\"\\uD800\"", "😀" * 10, "a" * 20000, "ch01", "[ch01, ch01]", "[ch01, ../..]",
]
BILLION_LAUGHS = "\n".join(
    ['l0: &l0 ["a", "a", "a", "a", "a", "a", "a", "a", "a"]']
    + [f"l{i}: &l{i} [" + ", ".join([f"*l{i - 1}"] * 9) + "]" for i in range(1, 9)]) + "\n"
HOSTILE_UNITS = ["$a ", "[a](#b) 见 1.1 ", "`a``a```", "[a]{.claim ", "<img a ", "[x](", "$x$ ", "\\$", "a" * 50]


def source_files(root: Path, suffixes=(".md", ".yaml", ".py")) -> list[Path]:
    out = []
    for dirpath, dirnames, filenames in os.walk(root / "source"):
        dirnames.sort()
        out += [Path(dirpath) / f for f in sorted(filenames) if f.endswith(suffixes)]
    return [p for p in out if p.is_file() and not p.is_symlink()]


def _pick(root: Path, rng: random.Random, suffixes=(".md", ".yaml")) -> Path | None:
    files = source_files(root, suffixes)
    return rng.choice(files) if files else None


def _edit_bytes(root, rng, edit, suffixes=(".md", ".yaml")):
    f = _pick(root, rng, suffixes)
    if f is None:
        return
    data = bytearray(f.read_bytes())
    f.write_bytes(bytes(edit(data, rng)))


def flip_bytes(root, rng):
    def edit(data, rng):
        for _ in range(rng.randint(1, 8)):
            if data:
                data[rng.randrange(len(data))] = rng.randrange(256)
        return data
    _edit_bytes(root, rng, edit)


def insert_token(root, rng):
    def edit(data, rng):
        for _ in range(rng.randint(1, 4)):
            at = rng.randint(0, len(data))
            data[at:at] = rng.choice(MARKDOWN_TOKENS).encode("utf-8")
        return data
    _edit_bytes(root, rng, edit)


def delete_or_duplicate_range(root, rng):
    def edit(data, rng):
        if not data:
            return data
        a = rng.randrange(len(data))
        b = min(len(data), a + rng.randint(1, 200))
        if rng.random() < 0.5:
            del data[a:b]
        else:
            data[b:b] = data[a:b] * rng.randint(1, 50)
        return data
    _edit_bytes(root, rng, edit)


def truncate_or_reencode(root, rng):
    def edit(data, rng):
        choice = rng.randrange(5)
        if choice == 0:
            return data[:rng.randint(0, len(data))]
        if choice == 1:
            return data.decode("utf-8", "replace").encode("utf-16")
        if choice == 2:
            return b"\xef\xbb\xbf" + data.replace(b"\n", b"\r\n")
        if choice == 3:
            return data.replace(b"\n", b"\r")
        return data + b"\xff\xfe\x80"
    _edit_bytes(root, rng, edit)


def replace_yaml_value(root, rng):
    """A `key: value` line of book.yaml, a chapter.yaml or a front matter gets a hostile value."""
    f = _pick(root, rng)
    if f is None:
        return
    lines = f.read_text("utf-8", "replace").split("\n")
    keyed = [i for i, line in enumerate(lines) if ":" in line and not line.startswith(" " * 8)]
    if not keyed:
        return
    i = rng.choice(keyed)
    key = lines[i].split(":", 1)[0]
    lines[i] = f"{key}: {rng.choice(YAML_VALUES)}"
    f.write_text("\n".join(lines), "utf-8")


def add_yaml_lines(root, rng):
    """Duplicate keys, aliases, a billion laughs, or a deep nest after the first line of a YAML block."""
    f = _pick(root, rng)
    if f is None:
        return
    text = f.read_text("utf-8", "replace")
    extra = rng.choice([BILLION_LAUGHS, "id: dup\nid: dup\n", "x: &a [1]\ny: *a\n", "<<: *nothing\n",
                        "deep:\n" + "".join("  " * (k + 1) + f"k{k}:\n" for k in range(60)) + "  " * 61 + "v\n",
                        "- " * 40 + "x\n", "? complex\n: key\n", "!!str : x\n"])
    at = text.find("\n") + 1 if text.startswith("---\n") else 0
    f.write_text(text[:at] + extra + text[at:], "utf-8")


def change_file_kind(root, rng):
    """A file or chapter folder becomes a directory, a FIFO, a symlink (to itself, nowhere, outside) or huge."""
    files = source_files(root) + [p for p in (root / "source").iterdir() if p.is_dir()]
    if not files:
        return
    p = rng.choice(sorted(files))
    kind = rng.choice(["dir", "fifo", "self", "dangling", "outside", "etc", "empty", "sparse", "dir-with-md"])
    shutil.rmtree(p) if p.is_dir() and not p.is_symlink() else p.unlink()
    if kind in ("dir", "dir-with-md"):
        p.mkdir()
        if kind == "dir-with-md":
            (p / "x.zh.md").mkdir()
    elif kind == "fifo":
        os.mkfifo(p)
    elif kind == "self":
        os.symlink(p.name, p)
    elif kind == "dangling":
        os.symlink("no-such-file", p)
    elif kind == "outside":
        secret = root.parent / "secret.md"
        secret.write_text("---\nid: secret\ntitle: 秘密\ncontributors: [a-b]\n---\n\n秘密\n", "utf-8")
        os.symlink(secret, p)
    elif kind == "etc":
        os.symlink("/etc", p)
    elif kind == "empty":
        p.write_bytes(b"")
    else:
        with open(p, "wb") as fh:
            fh.truncate(rng.choice([300 * 1024, 50 * 1024 * 1024]))


def long_lines(root, rng):
    """Lines of repeated markup: one far over the line limit, or many just under it (the validators' worst case)."""
    f = _pick(root, rng, (".md",))
    if f is None:
        return
    unit = rng.choice(HOSTILE_UNITS)
    if rng.random() < 0.3:
        block = unit * (200_000 // len(unit))
    else:
        line = unit * (9_000 // len(unit))
        block = "\n".join([line] * rng.randint(1, 25))
    with open(f, "a", encoding="utf-8") as fh:
        fh.write("\n" + block + "\n")


def change_chapter_list(root, rng):
    book = root / "source" / "book.yaml"
    if not book.is_file() or book.is_symlink():
        return
    text = book.read_text("utf-8", "replace")
    entry = rng.choice(["..", "../..", "/etc", "/", "ch01/chapter.yaml", "missing", "ch01", "", "~", ".", "7"])
    book.write_text(text.replace("chapters: [", f"chapters: [{entry}, ", 1), "utf-8")


MUTATORS = {f.__name__: f for f in (flip_bytes, insert_token, delete_or_duplicate_range, truncate_or_reencode,
                                    replace_yaml_value, add_yaml_lines, change_file_kind, long_lines,
                                    change_chapter_list)}


def make_book(tmp: Path, project: Path = FIXTURE) -> Path:
    """A copy of a project's source/ (and checks/ and the front-matter cache, when it has them) under tmp."""
    root = tmp / "book"
    skip = shutil.ignore_patterns("build", ".dl500-cache", "__pycache__")
    for part in ("source", "checks"):
        if (project / part).is_dir():
            shutil.copytree(project / part, root / part, ignore=skip)
    cache = project / ".dl500-cache" / "frontmatter.json"
    if cache.is_file():
        (root / ".dl500-cache").mkdir()
        shutil.copyfile(cache, root / ".dl500-cache" / "frontmatter.json")
    return root


def apply_mutations(root: Path, steps) -> None:
    for name, seed in steps:
        MUTATORS[name](root, random.Random(seed))


def check_in_process(root: Path) -> int:
    """`dl500 check --no-claims` in this process; its exit code (a traceback propagates)."""
    from pipeline.cli import main
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        return main(["check", str(root), "--no-claims", "--format", "json"])


@contextlib.contextmanager
def time_limit(seconds: int):
    def timed_out(signum, frame):
        raise TimeoutError(f"check still running after {seconds} s: a hang")
    previous = signal.signal(signal.SIGALRM, timed_out)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


settings.load_profile(os.environ.get("DL500_MUTATIONS", "ci"))
STEPS = st.lists(st.tuples(st.sampled_from(sorted(MUTATORS)), st.integers(0, 2**32 - 1)), min_size=1, max_size=3)


@given(steps=STEPS)
def test_mutated_book_gives_diagnostics_never_a_traceback(steps):
    with tempfile.TemporaryDirectory() as tmp:
        root = make_book(Path(tmp))
        apply_mutations(root, steps)
        start = time.monotonic()
        with time_limit(TIME_LIMIT_S):
            rc = check_in_process(root)
        assert rc in (0, 1, 2)
        assert time.monotonic() - start < TIME_LIMIT_S


def test_every_mutator_changes_the_book():
    """A mutator that silently does nothing would make the property test pass for the wrong reason."""
    for name in sorted(MUTATORS):
        changed = 0
        for seed in range(5):
            with tempfile.TemporaryDirectory() as tmp:
                root = make_book(Path(tmp))
                before = _snapshot(root)
                apply_mutations(root, [(name, seed)])
                changed += _snapshot(root) != before
        assert changed >= 3, name


def _snapshot(root: Path) -> dict:
    out = {}
    for dirpath, dirnames, filenames in os.walk(root / "source"):
        for name in dirnames + filenames:
            p = Path(dirpath) / name
            kind = "link" if p.is_symlink() else "dir" if p.is_dir() else "file" if p.is_file() else "other"
            out[str(p)] = (kind, os.readlink(p) if kind == "link" else p.read_bytes() if kind == "file" else None)
    return out
