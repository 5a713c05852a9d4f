"""Each distinct formula drawn once: WeasyPrint's drawing of a formula's SVG cached by content, replayed inline.

Profiling a layout worker (docs/build.md) showed WeasyPrint parsing and drawing a formula's SVG (ziamath's glyph
outlines as paths) again at every occurrence, ~20 ms each: the largest single term of a math-heavy chapter. While
`formulas_drawn_once` is active in a layout process, an SVG image given as a data: URI (our formulas, so the URI is
the formula's content) is drawn once on a scratch stream; the resulting PDF operators are kept in memory and on
disk, keyed by (WeasyPrint version, the URI's hash, the drawn size), and every occurrence in any part, either
edition or a later build appends those operators between q/Q. Only drawings made of paths, device colours and
simple graphics states are kept (no font, colour space, pattern, shading, image or marked content); anything else
is drawn as WeasyPrint draws it. The operators are the same whether they came from the cache or not, so the output
stays byte-reproducible. (A shared Form XObject per formula was tried first: the same CPU, 20% larger parts,
because a small form compresses worse than the page stream that holds the same glyph paths many times. Per glyph
it pays: svgpath draws each glyph's outline as a form named by its content, registered here in the document's
resources once, and the real zh PDF's page content fell from 9.7 to ~3.3 MB.)

A formula is drawn by `svgpath` (its SVG read straight into operators, ~0.5 ms instead of WeasyPrint's ~10 ms):
the same operators WeasyPrint writes for ziamath's subset of SVG, byte for byte; an SVG outside that subset is
drawn by WeasyPrint on a scratch stream as before. The converter's version is in the cache key.
"""

from __future__ import annotations

import contextlib
import hashlib
import math
import re
from pathlib import Path

_state = {"folder": None, "version": "", "installed": False, "active": False, "drawn": 0, "reused": 0,
          "cached": 0, "direct": 0}


@contextlib.contextmanager
def formulas_drawn_once(folder: Path | None):
    """While in this block, this process draws each formula once per document (see the module doc); `folder`
    keeps the drawings across documents and builds (None: per document only)."""
    ok = _install()
    _state.update(folder=folder, active=ok)
    try:
        yield
    finally:
        _state.update(folder=None, active=False)
        _memo.clear()


def _install() -> bool:
    """Route WeasyPrint's SVG image drawing through draw_once (once per process). False where this WeasyPrint
    lacks what the hook relies on: then formulas are drawn as WeasyPrint draws them."""
    try:
        import weasyprint
        from weasyprint.images import SVGImage
        from weasyprint.pdf.stream import Stream
    except ImportError:
        return False
    if not (hasattr(Stream, "add_group") and hasattr(Stream, "draw_x_object")):
        return False
    _state["version"] = weasyprint.__version__
    if not _state["installed"]:
        original = SVGImage.draw

        def draw(self, stream, concrete_width, concrete_height, style):
            return draw_once(original, self, stream, concrete_width, concrete_height, style)

        SVGImage.draw = draw
        _state["installed"] = True
    return True


def counts() -> dict:
    """Formulas drawn (of which `direct` by svgpath, the others by WeasyPrint), drawings taken from the disk cache,
    occurrences that reused a drawing, in this process."""
    return {k: _state[k] for k in ("drawn", "direct", "cached", "reused")}


def draw_once(original, image, stream, width, height, style) -> None:
    url = getattr(image, "_base_url", None) or ""
    if not _state["active"] or not url.startswith(("data:image/svg", "dl500-svg:")) or not width or not height \
            or getattr(stream, "_resources", None) is None:
        return original(image, stream, width, height, style)
    key = (hashlib.sha256(url.encode()).hexdigest(), repr(float(width)), repr(float(height)))
    drawing = _memo.get(key) or _load(key)
    if drawing is None:
        drawing = _draw_direct(image, width, height) or _draw_apart(original, image, stream, width, height, style)
        if drawing is None:  # uses fonts, patterns, images: drawn as WeasyPrint draws it
            return original(image, stream, width, height, style)
        _state["drawn"] += 1
        _save(key, drawing)
    else:
        _state["reused"] += 1
    _memo[key] = drawing
    ops, states, glyphs = drawing
    import pydyf
    for name, values in states.items():
        stream._resources["ExtGState"].setdefault(name, pydyf.Dictionary(values))
    forms = stream._resources["XObject"]  # one per document (its pages share it), or a group's own
    for name, (content, bbox) in glyphs.items():
        if name not in forms:
            forms[name] = glyph_xobject(content, bbox, stream.compress)
    stream.push_state()  # the replayed operators change colours and states that the stream does not track
    stream.stream.append(ops)
    stream.pop_state()


_memo: dict = {}  # (uri hash, width, height) -> (operators, graphics states, glyph forms), while formulas_drawn_once lasts


def glyph_xobject(content: bytes, bbox, compress: bool):
    """The Form XObject that draws one glyph's outline (svgpath.glyph_form) in the graphics state it is used in."""
    import pydyf
    extra = pydyf.Dictionary({"Type": "/XObject", "Subtype": "/Form", "BBox": pydyf.Array(bbox)})
    return pydyf.Stream([content], extra, compress=compress)


def _draw_direct(image, width, height):
    """(operators, graphics states, glyph forms) of the SVG read by svgpath, or None: outside its subset, or unreadable here
    (WeasyPrint then fetches and draws it, or reports it, as it always did)."""
    from weasyprint.urls import fetch

    from .svgpath import WEASYPRINT, formula_operators
    if not _state["version"].startswith(WEASYPRINT):
        return None
    try:
        with fetch(image._url_fetcher, image._base_url) as response:
            data = response.read()
    except Exception:  # any failure to read is WeasyPrint's to handle, on the path it takes without us
        return None
    drawing = formula_operators(data, width, height)
    if drawing is not None:
        _state["direct"] += 1
    return drawing


def _draw_apart(original, image, stream, width, height, style):
    """(operators, graphics states, no glyph form) of the SVG drawn on a scratch stream, or None when the drawing needs more
    than paths, device colours and simple graphics states (fonts, colour spaces, patterns, images)."""
    import pydyf
    res = pydyf.Dictionary({"ExtGState": pydyf.Dictionary(), "XObject": pydyf.Dictionary(),
                            "Pattern": pydyf.Dictionary(), "Shading": pydyf.Dictionary(),
                            "ColorSpace": stream._resources.get("ColorSpace")})
    fonts = getattr(stream, "_fonts", None)
    fonts_before = len(fonts or {})
    scratch = stream.clone(resources=res, extra=None)
    # A fresh parse: WeasyPrint's <use> rewrites the SVG tree as it draws, so a second drawing of the same image
    # object gives other operators; the kept drawing must not depend on what was drawn before.
    from weasyprint.images import SVGImage, get_image_from_uri
    fresh = get_image_from_uri({}, image._url_fetcher, None, image._base_url, context=image._context)
    if not isinstance(fresh, SVGImage):
        return None
    original(fresh, scratch, width, height, style)
    if len(fonts or {}) != fonts_before or any(res[k] for k in ("XObject", "Pattern", "Shading")):
        return None
    states = {}
    for name, v in res["ExtGState"].items():
        if not isinstance(v, dict) or not all(isinstance(x, (int, float)) for x in v.values()):
            return None
        states[name] = dict(v)
    from pydyf import _to_bytes
    ops = b"\n".join(_to_bytes(item) for item in scratch.stream)
    if NAMED_RESOURCE_OPS & set(ops.split()):
        return None
    return ops, states, {}


NAMED_RESOURCE_OPS = {b"cs", b"CS", b"scn", b"SCN", b"Tf", b"Do", b"sh", b"BI", b"BDC", b"BMC"}


def _store():
    """The drawings kept across documents and builds (cache.ContentCache: plain files only, atomic writes)."""
    from ...cache import ContentCache
    from .svgpath import VERSION
    folder = _state["folder"]
    # svgpath's version in the key: drawings it makes never mix with those an earlier converter (or WeasyPrint
    # alone) made, so a cold and a warm cache give the same bytes even if a converter change alters a drawing.
    return ContentCache(Path(folder), versions=(_state["version"], VERSION)) if folder is not None else None


def _load(key):
    """A kept drawing, or None. The file is in the working tree, so it is checked: its operators name no resource
    but its own glyph forms, and each form holds a path and its fill only, under the name its content hashes to."""
    store = _store()
    entry = store.get_json(store.key(*key)) if store is not None else None
    try:
        ops, states = entry["ops"].encode("latin-1"), entry["ext_g_state"]
        glyphs = {name: (content.encode("latin-1"), tuple(float(x) for x in bbox))
                  for name, (content, bbox) in entry["glyphs"].items()}
    except (TypeError, KeyError, AttributeError, UnicodeEncodeError, ValueError):
        return None
    if not isinstance(states, dict) or not all(_is_glyph_form(n, c, b) for n, (c, b) in glyphs.items()):
        return None
    from .svgpath import GLYPH_NAME
    if any(m.group(1).decode() not in glyphs for m in GLYPH_NAME.finditer(ops)) \
            or NAMED_RESOURCE_OPS & set(GLYPH_NAME.sub(b"", ops).split()):
        return None
    _state["cached"] += 1
    return ops, states, glyphs


_NUM = rb"-?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+) "
_PATH_OP = rb"(?:(?:%s){2}[ml]|(?:%s){6}c|h)" % (_NUM, _NUM)
PATH_CONTENT = re.compile(rb"%s(?:\n%s)*\nf" % (_PATH_OP, _PATH_OP))  # moves, lines, curves, closes; one fill


def _is_glyph_form(name: str, content: bytes, bbox: tuple) -> bool:
    from .svgpath import glyph_name
    return len(bbox) == 4 and all(math.isfinite(x) for x in bbox) and PATH_CONTENT.fullmatch(content) is not None \
        and name == glyph_name(content)


def _save(key, drawing) -> None:
    store = _store()
    if store is None:
        return
    ops, states, glyphs = drawing
    store.put_json(store.key(*key), {"ops": ops.decode("latin-1"), "ext_g_state": states,
                                     "glyphs": {n: [c.decode("latin-1"), list(b)] for n, (c, b) in glyphs.items()}})
