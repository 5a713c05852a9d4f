"""The last line of defence before any output: every finished question fragment goes through nh3 with an allow-list.

Contributor text is hostile. pandoc reads bodies without raw HTML (render.pandoc), every plain text the pipeline
inserts is escaped, and this sanitizer then keeps only the markup the pipeline itself produces from Markdown:
pandoc's HTML, MathML, math and figure images, tables, Pygments' highlighting spans and the pipeline's own
attributes. Event handlers, <script>/<style>, `javascript:`/`data:` links, `file:` outside the PDF and inline CSS
beyond sizes and alignment are dropped, whatever produced them (a pandoc attribute `{onclick=…}`, a `\\text{<script>}`
that latex2mathml copies through, a link to `javascript:`).
"""

from __future__ import annotations

import re
from functools import lru_cache

HTML_TAGS = {
    "a", "abbr", "blockquote", "br", "caption", "cite", "code", "col", "colgroup", "dd", "del", "div", "dl", "dt",
    "em", "figcaption", "figure", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "img", "ins", "kbd", "li", "mark", "ol",
    "p", "pre", "q", "s", "samp", "section", "small", "span", "strong", "sub", "sup", "table", "tbody", "td",
    "tfoot", "th", "thead", "tr", "u", "ul", "var",
}
MATHML_TAGS = {
    "math", "semantics", "annotation", "mrow", "mi", "mn", "mo", "ms", "mtext", "mspace", "msup", "msub",
    "msubsup", "mfrac", "msqrt", "mroot", "mover", "munder", "munderover", "mtable", "mtr", "mtd", "mlabeledtr",
    "mstyle", "mpadded", "mphantom", "menclose", "merror", "mmultiscripts", "mprescripts", "none",
}
MATHML_ATTRS = {
    "accent", "accentunder", "columnalign", "columnlines", "columnspacing", "depth", "display", "displaystyle",
    "encoding", "fence", "form", "frame", "height", "largeop", "linebreak", "linethickness", "lspace", "mathsize",
    "mathvariant", "maxsize", "minsize", "movablelimits", "notation", "rowalign", "rowlines", "rowspacing", "rspace",
    "scriptlevel", "separator", "stretchy", "symmetric", "voffset", "width",
}
GENERIC_ATTRS = {"id", "class", "title", "lang", "dir", "role", "aria-label", "aria-hidden", "aria-describedby"}
TAG_ATTRS = {
    "a": {"href"},
    "img": {"src", "alt", "width", "height", "loading", "style"},
    "col": {"style", "span", "width"},
    "colgroup": {"span"},
    "table": {"style"},
    "th": {"style", "colspan", "rowspan", "align"},
    "td": {"style", "colspan", "rowspan", "align"},
    "ol": {"start", "type", "reversed"},
    "li": {"value"},
    "math": {"alttext", "xmlns"} | MATHML_ATTRS,
    "annotation": {"encoding"},
}
STYLE_PROPERTIES = {"width", "height", "vertical-align", "text-align", "min-width", "max-width"}
DATA_IMAGE = re.compile(r"data:image/(svg\+xml|png|jpeg|gif|webp)[;,]", re.I)
SCHEME = re.compile(r"^\s*([A-Za-z][A-Za-z0-9+.\-]*):")
LINK_SCHEMES = {"http", "https", "mailto"}
STORED_SVG = re.compile(r"dl500-svg:[0-9a-f]{64}")  # the PDF's formulas and figures by content hash (render.pdf.svgs)
# A whole start tag as html5ever serialises it: attribute values always in double quotes, no raw `"` inside.
START_TAG = re.compile(r'<[A-Za-z][^\s/>]*(?:\s+[^\s"\'=<>/]+(?:="[^"]*")?)*\s*/?>')
ATTR_VALUE = re.compile(r'="([^"]*)"')


def _url_ok(tag: str, attr: str, value: str, allow_file: bool) -> bool:
    m = SCHEME.match(value)
    if m is None:
        return True  # relative: same document, same site or same EPUB
    scheme = m.group(1).lower()
    if attr == "src" and tag == "img":
        return bool(DATA_IMAGE.match(value.strip())) or (allow_file and (
            scheme == "file" or bool(STORED_SVG.fullmatch(value.strip()))))
    return scheme in LINK_SCHEMES


def _make_filter(allow_file: bool):
    def attribute_filter(tag: str, attr: str, value: str):
        if attr in ("href", "src"):
            return value if _url_ok(tag, attr, value, allow_file) else None
        return value
    return attribute_filter


@lru_cache(maxsize=2)
def cleaner(allow_file: bool):
    import nh3
    attrs = {t: set(a) for t, a in TAG_ATTRS.items()}
    for t in MATHML_TAGS - {"math", "annotation"}:
        attrs[t] = set(MATHML_ATTRS)
    attrs["*"] = set(GENERIC_ATTRS)
    return nh3.Cleaner(
        tags=HTML_TAGS | MATHML_TAGS, attributes=attrs, generic_attribute_prefixes={"data-"},
        url_schemes=LINK_SCHEMES | {"data"} | ({"file", "dl500-svg"} if allow_file else set()),
        attribute_filter=_make_filter(allow_file), link_rel=None, strip_comments=True,
        filter_style_properties=STYLE_PROPERTIES)


def sanitize_fragment(html: str, target: str = "html") -> str:
    """Keep only allow-listed markup; `file:` image sources (and the stored SVGs, `dl500-svg:<sha256>`) only for
    the PDF, which reads them from the book (and from its own store of formulas and figures)."""
    if not html:
        return html
    clean = cleaner(target == "pdf").clean(html)
    return escape_brackets_in_attributes(clean)


def escape_brackets_in_attributes(html: str) -> str:
    """html5ever writes `<` and `>` raw inside attribute values: valid HTML, but not XHTML (the EPUB), and the
    pipeline's later passes match tags with `[^>]*`. Text is escaped already, so every raw `<letter` is a tag."""
    def fix_tag(m):
        tag = m.group(0)
        if "<" not in tag[1:] and ">" not in tag[:-1]:
            return tag
        return ATTR_VALUE.sub(lambda v: '="' + v.group(1).replace("<", "&lt;").replace(">", "&gt;") + '"', tag)
    return START_TAG.sub(fix_tag, html)


# --- SVG files: shown through <img> (inert), but the site also serves them as documents of its own origin -------

SVG_ACTIVE_ELEMENTS = {"script", "foreignobject", "iframe", "object", "embed", "handler", "listener", "animate",
                       "set", "animatemotion", "animatetransform"}
SVG_URL_ATTRS = {"href", "{http://www.w3.org/1999/xlink}href", "src", "action", "formaction"}


def unsafe_svg_reasons(data: bytes) -> list[str]:
    """Why an SVG file could run script when opened on its own (empty: it cannot). Parsed, not grepped."""
    from lxml import etree
    try:
        parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False, load_dtd=False)
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as e:
        return [f"not well-formed XML ({e})"]
    reasons = []
    for el in root.iter():
        if not isinstance(el.tag, str):
            continue
        name = el.tag.rsplit("}", 1)[-1].lower()
        if name in SVG_ACTIVE_ELEMENTS:
            reasons.append(f"<{name}> element")
        for key, value in el.attrib.items():
            attr = key.rsplit("}", 1)[-1].lower()
            if attr.startswith("on"):
                reasons.append(f"{attr}= attribute on <{name}>")
            elif key in SVG_URL_ATTRS and not value.startswith("#") and SCHEME.match(value) \
                    and not DATA_IMAGE.match(value.strip()):
                reasons.append(f"{attr}={value[:40]!r} on <{name}>")
    return sorted(set(reasons))
