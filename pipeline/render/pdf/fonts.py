"""One copy of each font in a joined PDF (docs/build.md, "One copy of each font").

WeasyPrint subsets every font per document and keeps glyph ids, so each PDF part embeds its own subset of every CJK
font. At the join the glyph ids each part uses are read from its CIDFont /W array, the original font (found by its
PostScript name through fc-list) is subset once with HarfBuzz to the union, and every part's font descriptor
points at that one program. Used by the parts join (pdf.join) and the single document (pdf.stamp).
"""

from __future__ import annotations

import io
import re
import subprocess


def _used_glyphs(widths) -> set:
    """The glyph ids a CIDFont's /W array lists (WeasyPrint writes a width for every glyph it uses): `c [w1 w2 …]`
    gives c, c+1, …; `c_first c_last w` gives c_first to c_last."""
    used, i, w = set(), 0, list(widths or [])
    while i < len(w):
        first = int(w[i])
        if i + 1 < len(w) and isinstance(w[i + 1], list):
            used.update(range(first, first + len(w[i + 1])))
            i += 2
        elif i + 2 < len(w):
            used.update(range(first, int(w[i + 1]) + 1))
            i += 3
        else:
            break
    return used


W_TOKEN = re.compile(rb"\[|\]|[-+]?(?:\d+\.?\d*|\.\d+)")


def _parse_widths(text: bytes) -> list:
    """A direct /W array's text as numbers and lists of numbers (one level of nesting, as the format has it)."""
    out, inner, depth = [], [], 0
    for tok in W_TOKEN.findall(text):
        if tok == b"[":
            depth += 1
            inner = []
        elif tok == b"]":
            if depth == 2:
                out.append(inner)
            depth -= 1
        elif depth == 2:
            inner.append(float(tok))
        elif depth == 1:
            out.append(float(tok))
    return out


def _widths_of(cid) -> list:
    """The CIDFont's /W as numbers and lists: from its text when it holds no reference (WeasyPrint's), else read
    object by object."""
    import pikepdf
    widths = cid.get("/W")
    if widths is None:
        return []
    text = widths.unparse(resolved=True)
    if b" R" not in text:
        return _parse_widths(text)
    return [[float(x) for x in v] if isinstance(v, pikepdf.Array) else float(v) for v in widths]


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


def _subset_font(path: str, index: int, gids: set) -> bytes | None:
    """The original font cut down to `gids`, glyph ids kept (as WeasyPrint's own subsets keep them), or None when
    HarfBuzz cannot subset it; the same subsetting as each part's (layout.subset_with_uharfbuzz). 0.02 s instead
    of fontTools' ~3 s for 3,500 glyphs of a CJK collection, so it needs neither a cache nor worker processes. It
    keeps the font's own `head` dates: the program depends on the font and the glyphs only."""
    from .layout import subset_with_uharfbuzz
    return subset_with_uharfbuzz(path, index, gids, hinting=False, missing=True)


def share_fonts(pdf) -> dict:
    """Each part embeds its own subset of every font (a CJK one ~100 KB even for a few glyphs: WeasyPrint keeps
    glyph ids). Replace them with one embedded copy per font, Latin ones too (1% of the real book's file): the
    original font subset once to the union of the glyphs every part uses. The parts' font dictionaries (widths, ToUnicode) stay; only the font program is shared.
    Returns {font: (copies replaced, bytes before, bytes after)}."""
    groups = _font_groups(pdf)
    if not groups:
        return {}
    files = _font_files()
    shared = {}
    for name, (uses, gids) in sorted(groups.items()):
        if len(uses) > 1 and name in files and gids:
            data = _subset_font(*files[name], gids | {0})
            if data is not None:
                shared[name] = _share_program(pdf, uses, data)
    return shared


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
    """The page's font dictionaries and those of its forms (the stamped page numbers), each resource dictionary
    and each form once (a part's pages share one resource dictionary, which names every page's stamp form)."""
    import pikepdf
    res = page.obj.get("/Resources")
    if not isinstance(res, pikepdf.Dictionary):
        return
    if res.is_indirect:
        if ("res", res.objgen) in forms_seen:
            return
        forms_seen.add(("res", res.objgen))
    yield res.get("/Font") or pikepdf.Dictionary()
    for xo in (res.get("/XObject") or pikepdf.Dictionary()).values():
        if not isinstance(xo, pikepdf.Stream) or (xo.is_indirect and xo.objgen in forms_seen):
            continue
        forms_seen.add(xo.objgen)
        if xo.get("/Subtype") == pikepdf.Name.Form and "/Resources" in xo:
            yield xo.Resources.get("/Font") or pikepdf.Dictionary()


def _font_groups(pdf) -> dict:
    """PostScript name → ([(descriptor, key, stream, size)], glyph ids used) for every embedded CID font program,
    on the pages and in their forms (the stamped page numbers). A program is read (decompressed, its name table
    parsed) once per /FontName: WeasyPrint names a font by a hash of its Pango description, the same in every part
    laid out with the same fonts (the fonts' fingerprint is in every part's key)."""
    import pikepdf
    groups: dict = {}
    names: dict = {}  # /FontName -> PostScript name, or None where the program is not an sfnt we can read
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
            label = str(fd.get("/FontName", ""))
            if label not in names or not label:
                names[label] = _postscript_name(stream)
            if names[label] is None:
                continue
            entry = groups.setdefault(names[label], ([], set()))
            entry[0].append((fd, key, stream, len(stream.read_raw_bytes())))
            entry[1].update(_used_glyphs(_widths_of(cid)))
    return groups


def _postscript_name(stream) -> str | None:
    from fontTools.ttLib import TTFont
    try:
        return TTFont(io.BytesIO(stream.read_bytes()), lazy=True)["name"].getDebugName(6)
    except Exception:  # not an sfnt we can read: leave it as it is
        return None
