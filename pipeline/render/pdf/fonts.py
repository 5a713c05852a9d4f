"""One copy of each font in a joined PDF (docs/build.md, "One copy of each font").

WeasyPrint subsets every font per document and keeps glyph ids, so each PDF part embeds its own subset of every CJK
font. At the join the glyph ids each part uses are read from its CIDFont /W array, the original font (found by its
PostScript name through fc-list) is subset once with fontTools to the union, and every part's font descriptor
points at that one program. Used by the parts join (pdf.join) and the single document (pdf.stamp).
"""

from __future__ import annotations

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


SUBSET_VERSION = "2"  # 2: the font's own dates kept (recalcTimestamp=False), so no clock or epoch in the bytes


def _subset_font(path: str, index: int, gids: set, cache: Path | None) -> bytes:
    """The original font cut down to `gids`, glyph ids kept (as WeasyPrint's own subsets keep them); cached.
    The font keeps its own `head` dates: the program depends on the font and the glyphs only."""
    from ...cache import ContentCache
    store = ContentCache(cache, suffix=".otf", entry_limit=64 * 1024 * 1024) if cache else None
    key = store.key(SUBSET_VERSION, path, str(index), str(os.path.getsize(path)), str(sorted(gids))) if store else ""
    hit = store.get_bytes(key) if store else None
    if hit is not None:
        return hit
    from fontTools import subset
    from fontTools.ttLib import TTFont
    opts = subset.Options(retain_gids=True, passthrough_tables=True, ignore_missing_glyphs=True, hinting=False,
                          desubroutinize=True, notdef_outline=True)
    opts.drop_tables += ["GSUB", "GPOS", "SVG ", "BASE", "DSIG", "JSTF", "LTSH", "PCLT"]
    font = TTFont(path, fontNumber=index, lazy=True, recalcTimestamp=False)
    sub = subset.Subsetter(opts)
    sub.populate(gids=sorted(gids))
    sub.subset(font)
    out = io.BytesIO()
    font.save(out)
    data = out.getvalue()
    if store:
        store.put_bytes(key, data)
    return data


def _subset_job(args):
    return _subset_font(*args)


def share_fonts(pdf, cache: Path | None = None, jobs: int = 1, min_bytes: int = 20_000) -> dict:
    """Each part embeds its own subset of every CJK font (~100 KB each even for a few glyphs: WeasyPrint keeps
    glyph ids). Replace them with one embedded copy per font: the original font subset once to the union of the
    glyphs every part uses. The parts' font dictionaries (widths, ToUnicode) stay; only the font program is shared.
    Returns {font: (copies replaced, bytes before, bytes after)}."""
    groups = _font_groups(pdf, min_bytes)
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
    return {name: _share_program(pdf, uses, data) for (name, uses, _), data in zip(todo, programs)}


def _share_program(pdf, uses: list, data: bytes) -> tuple:
    """Point every descriptor in `uses` at one embedded copy of `data`; (copies replaced, bytes before, after)."""
    import pikepdf
    shared = pikepdf.Stream(pdf, data)
    for k, v in uses[0][2].stream_dict.items():
        if k not in ("/Length", "/Filter", "/DecodeParms", "/Length1"):
            shared[k] = v
    shared = pdf.make_indirect(shared)
    for fd, key, _, _ in uses:
        fd[key] = shared
    return len(uses), sum(u[3] for u in uses), len(data)


def _font_dicts(page, forms_seen: set):
    """The page's font dictionaries and those of its forms (the stamped page numbers), each form once."""
    import pikepdf
    res = page.obj.get("/Resources")
    if not isinstance(res, pikepdf.Dictionary):
        return
    yield res.get("/Font") or pikepdf.Dictionary()
    for xo in (res.get("/XObject") or pikepdf.Dictionary()).values():
        if not isinstance(xo, pikepdf.Stream) or (xo.is_indirect and xo.objgen in forms_seen):
            continue
        forms_seen.add(xo.objgen)
        if xo.get("/Subtype") == pikepdf.Name.Form and "/Resources" in xo:
            yield xo.Resources.get("/Font") or pikepdf.Dictionary()


def _plain(value):
    """A pikepdf array of numbers (and arrays of numbers) as Python lists and ints."""
    import pikepdf
    return [_plain(v) if isinstance(v, pikepdf.Array) else int(v) for v in value]


def _font_groups(pdf, min_bytes: int) -> dict:
    """PostScript name → ([(descriptor, key, stream, size)], glyph ids used) for every embedded CID font program
    of at least `min_bytes`, on the pages and in their forms (the stamped page numbers)."""
    import pikepdf
    from fontTools.ttLib import TTFont
    groups: dict = {}
    seen: set = set()
    forms_seen: set = set()
    for page in pdf.pages:
        for font in (f for fonts in _font_dicts(page, forms_seen) for f in fonts.values()):
            if not isinstance(font, pikepdf.Dictionary) or font.get("/Subtype") != pikepdf.Name.Type0:
                continue
            cid = font.DescendantFonts[0]
            fd = cid.FontDescriptor
            key = next((k for k in ("/FontFile3", "/FontFile2") if k in fd), None)
            ident = fd.objgen if fd.is_indirect else None  # WeasyPrint's descriptors are indirect objects
            if key is None or (ident is not None and ident in seen):
                continue
            seen.add(ident)
            stream = fd[key]
            data = stream.read_bytes()
            if len(data) < min_bytes:
                continue
            try:
                name = TTFont(io.BytesIO(data), lazy=True)["name"].getDebugName(6)
            except Exception:  # not an sfnt we can read: leave it as it is
                continue
            entry = groups.setdefault(name, ([], set()))
            entry[0].append((fd, key, stream, len(data)))
            entry[1].update(_used_glyphs(_plain(cid.get("/W") or [])))
    return groups
