"""Translation status: per question, chapter and book, what is reviewed, draft, machine, stale or missing; the report."""

from __future__ import annotations

import datetime as dt
import difflib
import html
import json
import os
import re
import subprocess
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from types import SimpleNamespace

from ruamel.yaml import YAML

from .load import QUESTION_FILE, split_front_matter
from .model import source_hash
from .templates import template_dir
from .validate.reviews import review_state

STATES = ("reviewed", "draft", "machine", "stale", "missing")
CURRENT = ("reviewed", "draft", "machine")  # translated and up to date with the original
SCHEMA_ID = "dl500.translation-status/1"
HISTORY_POINTS = 30  # commits sampled for the chart
MAX_DIFF_REVISIONS = 300  # how far back a stale translation's original is looked for
TEMPLATES = template_dir()
COLOURS = {"reviewed": "#2e9d4c", "draft": "#e0b000", "machine": "#a05cc8", "stale": "#d9453d", "missing": "#c8ccd2"}


@dataclass
class Entry:
    """One question in one translation language."""

    qid: str
    lang: str
    number: str
    chapter: str
    title: str  # the original's title
    state: str  # one of STATES
    status: str | None  # what the translation's front matter says; None when missing
    file: str | None  # the translation (display path); None when missing
    original: str  # the original (display path)
    expected_file: str  # where the translation lives or would live (display path)
    translators: list = field(default_factory=list)
    recorded_hash: str | None = None
    current_hash: str = ""
    diff: str | None = None  # stale only: the original's change since the translated version
    diff_note: str = ""  # stale only: where the diff came from, or why there is none
    review: str = "unreviewed"  # the translation's review record: reviewed, stale (the original changed since), unreviewed
    reviewed_on: str | None = None
    difficulty: int | None = None  # the original's tags
    topics: list = field(default_factory=list)


# --- the model's status ----------------------------------------------------------------------------------

def entry_state(translation, current_hash: str) -> str:
    """A missing or unstamped translation is not current; a stamped one is stale when the original moved on."""
    if translation is None:
        return "missing"
    if translation.source_hash != current_hash:
        return "stale"
    return translation.status if translation.status in CURRENT else "draft"


def question_entries(book) -> list[Entry]:
    """Every (question of the outline with an original, translation language) pair, in reading order."""
    out = []
    seen = set()
    for ch, ref in book.questions():
        orig = book.text(ref.qid, book.primary)
        if orig is None or ref.qid in seen:
            continue
        seen.add(ref.qid)
        h = source_hash(orig)
        for lang in book.translations:
            tr = book.text(ref.qid, lang)
            expected = tr.rel if tr else str(Path(orig.rel).with_name(f"{ref.qid}.{lang}.md"))
            out.append(Entry(
                qid=ref.qid, lang=lang, number=ref.number, chapter=ch.cid, title=orig.title,
                state=entry_state(tr, h), status=tr.status if tr else None, file=tr.rel if tr else None,
                original=orig.rel, expected_file=expected, translators=list(tr.translators) if tr else [],
                recorded_hash=tr.source_hash if tr else None, current_hash=h,
                review=review_state(tr, orig) if tr else "unreviewed",
                reviewed_on=tr.reviewed.on if tr and tr.reviewed else None,
                difficulty=orig.difficulty, topics=list(orig.topics),
            ))
    return out


# --- reviews and tags --------------------------------------------------------------------------------------

REVIEW_STATES = ("reviewed", "stale", "unreviewed")


@dataclass
class Original:
    """One question of the outline in the original language: its review state and tags."""

    qid: str
    chapter: str
    review: str  # reviewed, stale, unreviewed
    reviewed_on: str | None
    difficulty: int | None
    topics: list


def original_entries(book) -> list[Original]:
    out, seen = [], set()
    for ch, ref in book.questions():
        orig = book.text(ref.qid, book.primary)
        if orig is None or ref.qid in seen:
            continue
        seen.add(ref.qid)
        out.append(Original(ref.qid, ch.cid, review_state(orig, orig), orig.reviewed.on if orig.reviewed else None,
                            orig.difficulty, list(orig.topics)))
    return out


def review_counts(items) -> dict:
    """reviewed / stale / unreviewed counts and the oldest review date of entries or originals."""
    c = Counter(i.review for i in items)
    dates = [i.reviewed_on for i in items if i.reviewed_on]
    return {**{s: c.get(s, 0) for s in REVIEW_STATES}, "oldest": min(dates) if dates else None}


def review_summary(book, originals, entries) -> dict:
    return {"originals": review_counts(originals),
            "translations": {lang: review_counts([e for e in entries if e.lang == lang])
                             for lang in book.translations}}


def oldest_review(summary: dict) -> str | None:
    dates = [summary["originals"]["oldest"], *(t["oldest"] for t in summary["translations"].values())]
    dates = [d for d in dates if d]
    return min(dates) if dates else None


def tag_row(book, key: str, title: dict, originals, entries) -> dict:
    qids = {o.qid for o in originals}
    langs = {}
    for lang in book.translations:
        mine = [e for e in entries if e.lang == lang and e.qid in qids]
        translated = sum(e.state in CURRENT for e in mine)
        langs[lang] = {"translated": translated, "reviewed": sum(e.state == "reviewed" for e in mine),
                       "percent_translated": round(100 * translated / len(qids), 1) if qids else 0.0}
    return {"id": key, "title": title, "questions": len(qids),
            "originals_reviewed": sum(o.review == "reviewed" for o in originals), "languages": langs}


def tag_breakdowns(book, originals, entries) -> dict:
    """Questions, translated and reviewed per difficulty and per topic (a question counts under each of its
    topics); untagged questions under "unrated" / "untagged"."""
    from .validate.tags import vocabulary
    voc, _ = vocabulary(book)
    levels = sorted({*voc.difficulty, *(o.difficulty for o in originals if o.difficulty is not None)})
    by_difficulty = [tag_row(book, str(d), dict(voc.difficulty.get(d) or {}),
                             [o for o in originals if o.difficulty == d], entries) for d in levels]
    by_difficulty.append(tag_row(book, "unrated", {}, [o for o in originals if o.difficulty is None], entries))
    used = {t for o in originals for t in o.topics}
    topics = [t for t in voc.topics if t in used] + sorted(used - set(voc.topics))
    by_topic = [tag_row(book, t, dict(voc.topics.get(t) or {}), [o for o in originals if t in o.topics], entries)
                for t in topics]
    by_topic.append(tag_row(book, "untagged", {}, [o for o in originals if not o.topics], entries))
    return {"by_difficulty": [r for r in by_difficulty if r["questions"] or r["id"] != "unrated"],
            "by_topic": [r for r in by_topic if r["questions"]]}


def state_counts(entries) -> dict:
    c = Counter(e.state for e in entries)
    n = len(entries)
    out = {"questions": n, **{s: c.get(s, 0) for s in STATES}}
    out["translated"] = sum(out[s] for s in CURRENT)
    out["percent_translated"] = round(100 * out["translated"] / n, 1) if n else 0.0
    out["percent_reviewed"] = round(100 * out["reviewed"] / n, 1) if n else 0.0
    return out


def chapter_summaries(book, entries) -> list[dict]:
    by_chapter = {}
    for e in entries:
        by_chapter.setdefault(e.chapter, []).append(e)
    out = []
    for ch in book.chapters:
        es = by_chapter.get(ch.cid, [])
        langs = {}
        for lang in book.translations:
            mine = [e for e in es if e.lang == lang]
            who = Counter(t for e in mine for t in e.translators)
            langs[lang] = {**state_counts(mine), "translators": [t for t, _ in who.most_common()]}
        out.append({"id": ch.cid, "number": ch.number, "folder": ch.folder, "title": dict(ch.title),
                    "file": ch.pos.file, "questions": len({e.qid for e in es}), "languages": langs})
    return out


def add_chapter_reviews(book, chapters: list[dict], originals, entries) -> None:
    """Each chapter's review summary (its originals; its translations per language) and oldest review."""
    for c in chapters:
        summary = review_summary(book, [o for o in originals if o.chapter == c["id"]],
                                 [e for e in entries if e.chapter == c["id"]])
        c["reviews"] = summary
        c["oldest_review"] = oldest_review(summary)


# --- git: the diff of a stale original, the history chart ------------------------------------------------

def _git(top: Path, *args: str) -> str:
    r = subprocess.run(["git", "-C", str(top), *args], capture_output=True, text=True, check=False)
    return r.stdout if r.returncode == 0 else ""


def read_blobs(top: Path, specs: list[str]) -> list[bytes | None]:
    """Many objects (`sha`, `rev:path`) in one `git cat-file --batch`; None for those that do not exist."""
    if not specs:
        return []
    r = subprocess.run(["git", "-C", str(top), "cat-file", "--batch"], input="".join(s + "\n" for s in specs).encode(),
                       capture_output=True, check=False)
    data, pos, out = r.stdout, 0, []
    for _ in specs:
        nl = data.find(b"\n", pos)
        if nl < 0:
            out.append(None)
            continue
        header = data[pos:nl].split()
        pos = nl + 1
        if len(header) < 3 or header[1] == b"missing":
            out.append(None)
            continue
        size = int(header[2])
        out.append(data[pos:pos + size] if header[1] == b"blob" else None)
        pos += size + 1
    return out


TITLE_LINE = re.compile(r"^title:[ \t]*(.*?)[ \t]*$", re.M)
TRANSLATION_LINE = re.compile(r"^translation:[ \t]*$", re.M)
TR_FIELD = re.compile(r"^[ \t]+(status|source_hash):[ \t]*([A-Za-z0-9:]+)[ \t]*$", re.M)
PLAIN_UNSAFE = re.compile(r"""^[-?:,\[\]{}#&*!|>'"%@`]|: | #|^(true|false|yes|no|on|off|null|~|[-+.0-9eE_:]+)$""",
                          re.I)


def quick_front_matter(yaml_text: str) -> tuple[str, dict] | None:
    """(title, translation block) read by pattern from the usual one-line-per-key front matter.

    Reading history means parsing thousands of old blobs, and a YAML parse costs about a millisecond; this
    reads the common shape directly and returns None (parse it properly) for anything it cannot be sure of.
    """
    titles = TITLE_LINE.findall(yaml_text)
    if len(titles) != 1 or not titles[0]:
        return None
    title = titles[0]
    quoted = re.fullmatch(r'"([^"\\]*)"|\'([^\']*)\'', title)
    if quoted:
        title = quoted.group(1) if quoted.group(1) is not None else quoted.group(2)
    elif PLAIN_UNSAFE.search(title):
        return None
    after = yaml_text[TITLE_LINE.search(yaml_text).end():].lstrip("\n")
    if after[:1] in (" ", "\t"):
        return None  # a continued plain scalar
    tr = {}
    if "translation:" in yaml_text:
        m = TRANSLATION_LINE.search(yaml_text)
        if m is None:
            return None  # flow style or something else: let YAML decide
        block = re.match(r"(?:[ \t]+.*\n?|[ \t]*\n)*", yaml_text[m.end() + 1:]).group(0)
        tr = dict(TR_FIELD.findall(block))
        if len(tr) != len(re.findall(r"^[ \t]+(?:status|source_hash):", block, re.M)):
            return None  # a comment or an unusual value on those lines
    return title, tr


def parse_question(raw: bytes | None) -> tuple[str, str, dict] | None:
    """(title, body, translation block) of a question file's text, or None when it cannot be read."""
    if raw is None:
        return None
    text = raw.decode("utf-8-sig", errors="replace").replace("\r\n", "\n")
    parts = split_front_matter(text)
    if parts is None:
        return None
    quick = quick_front_matter(parts[0])
    if quick is not None:
        return quick[0], parts[1], quick[1]
    try:
        meta = YAML(typ="safe").load(parts[0])
    except Exception:  # an old revision with broken YAML: skip it, it counts as nothing
        return None
    if not isinstance(meta, dict):
        return None
    tr = meta.get("translation") if isinstance(meta.get("translation"), dict) else {}
    return str(meta.get("title", "")), parts[1], tr


def text_hash(title: str, body: str) -> str:
    return source_hash(SimpleNamespace(title=title, body=body))


def attach_diffs(book, entries, top: Path | None) -> None:
    """For each stale translation: the original's diff since the revision whose hash the translation records."""
    for e in entries:
        if e.state != "stale":
            continue
        if not e.recorded_hash:
            e.diff_note = ("the translation records no source_hash, so the version it was made from is unknown; "
                           f"compare it with the original, then run: dl500 status --stamp {e.file}")
            continue
        if top is None:
            e.diff_note = "not in a git repository: the translated version of the original cannot be recovered"
            continue
        orig = book.text(e.qid, book.primary)
        e.diff, e.diff_note = original_diff(top, orig.path, e.recorded_hash, orig.rel)


def original_diff(top: Path, path: Path, recorded: str, rel: str) -> tuple[str | None, str]:
    """Walk the original's git log (following renames) for the revision hashing to `recorded`; diff it to now."""
    try:
        path_rel = path.resolve().relative_to(top).as_posix()
    except ValueError:
        return None, "the original is outside the git repository"
    log = _git(top, "log", f"-{MAX_DIFF_REVISIONS}", "--follow", "--name-only", "--format=@@%H %cs", "--", path_rel)
    revs = []  # (sha, date, path at that revision)
    for block in log.split("@@")[1:]:
        lines = [ln for ln in block.splitlines() if ln.strip()]
        if len(lines) >= 2:
            sha, _, date = lines[0].partition(" ")
            revs.append((sha, date, lines[-1]))
    blobs = read_blobs(top, [f"{sha}:{p}" for sha, _, p in revs])
    now = path.read_text("utf-8", errors="replace").replace("\r\n", "\n")
    for (sha, date, _), raw in zip(revs, blobs, strict=True):
        parsed = parse_question(raw)
        if parsed and text_hash(parsed[0], parsed[1]) == recorded:
            old = raw.decode("utf-8-sig", errors="replace").replace("\r\n", "\n")
            diff = "".join(difflib.unified_diff(old.splitlines(True), now.splitlines(True),
                                                f"{rel} @ {sha[:10]} ({date})", f"{rel} (now)"))
            return diff or None, f"the original as of commit {sha[:10]} ({date}), when it was translated"
    where = f"its last {len(revs)} revision(s)" if revs else "git history (the file has no commits)"
    return None, (f"no version of the original in {where} hashes to {recorded}; "
                  "compare the translation with the original by hand")


def history_points(book, top: Path | None, max_points: int = HISTORY_POINTS) -> list[dict]:
    """Questions, up-to-date translations and reviewed ones at a sample of the commits that touched the book.

    Counts come from the question files present at each commit (`git ls-tree`), read in one batch and
    parsed once per blob, so a long history costs a few git calls. A commit never changes, so its point is
    kept in the content cache (`.dl500-cache/status-history`): a later report reads only the new commits.
    """
    if top is None:
        return []
    try:
        root_rel = book.root.resolve().relative_to(top).as_posix()
    except ValueError:
        return []
    commits = sampled_commits(top, root_rel, max_points)
    cache = _history_cache(book)
    keys = [cache.key(sha, root_rel, book.primary, json.dumps(list(book.translations))) for sha, *_ in commits]
    points = [point_from_json(cache.get_json(k), book.translations) for k in keys]
    missing = [i for i, point in enumerate(points) if point is None]
    for i, point in zip(missing, commit_points(book, top, root_rel, [commits[i] for i in missing]), strict=True):
        points[i] = point
        try:
            cache.put_json(keys[i], point)
        except OSError:  # a read-only cache: the next report reads the history again
            pass
    return points


def sampled_commits(top: Path, root_rel: str, max_points: int) -> list[list[str]]:
    """[sha, commit time, subject] of at most `max_points` commits touching the book, oldest first, evenly spaced."""
    commits = [ln.split(" ", 2) for ln in _git(top, "log", "--format=%H %ct %s", "--", root_rel).splitlines() if ln]
    commits.reverse()
    if len(commits) > max_points:
        step = (len(commits) - 1) / (max_points - 1)
        commits = [commits[round(i * step)] for i in range(max_points)]
    return commits


def _history_cache(book):
    """Points by commit; the counting rules are this module's and the model's code, so an edit to either misses."""
    from . import model
    from .cache import ContentCache, cache_root
    code = [Path(__file__).read_bytes(), Path(model.__file__).read_bytes()]
    return ContentCache(cache_root(book.root.parent) / "status-history", versions=("history point/1", *code))


def point_from_json(value, langs) -> dict | None:
    """A cached point, or None when absent or not of the shape commit_points makes (the cache is in the working
    tree, where anything can be put)."""
    counts = ("translated", "reviewed", "stale")
    ok = (isinstance(value, dict) and set(value) == {"commit", "date", "subject", "questions", "languages"}
          and all(isinstance(value[k], str) for k in ("commit", "date", "subject"))
          and type(value["questions"]) is int and isinstance(value["languages"], dict)
          and set(value["languages"]) == set(langs)
          and all(isinstance(c, dict) and set(c) == set(counts) and all(type(c[k]) is int for k in counts)
                  for c in value["languages"].values()))
    return value if ok else None


def commit_points(book, top: Path, root_rel: str, commits: list) -> list[dict]:
    """The chart's point of each commit, from the question files in its tree."""
    if not commits:
        return []
    trees = []
    blob_ids = set()
    for sha, *_ in commits:
        files = {}
        for ln in _git(top, "ls-tree", "-r", sha, "--", root_rel).splitlines():
            meta, _, p = ln.partition("\t")
            m = QUESTION_FILE.match(p.rsplit("/", 1)[-1])
            if m and meta.split()[1] == "blob" and p.count("/") == root_rel.count("/") + 2:
                files[(p.rsplit("/", 2)[-2], m["qid"], m["lang"])] = meta.split()[2]
        trees.append(files)
        blob_ids.update(files.values())
    ids = sorted(blob_ids)
    parsed = dict(zip(ids, (parse_question(b) for b in read_blobs(top, ids)), strict=True))
    return [commit_point(book, commit, files, parsed) for commit, files in zip(commits, trees, strict=True)]


def commit_point(book, commit: list, files: dict, parsed: dict) -> dict:
    sha, ct, *subject = commit
    originals = {}
    for (folder, qid, lang), blob in files.items():
        if lang == book.primary and parsed.get(blob):
            originals[(folder, qid)] = text_hash(*parsed[blob][:2])
    point = {"commit": sha, "date": dt.datetime.fromtimestamp(int(ct), dt.timezone.utc).isoformat(),
             "subject": subject[0] if subject else "", "questions": len(originals), "languages": {}}
    for lang in book.translations:
        c = Counter()
        for key, h in originals.items():
            p = parsed.get(files.get((*key, lang)))
            if p is None:
                continue
            if p[2].get("source_hash") != h:
                c["stale"] += 1
            else:
                c["translated"] += 1
                c["reviewed"] += p[2].get("status") == "reviewed"
        point["languages"][lang] = {k: c.get(k, 0) for k in ("translated", "reviewed", "stale")}
    return point


# --- what changed since a ref ----------------------------------------------------------------------------

SINCE_LABELS = {
    "newly_translated": "newly translated",
    "newly_reviewed": "newly reviewed",
    "made_stale": "made stale",
    "added_without_translation": "added without translation",
    "added_stale": "added but stale (not stamped)",
}


def since_changes(old_book, new_book, ref: str) -> dict:
    """Questions newly translated, made stale, and added without translation, comparing `ref` with now."""
    old = {(e.qid, e.lang): e for e in question_entries(old_book)} if old_book is not None else {}
    out = {"ref": ref, **{key: [] for key in SINCE_LABELS}}
    for e in question_entries(new_book):
        before = old.get((e.qid, e.lang))
        was = before.state if before else None
        item = {"id": e.qid, "lang": e.lang, "number": e.number, "title": e.title,
                "file": e.file or e.expected_file, "before": was, "now": e.state}
        if before is None and e.state == "missing":
            out["added_without_translation"].append(item)
        elif e.state in CURRENT and was not in CURRENT:
            out["newly_translated"].append(item)
        elif e.state == "reviewed" and was in ("draft", "machine"):
            out["newly_reviewed"].append(item)
        elif e.state == "stale" and was in CURRENT:
            out["made_stale"].append(item)
        elif e.state == "stale" and was in (None, "missing"):
            out["added_stale"].append(item)
    if old_book is not None:
        from .changes import question_numbers
        before = question_numbers(old_book)
        out["renumbered"] = [{"id": qid, "old": before[qid][0], "new": num}
                             for qid, (num, _, _) in question_numbers(new_book).items()
                             if qid in before and before[qid][0] != num]
    else:
        out["renumbered"] = []
    return out


# --- the report ------------------------------------------------------------------------------------------

def report_time() -> str:
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    when = dt.datetime.fromtimestamp(int(epoch), dt.timezone.utc) if epoch else dt.datetime.now(dt.timezone.utc)
    return when.replace(microsecond=0).isoformat()


def build_report(book, *, history: bool = True, since: dict | None = None, top: Path | None = None) -> dict:
    """The whole report as plain data: what translation-status.json holds (see docs/status.md)."""
    from .changes import git_toplevel
    top = top if top is not None else git_toplevel(book.root)
    entries = question_entries(book)
    originals = original_entries(book)
    attach_diffs(book, entries, top)
    head = _git(top, "rev-parse", "HEAD").strip() if top else ""
    chapters = chapter_summaries(book, entries)
    add_chapter_reviews(book, chapters, originals, entries)
    reviews = review_summary(book, originals, entries)
    return {
        "schema": SCHEMA_ID,
        "generated": report_time(),
        "commit": head or None,
        "book": {"id": book.meta.get("id"), "title": dict(book.title)},
        "primary": book.primary,
        "languages": list(book.translations),
        "totals": {lang: state_counts([e for e in entries if e.lang == lang]) for lang in book.translations},
        "chapters": chapters,
        "reviews": reviews,
        "oldest_review": oldest_review(reviews),
        **tag_breakdowns(book, originals, entries),
        "questions": [asdict(e) for e in entries],
        "history": history_points(book, top) if history else [],
        "since": since,
    }


def write_status_report(book, out_dir, *, history: bool = True, since: dict | None = None) -> dict:
    """Write translation-status.{html,json,md} and translation-badge.svg into out_dir; return name -> path.

    The build stage calls this to put the report beside the PDF and EPUB.
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    report = build_report(book, history=history, since=since)
    paths = {
        "json": out_dir / "translation-status.json",
        "html": out_dir / "translation-status.html",
        "md": out_dir / "translation-status.md",
        "badge": out_dir / "translation-badge.svg",
    }
    paths["json"].write_text(json.dumps(report, ensure_ascii=False, indent=2) + "\n", "utf-8")
    paths["html"].write_text(render_html(book, report, out_dir), "utf-8")
    paths["md"].write_text(render_markdown(report), "utf-8")
    paths["badge"].write_text(render_badge(report), "utf-8")
    return paths


def _env():
    import jinja2
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(TEMPLATES)),
                             autoescape=lambda name: not (name or "").endswith(".md.j2"),
                             trim_blocks=True, lstrip_blocks=True, undefined=jinja2.StrictUndefined)
    env.filters["sortkey"] = number_sort_key
    return env


def number_sort_key(number: str) -> str:
    """'3.1.10' sorts after '3.1.2' as text: zero-pad each part."""
    return ".".join(p.zfill(4) for p in str(number).split("."))


def source_paths(book) -> dict[str, Path]:
    """Display path -> absolute path, for every file the report links to."""
    out = {qt.rel: qt.path for qt in book.texts.values()}
    out.update({ch.pos.file: ch.directory / "chapter.yaml" for ch in book.chapters})
    return out


def link(paths: dict, display: str | None, out_dir: Path) -> str:
    """A relative link from the report to a source file given by its display path."""
    if not display or display not in paths:
        return ""
    return Path(os.path.relpath(paths[display].resolve(), out_dir.resolve())).as_posix()


def render_html(book, report: dict, out_dir: Path) -> str:
    lang_title = report["book"]["title"].get(report["primary"]) or report["book"]["title"].get("en") or "dl500"
    paths = source_paths(book)
    todo = [dict(q) for q in report["questions"] if q["state"] in ("missing", "stale")]
    for q in todo:
        q["href"] = link(paths, q["file"] or q["original"], out_dir)
        q["orig_href"] = link(paths, q["original"], out_dir)
    charts = {lang: history_svg(report["history"], lang) for lang in report["languages"]}
    return _env().get_template("status.html.j2").render(
        report=report, title=lang_title, todo=todo, charts=charts, colours=COLOURS, states=STATES,
        since_labels=SINCE_LABELS,
        chapter_href={c["id"]: link(paths, c["file"], out_dir) for c in report["chapters"]},
    )


def render_markdown(report: dict) -> str:
    return _env().get_template("status.md.j2").render(report=report, states=STATES, since_labels=SINCE_LABELS)


def render_badge(report: dict) -> str:
    """A shields-style badge: 'translated' | 'en 42%'."""
    parts = [f"{lang} {t['percent_translated']:g}%" for lang, t in report["totals"].items()]
    value = " · ".join(parts) or "n/a"
    worst = min((t["percent_translated"] for t in report["totals"].values()), default=0)
    colour = "#4c1" if worst >= 90 else "#97ca00" if worst >= 60 else "#dfb317" if worst >= 30 else "#e05d44"
    label = "translated"
    lw, vw = 10 + 7 * len(label), 10 + 7 * len(value)
    return _env().get_template("status-badge.svg.j2").render(label=label, value=value, colour=colour, lw=lw, vw=vw)


def nice_step(raw: float) -> int:
    """An integer axis step of 1, 2 or 5 times a power of ten, at least `raw`."""
    step = 1
    while True:
        for m in (1, 2, 5):
            if step * m >= raw:
                return step * m
        step *= 10


def history_svg(points: list[dict], lang: str, width: int = 1000, height: int = 280) -> str:
    """Questions, translated and reviewed over the sampled commits, as inline SVG (no script, no font files)."""
    if not points:
        return ""
    left, right, top, bottom = 44, 16, 14, 40
    w, h = width - left - right, height - top - bottom
    ymax = max(max(p["questions"] for p in points), 1)
    times = [dt.datetime.fromisoformat(p["date"]).timestamp() for p in points]
    span = times[-1] - times[0]

    def x(i):
        if len(points) == 1:
            return left + w / 2
        frac = (times[i] - times[0]) / span if span > 0 else i / (len(points) - 1)
        return left + frac * w

    def y(v):
        return top + h - v / ymax * h

    series = [("questions", "#6b7280", [p["questions"] for p in points]),
              ("translated", "#2f6fd6", [p["languages"].get(lang, {}).get("translated", 0) for p in points]),
              ("reviewed", COLOURS["reviewed"], [p["languages"].get(lang, {}).get("reviewed", 0) for p in points]),
              ("stale", COLOURS["stale"], [p["languages"].get(lang, {}).get("stale", 0) for p in points])]
    e = html.escape
    svg = [f'<svg class="chart" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
           f'width="{width}" height="{height}" role="img" aria-label="translation progress over history ({e(lang)})">']
    step = nice_step(ymax / 4)
    ymax = step * -(-ymax // step)  # the top grid line at the top of the plot
    for k in range(int(ymax // step) + 1):
        v = k * step
        svg.append(f'<line x1="{left}" x2="{left + w}" y1="{y(v):.1f}" y2="{y(v):.1f}" stroke="#e5e7eb"/>'
                   f'<text x="{left - 6}" y="{y(v) + 4:.1f}" text-anchor="end" font-size="11" fill="#555">{v}</text>')
    ticks = sorted({0, len(points) - 1, *(round(k * (len(points) - 1) / 4) for k in range(1, 4))})
    last_label = -1e9
    for i in ticks:
        if x(i) - last_label < 90:
            continue
        last_label = x(i)
        anchor = "start" if i == 0 and len(points) > 1 else "end" if i == len(points) - 1 else "middle"
        svg.append(f'<text x="{x(i):.1f}" y="{top + h + 16}" text-anchor="{anchor}" font-size="11" fill="#555">'
                   f'{e(points[i]["date"][:10])}</text>')
    for name, colour, values in series:
        pts = " ".join(f"{x(i):.1f},{y(v):.1f}" for i, v in enumerate(values))
        dash = ' stroke-dasharray="4 3"' if name == "stale" else ""
        svg.append(f'<polyline class="series-{name}" fill="none" stroke="{colour}" stroke-width="2"{dash} '
                   f'points="{pts}"/>')
        for i, v in enumerate(values):
            p = points[i]
            svg.append(f'<circle cx="{x(i):.1f}" cy="{y(v):.1f}" r="3" fill="{colour}"><title>{e(name)}: {v} '
                       f'at {e(p["commit"][:10])} {e(p["date"][:10])} {e(p["subject"][:60])}</title></circle>')
    lx = left
    for name, colour, _ in series:
        svg.append(f'<rect x="{lx}" y="{height - 14}" width="12" height="4" fill="{colour}"/>'
                   f'<text x="{lx + 16}" y="{height - 9}" font-size="11" fill="#333">{name}</text>')
        lx += 26 + 7 * len(name)
    svg.append("</svg>")
    return "".join(svg)


# --- the command -----------------------------------------------------------------------------------------

def default_out_dir(book) -> Path:
    """build/ beside the source folder: the project folder's build/."""
    return book.root.parent / "build"
