"""TeX formulas → SVG (for the PDF; WeasyPrint has no MathML) and → MathML (for the EPUB).

Renderer choice, measured on the LaTeX of this book (see docs/build.md): ziamath for SVG (pure Python, draws with
STIX Two Math, ~15–25 ms a formula, rendered once and cached), latex2mathml for MathML (~1 ms). Both silently
print an unknown command as text (`<mi>\\foo</mi>`) and ziamath draws Han characters as empty boxes: those become
DL506 diagnostics at the formula's source line instead of wrong output.
"""

from __future__ import annotations

import base64
import re
from concurrent.futures import ProcessPoolExecutor
from functools import lru_cache
from pathlib import Path

from ..cache import ContentCache, key

HAN = re.compile(r"[\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uff00-\uffef]")
UNKNOWN = re.compile(r"<m[io][^>]*>\\([A-Za-z]+)</m[io]>")
ZIAMATH_SIZE = 24.0  # px; SVG sizes are converted to em of the surrounding text


# Commands latex2mathml (and ziamath, which parses with it) does not know, written in forms it does.
TEX_SHIMS = [
    (re.compile(r"\\operatorname\*"), r"\\operatorname"),
    (re.compile(r"\\arg(?![A-Za-z])"), r"\\operatorname{arg}"),
    (re.compile(r"\\lfloor(?![A-Za-z])"), "⌊"),
    (re.compile(r"\\rfloor(?![A-Za-z])"), "⌋"),
    (re.compile(r"\\lceil(?![A-Za-z])"), "⌈"),
    (re.compile(r"\\rceil(?![A-Za-z])"), "⌉"),
]


def normalise_tex(tex: str) -> str:
    tex = tex.replace("\u200b", "").replace("\ufeff", "").replace("\u00a0", " ").strip()
    for pattern, repl in TEX_SHIMS:
        tex = pattern.sub(repl, tex)
    return tex


def formula_key(tex: str, display: bool) -> str:
    # "v2": entries carry the formula's problems beside its SVG
    return key("v2", f"ziamath {package_version('ziamath')}", str(display), normalise_tex(tex))


@lru_cache(maxsize=8)
def package_version(name: str) -> str:
    """An installed package's version, from its distribution's metadata: importing ziamath just to read its
    `__version__` (the same string) was 0.11 s of every build's prepare, which only looks formulas up."""
    from importlib import metadata
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return getattr(__import__(name), "__version__", "0")


def problems(tex: str) -> list[str]:
    """Why a formula cannot be rendered faithfully (empty list: it can)."""
    out = []
    if HAN.search(tex):
        out.append("Chinese characters or full-width punctuation inside math are drawn as empty boxes")
    try:
        mml = to_mathml(tex, False)
    except Exception as e:  # latex2mathml raises many types on bad input
        return out + [f"cannot parse: {type(e).__name__}: {e}"]
    unknown = sorted(set(UNKNOWN.findall(mml)))
    if unknown:
        out.append("unknown command(s): " + ", ".join("\\" + u for u in unknown))
    return out


def render_svg(tex: str, display: bool) -> dict:
    """One formula → {'svg', 'width_em', 'height_em', 'depth_em'} or {'error'}."""
    import ziamath
    try:
        m = ziamath.Latex(normalise_tex(tex), size=ZIAMATH_SIZE, inline=not display)
        svg = m.svg()
    except Exception as e:
        return {"error": f"{type(e).__name__}: {e}"}
    vb = re.search(r'viewBox="([-\d.]+) ([-\d.]+) ([-\d.]+) ([-\d.]+)"', svg)
    x, y, w, h = (float(v) for v in vb.groups()) if vb else (0, -ZIAMATH_SIZE, ZIAMATH_SIZE, ZIAMATH_SIZE)
    depth = y + h  # below the baseline (y = 0)
    svg = dedupe_symbol_ids(svg)
    return {"svg": svg, "width_em": round(w / ZIAMATH_SIZE, 4), "height_em": round(h / ZIAMATH_SIZE, 4),
            "depth_em": round(depth / ZIAMATH_SIZE, 4)}


def dedupe_symbol_ids(svg: str) -> str:
    """ziamath may define the same <symbol id> twice in one SVG (stretchy delimiters): keep the first."""
    seen = set()

    def keep(m):
        sid = m.group(1)
        if sid in seen:
            return ""
        seen.add(sid)
        return m.group(0)

    # a self-closing <symbol …/> is one element too: `.*?</symbol>` alone would run on to the next one's end
    return re.sub(r'<symbol id="([^"]+)"(?:[^>]*/>|.*?</symbol>)', keep, svg, flags=re.S)


def svg_img(r: dict, display: bool, tex: str, src: str | None = None) -> str:
    """An <img> with the SVG as a data URI (or `src`: the PDF's reference to its SVG store, pdf.svgs): cheaper for
    WeasyPrint than inline <svg>, and no id collisions."""
    if src is None:
        src = "data:image/svg+xml;base64," + base64.b64encode(r["svg"].encode("utf-8")).decode("ascii")
    alt = (tex.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;").replace(">", "&gt;")
           .replace("\n", " "))
    style = f"width:{r['width_em']}em;height:{r['height_em']}em"
    if not display:
        style += f";vertical-align:-{r['depth_em']}em"
    cls = "math-display" if display else "math-inline"
    return f'<img class="{cls}" alt="{alt}" style="{style}" src="{src}"/>'


def to_mathml(tex: str, display: bool) -> str:
    from latex2mathml.converter import convert
    return convert(normalise_tex(tex), display="block" if display else "inline")


@lru_cache(maxsize=None)
def mathml_with_fallback(tex: str, display: bool) -> str:
    """MathML carrying the TeX as alttext and an annotation: readers without MathML show the text."""
    mml = to_mathml(tex, display)
    alt = tex.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;").replace(">", "&gt;")
    alt = " ".join(alt.split())
    mml = mml.replace("<math ", f'<math alttext="{alt}" ', 1)
    return mml


class MathCache(ContentCache):
    """One rendered formula ({'svg', sizes, 'problems'} or {'error', 'problems'}) by formula_key."""

    def __init__(self, folder: Path):
        super().__init__(folder, suffix=".json")

    def get(self, k: str) -> dict | None:
        value = self.get_json(k)
        return value if isinstance(value, dict) else None

    def put(self, k: str, value: dict) -> None:
        self.put_json(k, value)


MATHML_FORMAT = "1"  # bump when to_mathml's output changes for the same latex2mathml


@lru_cache(maxsize=1)
def mathml_version() -> str:
    return f"latex2mathml {package_version('latex2mathml')} /{MATHML_FORMAT}"


def mathml_entry(tex: str, display: bool) -> dict:
    """What a formula's cache entry keeps of its MathML (the web edition's math): latex2mathml's output, or None
    where it raises, with the version that made it."""
    try:
        mml = to_mathml(tex, display)
    except Exception:  # latex2mathml raises many types on bad input
        mml = None
    return {"version": mathml_version(), "mathml": mml}


MISSING = object()


def cached_mathml(entry):
    """The MathML a formula's cache entry holds (str, or None: latex2mathml cannot convert it), or MISSING when it
    holds none of this version or of the wrong shape (the cache is in the working tree: a miss, never trusted)."""
    m = entry.get("mathml") if isinstance(entry, dict) else None
    if not isinstance(m, dict) or m.get("version") != mathml_version():
        return MISSING
    value = m.get("mathml", MISSING)
    return value if value is None or isinstance(value, str) else MISSING


def _render_one(args):
    """Render one formula and record what the renderers cannot draw faithfully, cached together."""
    tex, display = args
    return {**render_svg(tex, display), "problems": problems(tex), "mathml": mathml_entry(tex, display)}


def add_mathml(out: dict, cache: MathCache) -> None:
    """Entries of `out` (cache hits) without this version's MathML get it, and are stored again: the PDF's SVG
    is kept as it was, the web edition then converts no formula the cache has seen."""
    for (tex, display), r in out.items():
        if cached_mathml(r) is MISSING:
            r["mathml"] = mathml_entry(tex, display)
            cache.put(formula_key(tex, display), r)


def render_all(formulas: set, cache: MathCache, jobs: int, stats: dict | None = None) -> dict:
    """(tex, display) → rendered dict, rendering only what the cache lacks, in `jobs` processes."""
    out, todo = {}, []
    for f in sorted(formulas):
        hit = cache.get(formula_key(*f))
        if hit is None:
            todo.append(f)
        else:
            out[f] = hit
    if stats is not None:
        stats["formulas_rendered"] = stats.get("formulas_rendered", 0) + len(todo)
        stats["formulas_total"] = stats.get("formulas_total", 0) + len(formulas)
    if todo:
        if jobs > 1 and len(todo) > 50:
            from .lifeline import die_with_parent
            with ProcessPoolExecutor(max_workers=jobs, initializer=die_with_parent) as ex:
                results = list(ex.map(_render_one, todo, chunksize=32))
        else:
            results = [_render_one(f) for f in todo]
        for f, r in zip(todo, results):
            cache.put(formula_key(*f), r)
            out[f] = r
    add_mathml(out, cache)
    return out
