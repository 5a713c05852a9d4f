"""A formula's SVG turned straight into the PDF operators WeasyPrint would draw for it, without its SVG machinery.

WeasyPrint draws an SVG by wrapping every element in cssselect2 nodes, cascading attributes, normalising strings
with regular expressions and walking the tree (~10 ms a formula, most of a cold build's drawing time). Our formulas
are a small, fixed subset of SVG (ziamath's output): a root `<svg viewBox>`, `<symbol id viewBox>` holding glyph
`<path d>`s, `<use href x y width height fill>`, `<rect>` for fraction bars and plain `<g>`. For that subset this
module writes the same operators WeasyPrint 70 writes (`SVG.draw`, `draw_node`, `svg`, `use`, `path`, `rect`,
`set_graphical_state`, `preserve_ratio`), number for number, formatted by pydyf as WeasyPrint formats them; the
glyph outlines are converted once per process by their `d` string. Anything else (another element or attribute,
relative or arc commands, a style, a transform, opacity, a colour with alpha, a DOCTYPE or entity, a forward
reference, a number out of range) gives None: the caller lets WeasyPrint draw it. The bytes are untrusted (a file
in the working tree's cache): no DOCTYPE means expat expands no entity, and sizes and counts are bounded.

One departure from WeasyPrint, in where the bytes go, not in what is drawn: a glyph's outline (a filled `<path>`
of GLYPH_MIN_BYTES or more) is a Form XObject named by its content (`/g<hash> Do`), drawn once per part however
often the glyph occurs, where WeasyPrint repeats the path at every occurrence. The outlines were 6.6 MB of the
real zh PDF's 9.7 MB of page content (issue 21). A form inherits the graphics state, so the operators with each
form's content put back in place of its `Do` (`inline_glyphs`) are WeasyPrint's, byte for byte.
"""

from __future__ import annotations

import hashlib
import re
import xml.etree.ElementTree as ET

VERSION = "svgpath-2"  # in the drawings' cache key: a change here must not mix with drawings made before
WEASYPRINT = "70."  # the WeasyPrint whose drawing this copies (checked by tests/test_formula_drawings.py): another
# one draws formulas itself until the tests pass against it and this says so

SVG_NS = "{http://www.w3.org/2000/svg}"
XLINK_HREF = "{http://www.w3.org/1999/xlink}href"
MAX_BYTES = 2_000_000
MAX_ELEMENTS = 20_000
MAX_DEPTH = 16
MAX_NUMBER = 1e6
ATTRIBUTES = {  # what each element may carry; any other attribute could change the drawing
    "svg": {"width", "height", "viewBox"},
    "defs": {"id"},
    "symbol": {"id", "viewBox"},
    "g": {"id", "fill"},
    "use": {"id", "href", XLINK_HREF, "x", "y", "width", "height", "fill"},
    "path": {"id", "d", "fill"},
    "rect": {"id", "x", "y", "width", "height", "fill"},
}
NUMBER = re.compile(r"-?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)")
PATH_TOKEN = re.compile(r"[\s,]*(?:([MLQCZ])|(-?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+))(?=[\s,MLQCZ-]|$))")
ARITY = {"M": 2, "L": 2, "Q": 4, "C": 6, "Z": 0}
ID = re.compile(r"[A-Za-z_][A-Za-z0-9_.:-]{0,200}")
GLYPH_MIN_BYTES = 64  # a shorter outline costs less inline than as a form and its `Do`
GLYPH = "g[0-9a-f]{16}"  # a glyph form's name (glyph_name): the join and the drawings' check find them by it
GLYPH_NAME = re.compile(rb"/(%s) Do" % GLYPH.encode())


class Unsupported(Exception):
    """The SVG leaves the subset drawn here: WeasyPrint draws it."""


def formula_operators(data: bytes, width: float, height: float) -> tuple[bytes, dict, dict] | None:
    """(PDF operators, graphics states, glyph forms) for this SVG, or None when it leaves the subset. The glyph
    forms map each name the operators draw with `Do` to (the form's content, its bounding box); with those put back
    in place (`inline_glyphs`), the operators are what WeasyPrint's `SVGImage.draw(stream, width, height)` writes."""
    try:
        root = parse_svg(data)
        ops = _Operators()
        _Drawing(root, ops).draw_root(float(width), float(height))
    except (Unsupported, ValueError, ArithmeticError, RecursionError):  # the latter three only through a bug here
        return None
    return b"\n".join(ops.items), ops.states, ops.glyphs


def inline_glyphs(ops: bytes, glyphs: dict) -> bytes:
    """The operators with each glyph form's content in place of its `Do`: what WeasyPrint would have written."""
    return GLYPH_NAME.sub(lambda m: glyphs[m.group(1).decode()][0], ops)


def parse_svg(data: bytes) -> ET.Element:
    """The element tree of an SVG in UTF-8 that starts with `<svg` (no XML declaration, DOCTYPE, comment or
    CDATA: without a DOCTYPE expat defines no entity, so none is expanded)."""
    if not isinstance(data, bytes) or len(data) > MAX_BYTES or not data.lstrip().startswith(b"<svg") \
            or b"<!" in data:
        raise Unsupported("not a plain SVG document")
    try:
        data.decode("utf-8")
        root = ET.fromstring(data)
    except (UnicodeDecodeError, ET.ParseError) as err:
        raise Unsupported(str(err)) from None
    return root


def local_name(element: ET.Element) -> str:
    tag = element.tag
    if not isinstance(tag, str):
        raise Unsupported("not an element")
    name = tag[len(SVG_NS):] if tag.startswith(SVG_NS) else tag
    if name not in ATTRIBUTES:
        raise Unsupported(f"element {tag}")
    unknown = set(element.attrib) - ATTRIBUTES[name]
    if unknown or (element.text or "").strip() or (element.tail or "").strip():
        raise Unsupported(f"{name}: {sorted(unknown)} or text")
    if name in ("path", "rect", "use") and len(element):  # WeasyPrint would skip some such children, draw others
        raise Unsupported(f"{name} with children")
    return name


def number(value: str | None, default=None) -> float:
    """A plain decimal number, as WeasyPrint's `size` reads it (`float`); units, exponents and huge values are
    outside the subset. `default` when the attribute is absent (WeasyPrint's `size(None)` is the int 0)."""
    if value is None and default is not None:
        return default
    if value is None or not NUMBER.fullmatch(value) or len(value) > 24:
        raise Unsupported(f"number {value!r}")
    x = float(value)
    if abs(x) > MAX_NUMBER:
        raise Unsupported(f"number {value!r}")
    return x


def view_box(element: ET.Element) -> tuple[float, float, float, float]:
    parts = (element.get("viewBox") or "").split()
    if len(parts) != 4:
        raise Unsupported("viewBox")
    x, y, w, h = (number(p) for p in parts)
    if w < 0 or h < 0:
        raise Unsupported("negative viewBox")
    return x, y, w, h


def fit(box, width: float, height: float) -> tuple[float, float, float, float]:
    """WeasyPrint's `preserve_ratio` for the default preserveAspectRatio (xMidYMid meet), step by step, so the
    floats are the same (a zero-width glyph, a space, has a viewBox of width 0)."""
    min_x, min_y, box_width, box_height = box
    scale = min(width / box_width if box_width else 1, height / box_height if box_height else 1)
    translate_x = (width - box_width * scale) / 2
    translate_y = 0
    translate_y += (height - box_height * scale) / 2
    translate_x -= min_x * scale
    translate_y -= min_y * scale
    return scale, scale, translate_x, translate_y


class _Operators:
    """The operators as WeasyPrint's pdf.stream.Stream writes them (pydyf formatting; a `q` directly followed by
    its `Q` is dropped)."""

    def __init__(self):
        from pydyf import _to_bytes
        self.fmt = _to_bytes
        self.items: list[bytes] = []
        self.states: dict = {}
        self.glyphs: dict = {}  # name -> (form content, bounding box)

    def push(self) -> None:
        self.items.append(b"q")

    def pop(self) -> None:
        if self.items and self.items[-1] == b"q":
            self.items.pop()
        else:
            self.items.append(b"Q")

    def transform(self, a=1, b=0, c=0, d=1, e=0, f=0) -> None:
        self.items.append(b" ".join((*map(self.fmt, (a, b, c, d, e, f)), b"cm")))

    def clip_to(self, width: float, height: float) -> None:
        self.items += [b" ".join((b"0 0", self.fmt(width), self.fmt(height), b"re")), b"W", b"n"]

    def paint_state(self, fill: str) -> bool:
        """set_graphical_state for a shape with this fill and no stroke; True when it is filled."""
        value = fill.strip()
        if value and value != "none":
            alpha, rgb = fill_colour(value)
            key = f"a{alpha}"
            self.states.setdefault(key, {"ca": alpha})
            self.items += [b"/" + key.encode() + b" gs", b" ".join((*map(self.fmt, rgb), b"rg"))]
        self.items += [b"[] 0 d", b"0 J", b"0 j", b"4 M"]
        return bool(value) and value != "none"


_colours: dict = {}


def fill_colour(value: str) -> tuple[float, tuple]:
    """(alpha, sRGB channels) as WeasyPrint's `set_color` uses them; opaque sRGB colours only."""
    hit = _colours.get(value)
    if hit is None:
        from tinycss2.color5 import parse_color
        colour = parse_color(value)
        if getattr(colour, "space", None) not in ("srgb", "hsl", "hwb") or colour.alpha != 1:
            raise Unsupported(f"fill {value!r}")
        hit = (colour.alpha * 1, tuple(colour.to("srgb").coordinates))
        if len(_colours) < 256:
            _colours[value] = hit
    return hit


class _Drawing:
    """One SVG's elements drawn in WeasyPrint's order."""

    def __init__(self, root: ET.Element, ops: _Operators):
        if local_name(root) != "svg":
            raise Unsupported("root")
        self.root, self.ops = root, ops
        self.boxes: dict = {}  # symbol -> its viewBox, once checked
        self.order: dict = {}  # element -> position in document order
        self.symbols: dict = {}  # id -> first element with that id
        for i, element in enumerate(root.iter()):
            if i > MAX_ELEMENTS:
                raise Unsupported("too many elements")
            self.order[element] = i
            ident = element.get("id")
            if ident is not None and ident not in self.symbols:
                self.symbols[ident] = element

    def draw_root(self, width: float, height: float) -> None:
        if not width > 0 or not height > 0:
            raise Unsupported("size")
        self.ops.push()
        self.ops.transform(e=0, f=0)
        self.ops.transform(*_scale_matrix(fit(view_box(self.root), width, height)))
        self.draw_children(self.root, "black", 1)
        self.ops.pop()

    def draw_children(self, parent: ET.Element, fill: str, depth: int) -> None:
        if depth > MAX_DEPTH:
            raise Unsupported("too deep")
        for child in parent:
            self.draw_element(child, child.get("fill", fill), depth)

    def draw_element(self, element: ET.Element, fill: str, depth: int) -> None:
        name = local_name(element)
        if name == "defs":
            if any(local_name(child) != "symbol" for child in element):
                raise Unsupported("defs other than symbols")
        elif name == "symbol":
            check_symbol(element)  # drawn only through <use>
        elif name == "g":
            self.ops.push()
            self.draw_children(element, fill, depth + 1)
            self.ops.pop()
        elif name == "path":
            d = element.get("d", "")
            self.draw_shape(fill, path_operators(d), glyph_form(d))
        elif name == "rect":
            self.draw_shape(fill, rect_operators(element, self.ops.fmt))
        elif name == "use":
            self.draw_use(element, fill)
        else:
            raise Unsupported(name)

    def draw_shape(self, fill: str, path: list, glyph: tuple | None = None) -> None:
        self.ops.push()
        filled = self.ops.paint_state(fill)
        if filled and glyph is not None:
            name, content, bbox = glyph
            self.ops.items.append(b"/" + name.encode() + b" Do")
            self.ops.glyphs[name] = (content, bbox)
        else:
            self.ops.items += path
            self.ops.items.append(b"f" if filled else b"n")
        self.ops.pop()

    def draw_use(self, use: ET.Element, fill: str) -> None:
        """WeasyPrint's `use`: the symbol drawn as a nested <svg> of the use's width and height, clipped to it."""
        symbol, box = self.referenced_symbol(use)
        width, height = number(use.get("width")), number(use.get("height"))
        if width < 0 or height < 0:
            raise Unsupported("use size")
        self.ops.push()
        self.ops.transform(e=number(use.get("x"), 0), f=number(use.get("y"), 0))
        self.ops.push()
        self.ops.transform(e=0, f=0)
        self.ops.clip_to(width, height)
        self.ops.transform(*_scale_matrix(fit(box, width, height)))
        self.draw_children(symbol, symbol.get("fill", fill), 1)
        self.ops.pop()
        self.ops.pop()

    def referenced_symbol(self, use: ET.Element) -> tuple[ET.Element, tuple]:
        """The <symbol> a use names (`#id`) and its viewBox. It must come before the use: WeasyPrint renames the
        symbol it draws to <svg> in its tree, so a symbol reached later in document order would be drawn again."""
        href = use.get(XLINK_HREF) or use.get("href") or ""  # WeasyPrint's get_href: xlink:href first
        ident = href[1:] if href.startswith("#") else ""
        symbol = self.symbols.get(ident) if ID.fullmatch(ident) else None
        if symbol is None or self.order[symbol] > self.order[use]:
            raise Unsupported(f"use of {href[:40]!r}")
        box = self.boxes.get(symbol)
        if box is None:
            if local_name(symbol) != "symbol":
                raise Unsupported(f"use of {href[:40]!r}")
            check_symbol(symbol)
            box = self.boxes[symbol] = view_box(symbol)
        return symbol, box


def _scale_matrix(fitted) -> tuple:
    scale_x, scale_y, translate_x, translate_y = fitted
    return scale_x, 0, 0, scale_y, translate_x, translate_y


def check_symbol(symbol: ET.Element) -> None:
    """A symbol holds shapes and groups only (no <use>, so no reference cycle, and nothing drawn twice)."""
    if any(local_name(e) not in ("g", "path", "rect") for e in symbol.iter() if e is not symbol):
        raise Unsupported("symbol holding more than shapes")


def rect_operators(rect: ET.Element, fmt) -> list[bytes]:
    """WeasyPrint's `rect` without rounded corners; an empty one adds no path (its state and `f` still come)."""
    width, height = number(rect.get("width")), number(rect.get("height"))
    if width <= 0 or height <= 0:
        return []
    x, y = number(rect.get("x"), 0), number(rect.get("y"), 0)
    return [b" ".join((fmt(x), fmt(y), fmt(width), fmt(height), b"re"))]


_paths: dict = {}  # d -> operators: glyph outlines repeat across formulas (977 distinct ones in the real book)
_paths_size = [0]
PATHS_MEMO_BYTES = 8_000_000


def path_operators(d: str) -> list[bytes]:
    """WeasyPrint's `path` for absolute M, L, Q, C and Z (its leading `0 0 m` included; a quadratic segment
    becomes the cubic one it computes, with the same arithmetic)."""
    hit = _paths.get(d)
    if hit is None:
        hit = _convert_path(d)
        size = len(d) + sum(len(op) for op in hit)
        if _paths_size[0] + size <= PATHS_MEMO_BYTES:
            _paths[d] = hit
            _paths_size[0] += size
    return hit


_glyphs: dict = {}  # d -> (name, form content, bounding box) or None; at most 50,000 outlines kept


def glyph_form(d: str) -> tuple[str, bytes, tuple] | None:
    """(name, content, bounding box) of the Form XObject that fills this outline, or None for an outline too short
    to be worth a form. The name is a hash of the content: the same glyph gets the same name in every formula,
    part and build."""
    if d in _glyphs:
        return _glyphs[d]
    path = path_operators(d)
    content = b"\n".join((*path, b"f"))
    hit = None
    if len(content) >= GLYPH_MIN_BYTES:
        hit = (glyph_name(content), content, path_bounds(path))
    if len(_glyphs) < 50_000:
        _glyphs[d] = hit
    return hit


def glyph_name(content: bytes) -> str:
    """A glyph form's resource name: a hash of what it draws."""
    return "g" + hashlib.sha256(content).hexdigest()[:16]


def path_bounds(path: list[bytes]) -> tuple[float, float, float, float]:
    """A box holding every point of the path, control points included (a Bézier curve lies in their hull), one
    unit wider on each side."""
    xs, ys = [], []
    for op in path:
        numbers = op.split()[:-1]
        xs += map(float, numbers[0::2])
        ys += map(float, numbers[1::2])
    return min(xs) - 1, min(ys) - 1, max(xs) + 1, max(ys) + 1


def path_commands(d: str) -> list[tuple[str, list[float]]]:
    """(command, numbers) with implicit repetitions made explicit (extra pairs after M are L)."""
    if len(d) > MAX_BYTES or PATH_TOKEN.sub("", d).strip(" \t\r\n,"):
        raise Unsupported("path syntax")
    commands, letter, args = [], None, []
    for command, value in PATH_TOKEN.findall(d):
        if value:
            if letter is None:
                raise Unsupported("numbers before a command")
            args.append(number(value))
            continue
        if letter is not None:
            commands += _split_repeats(letter, args)
        letter, args = command, []
    if letter is not None:
        commands += _split_repeats(letter, args)
    return commands


def _split_repeats(letter: str, args: list) -> list:
    arity = ARITY[letter]
    if arity == 0:
        if args:
            raise Unsupported("numbers after Z")
        return [(letter, [])]
    if not args or len(args) % arity:
        raise Unsupported(f"{letter} with {len(args)} numbers")
    out = []
    for i in range(0, len(args), arity):
        out.append((letter if i == 0 or letter != "M" else "L", args[i:i + arity]))
    return out


def _convert_path(d: str) -> list[bytes]:
    from pydyf import _to_bytes as fmt
    ops = [b"0 0 m"]
    current = start = None
    last = None
    for letter, a in path_commands(d):
        if last in (None, "M", "Z"):
            start = None
        if letter == "M":
            current = (a[0], a[1])
            ops.append(b" ".join((fmt(a[0]), fmt(a[1]), b"m")))
        elif letter == "Z":
            if start is not None:
                ops.append(b"h")
                current = start
        elif current is None:
            raise Unsupported("a drawing command before any M")
        else:
            if start is None:
                start = current
            current = _segment(letter, a, current, ops, fmt)
        last = letter
    return ops


def _segment(letter: str, a: list, current: tuple, ops: list, fmt) -> tuple:
    if letter == "L":
        ops.append(b" ".join((fmt(a[0]), fmt(a[1]), b"l")))
        return a[0], a[1]
    if letter == "C":
        ops.append(b" ".join((*map(fmt, a), b"c")))
        return a[4], a[5]
    x1, y1 = current
    x2, y2, x3, y3 = a
    xq1 = x2 * 2 / 3 + x1 / 3
    yq1 = y2 * 2 / 3 + y1 / 3
    xq2 = x2 * 2 / 3 + x3 / 3
    yq2 = y2 * 2 / 3 + y3 / 3
    ops.append(b" ".join((*map(fmt, (xq1, yq1, xq2, yq2, x3, y3)), b"c")))
    return x3, y3
