"""One copy of each font in a joined PDF (docs/build.md, "One copy of each font").

WeasyPrint subsets every font per document and keeps glyph ids, so each PDF part embeds its own subset of every CJK
font. At the join the glyph ids each part uses are read from its CIDFont /W array, the original font (found by its
PostScript name through fc-list) is subset once with fontTools to the union, and every part's font descriptor
points at that one program. Used by the parts join (pdf.join) and the single document (pdf.stamp).
"""

from __future__ import annotations

import hashlib
import io
import os
import subprocess
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from ..lifeline import die_with_parent, forkserver_context


def _used_glyphs(widths) -> set:
    """The glyph ids a CIDFont's /W array lists (WeasyPrint writes a width for every glyph it uses)."""
    used, i, w = set(), 0, list(widths or [])
    while i < len(w):
        first = int(w[i])
        if i + 1 < len(w) and isinstance(w[i + 1], list):
            used.update(range(first, first + len(w[i + 1])))
            i += 2
        else:
            used.update(range(first, int(w[i + 1]) + 1))
            i += 3
    return used


def _font_files() -> dict:
    """PostScript name → (file, index in a collection), from fontconfig."""
    try:
        out = subprocess.run(["fc-list", "--format", "%{postscriptname}|%{file}|%{index}\n"], capture_output=True,
                             text=True, timeout=20).stdout
    except (OSError, subprocess.SubprocessError):
        return {}
    files = {}
    for line in sorted(out.splitlines()):
        name, _, rest = line.partition("|")
        path, _, index = rest.rpartition("|")
        if name and path and index.isdigit():
            files.setdefault(name, (path, int(index)))
    return files


def _subset_font(path: str, index: int, gids: set, cache: Path | None) -> bytes:
    """The original font cut down to `gids`, glyph ids kept (as WeasyPrint's own subsets keep them); cached."""
    key = hashlib.sha256(f"{path}|{index}|{os.path.getsize(path)}|{sorted(gids)}".encode()).hexdigest()
    hit = cache / f"{key}.otf" if cache else None
    if hit is not None and hit.is_file():
        return hit.read_bytes()
    from fontTools import subset
    from fontTools.ttLib import TTFont
    opts = subset.Options(retain_gids=True, passthrough_tables=True, ignore_missing_glyphs=True, hinting=False,
                          desubroutinize=True, notdef_outline=True)
    opts.drop_tables += ["GSUB", "GPOS", "SVG ", "BASE", "DSIG", "JSTF", "LTSH", "PCLT"]
    font = TTFont(path, fontNumber=index, lazy=True)
    sub = subset.Subsetter(opts)
    sub.populate(gids=sorted(gids))
    sub.subset(font)
    out = io.BytesIO()
    font.save(out)
    data = out.getvalue()
    if hit is not None:
        hit.parent.mkdir(parents=True, exist_ok=True)
        tmp = hit.with_name(f".{hit.name}.{os.getpid()}")
        tmp.write_bytes(data)
        os.replace(tmp, hit)
    return data


def _subset_job(args):
    return _subset_font(*args)


def share_fonts(writer, cache: Path | None = None, jobs: int = 1, min_bytes: int = 20_000) -> dict:
    """Each part embeds its own subset of every CJK font (~100 KB each even for a few glyphs: WeasyPrint keeps
    glyph ids). Replace them with one embedded copy per font: the original font subset once to the union of the
    glyphs every part uses. The parts' font dictionaries (widths, ToUnicode) stay; only the font program is shared.
    Returns {font: (copies replaced, bytes before, bytes after)}."""
    groups = _font_groups(writer, min_bytes)
    if not groups:
        return {}
    files = _font_files()
    todo = [(name, uses, (*files[name], gids | {0}, cache)) for name, (uses, gids) in sorted(groups.items())
            if len(uses) > 1 and name in files and gids]
    if jobs > 1 and len(todo) > 1:  # fontTools on a CJK font: ~1-3 s and ~200 MiB each, so in fresh workers
        with ProcessPoolExecutor(max_workers=min(jobs, len(todo)), mp_context=forkserver_context(),
                                 max_tasks_per_child=1, initializer=die_with_parent) as ex:
            programs = list(ex.map(_subset_job, [args for _, _, args in todo]))
    else:
        programs = [_subset_font(*args) for _, _, args in todo]
    return {name: _share_program(writer, uses, data) for (name, uses, _), data in zip(todo, programs)}


def _share_program(writer, uses: list, data: bytes) -> tuple:
    """Point every descriptor in `uses` at one embedded copy of `data`; (copies replaced, bytes before, after)."""
    from pypdf.generic import DecodedStreamObject, NameObject
    shared = DecodedStreamObject()
    for k, v in uses[0][2].items():
        if k not in ("/Length", "/Filter", "/DecodeParms", "/Length1"):
            shared[NameObject(k)] = v
    shared.set_data(data)
    shared_ref = writer._add_object(shared.flate_encode())
    for fd, key, _, _ in uses:
        fd[NameObject(key)] = shared_ref
    return len(uses), sum(u[3] for u in uses), len(data)


def _font_groups(writer, min_bytes: int) -> dict:
    """PostScript name → ([(descriptor, key, stream, size)], glyph ids used) for every embedded CID font program
    of at least `min_bytes`, on the pages and in their forms (the stamped page numbers)."""
    from fontTools.ttLib import TTFont
    groups: dict = {}
    seen = set()
    forms_seen: set = set()

    def font_dicts(page):  # the page's fonts and those of its forms (the stamped page numbers)
        res = page.get("/Resources")
        res = res.get_object() if res is not None else {}
        yield res.get("/Font") or {}
        for ref in (res.get("/XObject") or {}).values():
            if getattr(ref, "idnum", None) in forms_seen:
                continue
            forms_seen.add(getattr(ref, "idnum", None))
            xo = ref.get_object()
            if xo.get("/Subtype") == "/Form" and "/Resources" in xo:
                yield xo["/Resources"].get_object().get("/Font") or {}

    for page in writer.pages:
        for ref in (r for fonts in font_dicts(page) for r in fonts.values()):
            font = ref.get_object()
            if font.get("/Subtype") != "/Type0":
                continue
            cid = font["/DescendantFonts"][0].get_object()
            fd = cid["/FontDescriptor"].get_object()
            key = next((k for k in ("/FontFile3", "/FontFile2") if k in fd), None)
            if key is None or id(fd) in seen:
                continue
            seen.add(id(fd))
            stream = fd[key].get_object()
            data = stream.get_data()
            if len(data) < min_bytes:
                continue
            try:
                name = TTFont(io.BytesIO(data), lazy=True)["name"].getDebugName(6)
            except Exception:  # not an sfnt we can read: leave it as it is
                continue
            entry = groups.setdefault(name, ([], set()))
            entry[0].append((fd, key, stream, len(data)))
            entry[1].update(_used_glyphs(cid.get("/W")))
    return groups
