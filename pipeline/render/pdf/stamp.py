"""Page numbers stamped after layout, from templates (docs/build.md, "Page numbers from templates").

Every printed page number (a footer, a TOC entry, "第 N 页）。") is an *item*: a template and the number it
prints. A template is what WeasyPrint draws for one kind of item with a number of d zeros ("00" for every 2-digit
footer; "{} 页）。" in the reference's style with "000"), laid out once, one page per template, in one small
document per edition (`templates_html`), cached by its HTML. Beside the templates, the document holds the ten
digits in each style, which give each digit's glyph. The join then writes every page's stamp itself: each item is
its template's content stream, with the zeros' glyphs replaced by the number's (the digits of these fonts all have
the same advance, which is checked, so a centred or right-aligned number stays where WeasyPrint would put it) and
moved to the item's place. An edit that moves every later page number therefore lays nothing out again, and the
stamps depend only on the source, not on what earlier builds left in the cache. Where a style's digits differ in
width, or a template's zeros cannot be found, that item gets a template of its own exact text (laid out then).
"""

from __future__ import annotations

import html as htmllib
import io
from dataclasses import dataclass
from pathlib import Path

from ...templates import template_dir
from .document import PG_WIDEST, UNKNOWN_PAGE
from .layout import write_pdf

STAMP_CSS = """
html, body { margin: 0; padding: 0; }
@page { @top-center { content: none; } @bottom-center { content: string(pgno); } }
div.t { position: relative; height: 1px; break-before: page; string-set: pgno attr(data-n); }
div.t:first-child { break-before: auto; }
div.t span { position: absolute; white-space: nowrap; text-align: left; }
/* A TOC entry: dots right-aligned with the number, clipped at the placeholder's left edge, so the entry's leader
   goes on up to its number. */
div.t span.right { overflow: hidden; background: #fff; }
div.t span.right i { float: right; font-style: inherit; }
"""

# A TOC leader (CSS leader()) stops a fraction of a dot short of the placeholder, which left a visible gap before
# the stamped dots of a short number: the stamp starts this far to the left, paints over the leader's last dots
# (white background) and draws its own, so the dots run on to the number.
LEADER_OVERLAP_PX = 10
LEADER_OVERLAP_DOTS = 4
DIGITS = "0123456789"
FOOT = ("foot",)


def shape(text: str) -> str:
    """What a template is made for: "0" for each digit of a page number, the text itself otherwise ("??")."""
    return "0" * len(text) if text.isdigit() else text


def page_items(layout: dict, start: int, number_of) -> list[list[tuple]]:
    """Each page's items [(template key, text, x, y)] of a laid-out document (or part) starting at page `start`:
    its footer (none on the cover and blank pages), then its placeholders at their places (px from the content
    box). A key is FOOT + (shape,) or ("pg", css, format, align, width, shape)."""
    pages: list[list[tuple]] = [[] for _ in range(layout["pages"])]
    nofoot = set(layout.get("nofoot", []))
    for i, items in enumerate(pages):
        if i not in nofoot:
            text = str(start + i)
            items.append((FOOT + (shape(text),), text, 0.0, 0.0))
    for i, x, y, w, target, fmt, align, style in layout.get("pg", []):
        text = str(number_of(target))
        pages[i].append((("pg", style, fmt, align, w, shape(text)), text, x, y))
    return pages


def template_keys(documents) -> list[tuple]:
    """The templates the items of these documents need, and the digit samples of their styles, in a stable order."""
    keys = {key for pages in documents for items in pages for key, *_ in items}
    keys |= {_digits_key(k) for k in keys if _numeric(k)}
    return sorted(keys, key=repr)


def _numeric(key: tuple) -> bool:
    return key[-1] != DIGITS and set(key[-1]) == {"0"}


def _digits_key(key: tuple) -> tuple:
    return FOOT + (DIGITS,) if key[0] == "foot" else ("pg", key[1], "{}", "left", 0.0, DIGITS)


def templates_html(lang: str, keys: list[tuple]) -> str:
    """One page per template, in the order of `keys`: a footer printing its shape, or a placeholder's text in its
    style at the content box's top left."""
    css = (template_dir() / "book.css").read_text("utf-8")
    pages = "".join(_template_page(key) for key in keys)
    return (f'<!DOCTYPE html><html lang="{lang}"><head><meta charset="utf-8"><style>{css}\n{STAMP_CSS}</style>'
            f'</head><body>{pages}</body></html>')


def _template_page(key: tuple) -> str:
    if key[0] == "foot":
        return f'<div class="t" data-n="{htmllib.escape(key[1])}"></div>'
    _, style, fmt, align, w, text = key
    text = htmllib.escape(fmt.format(text))
    x = 0.0
    if align == "right":  # about two dots a digit (Noto Sans): three, and the excess is clipped
        text = f"<i>{'.' * (3 * max(0, len(PG_WIDEST) - len(text)) + LEADER_OVERLAP_DOTS)}{text}</i>"
        x, w = x - LEADER_OVERLAP_PX, w + LEADER_OVERLAP_PX
    css = htmllib.escape(f"left:{x}px;top:0px;width:{w}px;{style}")
    return f'<div class="t" data-n=""><span class="{align}" style="{css}">{text}</span></div>'


@dataclass
class Template:
    """A template's drawing: its content stream's instructions, and where its zeros are: [(instruction, element
    of its TJ array, digit position)]; `codes`: the style's digit glyphs (2-byte codes), None for exact text."""
    instructions: list
    slots: list
    codes: list | None


def stamp_pages(pdf, templates: bytes, keys: list[tuple], placed: list, lang: str = "zh",
                root: Path | None = None, exact: bool = False) -> None:
    """Overlay every page's stamp on the joined `pdf` (a pikepdf.Pdf): `placed` is [(first page, page_items of that
    document)]. Each page gets one Form XObject drawn after its own content, marked /Artifact; every form shares one
    copy of the templates' resources (fonts, graphics states)."""
    import pikepdf
    doc = pikepdf.open(io.BytesIO(templates))
    compiled = _compile(doc, keys)
    if any(compiled.get(k) is None for _, pages in placed for items in pages for k, *_ in items):
        if exact:
            raise RuntimeError("the page-number templates do not match their keys")
        # digits of unequal width, or zeros not found: templates of those items' exact texts
        placed = [(first, [[_exact(item, compiled) for item in items] for items in pages]) for first, pages in placed]
        keys = template_keys([pages for _, pages in placed])
        return stamp_pages(pdf, write_pdf(templates_html(lang, keys), root or Path(".")), keys, placed, lang, root,
                           exact=True)
    resources = pdf.copy_foreign(_shared_resources(doc))
    box = pikepdf.Array([float(v) for v in doc.pages[0].mediabox])
    push = pdf.make_indirect(pikepdf.Stream(pdf, b"q\n"))
    shared: dict = {}  # (objnum, gen) of a page's resources -> its stamped copy
    for first, pages in placed:
        for k, items in enumerate(pages):
            if items:
                form = pikepdf.Stream(pdf, _page_stream(compiled, items))
                form.Type, form.Subtype, form.FormType = pikepdf.Name.XObject, pikepdf.Name.Form, 1
                form.BBox, form.Resources = box, resources
                _overlay(pdf, pdf.pages[first + k].obj, pdf.make_indirect(form), f"/dl500pg{first + k}", push,
                         shared)


def _exact(item: tuple, compiled: dict) -> tuple:
    key, text, x, y = item
    return item if compiled.get(key) is not None else (key[:-1] + (text,), text, x, y)


def _page_stream(compiled: dict, items: list) -> bytes:
    import pikepdf
    out = []
    for key, text, x, y in items:
        tpl = compiled[key]
        out.append(b"q 1 0 0 1 %s %s cm\n" % (_num(0.75 * x), _num(-0.75 * y)))
        out.append(pikepdf.unparse_content_stream(_filled(tpl, text)))
        out.append(b"\nQ\n")
    return b"".join(out)


def _num(v: float) -> bytes:
    return (b"%.4f" % v).rstrip(b"0").rstrip(b".") or b"0"


def _filled(tpl: Template, text: str) -> list:
    """The template's instructions with its zeros' glyphs replaced by the digits of `text`."""
    if not tpl.slots:
        return tpl.instructions
    import pikepdf
    out = list(tpl.instructions)
    arrays: dict = {}
    for ii, ei, pos in tpl.slots:
        arr = arrays.setdefault(ii, list(tpl.instructions[ii].operands[0]))
        arr[ei] = pikepdf.String(tpl.codes[int(text[pos])])
    for ii, arr in arrays.items():
        out[ii] = pikepdf.ContentStreamInstruction([pikepdf.Array(arr)], pikepdf.Operator("TJ"))
    return out


def _overlay(pdf, page, form, name: str, push, shared: dict) -> None:
    """Draw `form` after the page's own content (q … Q /Artifact BMC /dl500pgN Do EMC): no content stream of the
    page is parsed. Pages that shared a resource dictionary (WeasyPrint writes one per document) share its stamped
    copy, which names every page's form."""
    import pikepdf
    from pikepdf import Array, Dictionary
    raw = page.get("/Resources")
    key = raw.objgen if raw is not None and raw.is_indirect else None
    if key is None or key not in shared:
        new = Dictionary(raw) if raw is not None else Dictionary()
        new.XObject = Dictionary(new.XObject) if "/XObject" in new else Dictionary()
        new = pdf.make_indirect(new)
        if key is not None:
            shared[key] = new
    new = shared[key] if key is not None else new
    new.XObject[name] = form
    page.Resources = new
    pop = pdf.make_indirect(pikepdf.Stream(pdf, f"\nQ\n/Artifact BMC {name} Do EMC\n".encode()))  # not content
    old = page.get("/Contents")
    items = list(old) if isinstance(old, Array) else ([old] if old is not None else [])
    page.Contents = Array([push, *items, pop])


def _shared_resources(doc):
    """The templates' resources: WeasyPrint writes one dictionary per document; merged here if it wrote more."""
    import pikepdf
    first = doc.pages[0].obj.get("/Resources")
    merged = pikepdf.Dictionary(first) if first is not None else pikepdf.Dictionary()
    for page in doc.pages[1:]:
        res = page.obj.get("/Resources")
        if res is None or (first is not None and res.is_indirect and first.is_indirect and res.objgen == first.objgen):
            continue
        for cat, entries in res.items():
            into = merged.get(cat)
            if isinstance(entries, pikepdf.Dictionary):
                into = pikepdf.Dictionary(into) if isinstance(into, pikepdf.Dictionary) else pikepdf.Dictionary()
                for name, obj in entries.items():
                    if name not in into:
                        into[name] = obj
                merged[cat] = into
            elif into is None:
                merged[cat] = entries
    return doc.make_indirect(merged)


def _compile(doc, keys: list[tuple]) -> dict:
    """key → Template, or None where the zeros of a numeric template cannot be replaced safely."""
    import pikepdf
    if len(doc.pages) != len(keys):
        return {}
    instructions = {key: pikepdf.parse_content_stream(doc.pages[i]) for i, key in enumerate(keys)}
    widths = _font_widths(doc)
    out = {}
    for key, ins in instructions.items():
        if not _numeric(key):
            out[key] = Template(ins, [], None)
            continue
        codes = _digit_codes(instructions.get(_digits_key(key)), widths)
        out[key] = _with_slots(ins, key[-1], codes) if codes else None
    return out


def _shown_glyphs(instructions):
    """(instruction index, element index, font name, 2-byte code) of every glyph a TJ shows."""
    import pikepdf
    font = None
    for ii, ins in enumerate(instructions):
        op = str(ins.operator)
        if op == "Tf":
            font = str(ins.operands[0])
        elif op == "TJ":
            for ei, el in enumerate(ins.operands[0]):
                if isinstance(el, pikepdf.String):
                    raw = bytes(el)
                    for j in range(0, len(raw), 2):
                        yield ii, ei if len(raw) == 2 else None, font, raw[j:j + 2]
        elif op in ("Tj", "'", '"'):
            yield ii, None, font, b""  # a form this code does not rewrite: never a slot


def _digit_codes(instructions, widths: dict) -> list | None:
    """The ten digits' glyph codes of a style, or None if they are not ten glyphs of one font of equal width."""
    if instructions is None:
        return None
    shown = list(_shown_glyphs(instructions))
    fonts = {font for _, _, font, _ in shown}
    codes = [code for *_, code in shown]
    if len(shown) != 10 or len(fonts) != 1 or len(set(codes)) != 10:
        return None
    font = fonts.pop()
    advance = {widths.get(font, {}).get(int.from_bytes(c, "big")) for c in codes}
    return [(font, c) for c in codes] if len(advance) == 1 and None not in advance else None


def _with_slots(instructions, zeros: str, codes: list) -> Template | None:
    """The template with its zeros found: exactly len(zeros) glyphs of the digits' font showing the zero's code,
    each its own string in a TJ array (as WeasyPrint writes them)."""
    font, zero = codes[0]
    hits = [(ii, ei) for ii, ei, f, code in _shown_glyphs(instructions) if f == font and code == zero]
    if len(hits) != len(zeros) or any(ei is None for _, ei in hits):
        return None
    return Template(instructions, [(ii, ei, pos) for pos, (ii, ei) in enumerate(hits)], [c for _, c in codes])


def _font_widths(doc) -> dict:
    """Font resource name → {glyph id: width} from the CIDFonts' /W arrays (WeasyPrint's Type0 fonts)."""
    import pikepdf
    out: dict = {}
    for page in doc.pages:
        fonts = (page.obj.get("/Resources") or pikepdf.Dictionary()).get("/Font") or pikepdf.Dictionary()
        for name, font in fonts.items():
            if name in out or font.get("/Subtype") != pikepdf.Name.Type0:
                continue
            out[name] = _widths(list(font.DescendantFonts[0].get("/W") or []))
    return out


def _widths(w: list) -> dict:
    import pikepdf
    out, i = {}, 0
    while i < len(w):
        first = int(w[i])
        if i + 1 < len(w) and isinstance(w[i + 1], pikepdf.Array):
            for k, v in enumerate(w[i + 1]):
                out[first + k] = float(v)
            i += 2
        else:
            for g in range(first, int(w[i + 1]) + 1):
                out[g] = float(w[i + 2])
            i += 3
    return out


def anchor_pages(layout: dict, start: int = 1):
    anchors = layout.get("anchors", {})

    def number_of(target):
        hit = anchors.get(target)
        return start + hit[0] if hit else UNKNOWN_PAGE

    return number_of


def write_stamped_pdf(html: str, root: Path, lang: str, tags: bool = True, svgs: Path | None = None) -> bytes:
    """The single document: laid out once with placeholders, stamped with its own page numbers; tagged (as the
    parts are: their structure trees are merged at the join, pdf.structure)."""
    import pikepdf

    from .fonts import share_fonts
    from .lean import lean_pdf
    from .save import save
    data, layout = write_pdf(html, root, with_layout=True, tags=tags, svgs=svgs)
    data = lean_pdf(data) if tags else data
    items = page_items(layout, 1, anchor_pages(layout))
    keys = template_keys([items])
    templates = write_pdf(templates_html(lang, keys), root)
    pdf = pikepdf.open(io.BytesIO(data))
    stamp_pages(pdf, templates, keys, [(0, items)], lang, root)
    share_fonts(pdf)
    return save(pdf)
