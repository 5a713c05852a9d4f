"""A leaner structure tree for each tagged part, right after WeasyPrint writes it.

WeasyPrint wraps every run of text in a /Span element of its own: on the real book ~75% of the ~140,000 elements
of the Chinese edition, and they say nothing to a screen reader (no /Lang, /ActualText, /Alt or attributes). Each
plain span, and each plain /NonStruct (an element WeasyPrint has no role for: strong, em, code, pre, anonymous
boxes; the standard reads its content as its parent's), is replaced by its content in its parent (its
marked-content ids move up, as MCRs where the parent sits on another page) and the ParentTree is rebuilt from the
tree. The part's text, figures, alt text, links and reading order stay; the join then copies a fraction of the
elements (time, memory) and the file is smaller.
Runs in the layout worker, so a part is made lean once and cached so.
"""

from __future__ import annotations

import io

from .save import save

MAX_TREE_DEPTH = 512  # a number tree or structure tree deeper than this is not one WeasyPrint wrote


def _is_elem(obj) -> bool:
    import pikepdf
    return isinstance(obj, pikepdf.Dictionary) and "/S" in obj and obj.get("/Type") not in (
        pikepdf.Name.MCR, pikepdf.Name.OBJR)


def lean_pdf(data: bytes, record: bool = False) -> bytes:
    """The tagged PDF `data` with its plain spans folded into their parents (unchanged if it has no tree);
    `record`: a part's, which also keeps what the join needs of its tree (walk_record)."""
    import pikepdf
    pdf = pikepdf.open(io.BytesIO(data))
    root = pdf.Root.get("/StructTreeRoot")
    if not isinstance(root, pikepdf.Dictionary):
        return data
    kids = root.get("/K")
    lean_tree(root, list(kids) if isinstance(kids, pikepdf.Array) else [kids])
    walked = walk_record(top_elements(root)) if record else None
    if walked is not None:
        root[WALK_KEY] = walked
    return save(pdf)


WALK_KEY = "/DL500Walk"  # in a part's own StructTreeRoot only: the join copies the elements, never this root


def top_elements(root) -> list:
    """The part's top elements: the children of its Document element (or the root's kids if it has none)."""
    import pikepdf

    def as_list(k):
        return list(k) if isinstance(k, pikepdf.Array) else ([k] if k is not None else [])

    kids = as_list(root.get("/K"))
    if len(kids) == 1 and isinstance(kids[0], pikepdf.Dictionary) and kids[0].get("/S") == pikepdf.Name.Document:
        return as_list(kids[0].get("/K"))
    return kids


def collect_elements(tops: list) -> tuple:
    """One walk of the tree under `tops`: (elements with an /ID, with an /NS, with attributes naming /Headers (the
    table cells whose names the join prefixes; the figures' layout attributes are most of the others), count of
    elements, count of Figures), each element once, no deeper than MAX_TREE_DEPTH."""
    import pikepdf
    ids, with_ns, with_headers, count, figures = [], [], [], 0, 0
    stack, seen = [(t, 0) for t in tops], set()
    while stack:
        elem, depth = stack.pop()
        if not _is_elem(elem) or depth > MAX_TREE_DEPTH or (elem.is_indirect and elem.objgen in seen):
            continue
        if elem.is_indirect:
            seen.add(elem.objgen)
        count += 1
        figures += elem.get("/S") == pikepdf.Name.Figure
        if "/ID" in elem:
            ids.append(elem)
        if "/NS" in elem:
            with_ns.append(elem)
        if "/A" in elem and names_headers(elem.A):
            with_headers.append(elem)
        kids = elem.get("/K")
        kids = list(kids) if isinstance(kids, pikepdf.Array) else ([kids] if kids is not None else [])
        stack += [(k, depth + 1) for k in reversed(kids) if isinstance(k, pikepdf.Dictionary)]
    return ids, with_ns, with_headers, count, figures


def names_headers(attrs) -> bool:
    """Whether an element's attributes (one dictionary or an array of them) hold a /Headers entry."""
    import pikepdf
    return any(isinstance(a, pikepdf.Dictionary) and "/Headers" in a
               for a in (attrs if isinstance(attrs, pikepdf.Array) else [attrs]))


def walk_record(tops: list):
    """What the join needs of a part's tree, found here once (in the layout worker, cached with the part) instead of
    at every join: a dictionary of the elements with an /ID, an /NS or /Headers in their attributes, and the counts;
    None if one of those elements is not an indirect object (a copy in the record would not be the element)."""
    import pikepdf
    ids, with_ns, with_headers, count, figures = collect_elements(tops)
    if not all(e.is_indirect for e in (*ids, *with_ns, *with_headers)):
        return None
    return pikepdf.Dictionary(IDs=pikepdf.Array(ids), NS=pikepdf.Array(with_ns), Headers=pikepdf.Array(with_headers),
                              Count=count, Figures=figures)


PLAIN_SPAN_KEYS = {"/Type", "/S", "/P", "/K", "/Pg"}
FOLDED_ROLES = ("/Span", "/NonStruct")


def _kids(elem) -> list:
    import pikepdf
    k = elem.get("/K")
    return list(k) if isinstance(k, pikepdf.Array) else ([k] if k is not None else [])


def _plain_span(obj) -> bool:
    """A /Span or /NonStruct that says nothing but "these marks belong here" (no /Lang, /ActualText, /Alt, /ID,
    attributes). WeasyPrint makes a /NonStruct of every element it has no role for (strong, em, code, pre, the
    anonymous boxes in list items and table cells): the standard says its content reads as if it were in the
    parent, so folding it changes nothing a reader hears (29% of the real book's elements after the spans)."""
    return (_is_elem(obj) and obj.get("/S") in FOLDED_ROLES and obj.is_indirect
            and set(obj.keys()) <= PLAIN_SPAN_KEYS)


def _same_page(a, b) -> bool:
    return a is not None and b is not None and a.is_indirect and b.is_indirect and a.objgen == b.objgen


def _spliced(elem, span, depth: int = 0) -> list:
    """The kids of a plain span as kids of `elem`: marked-content ids on another page than elem's become MCRs."""
    import pikepdf
    out, page = [], span.get("/Pg")
    for k in _kids(span):
        if isinstance(k, pikepdf.Dictionary) and _plain_span(k) and depth < MAX_TREE_DEPTH:
            out += _spliced(elem, k, depth + 1)
        elif isinstance(k, pikepdf.Dictionary):
            if _is_elem(k):
                k.P = elem
            out.append(k)
        elif _same_page(page, elem.get("/Pg")):
            out.append(int(k))
        elif page is not None:
            out.append(pikepdf.Dictionary(Type=pikepdf.Name.MCR, Pg=page, MCID=int(k)))
    return out


def lean_tree(root, tops: list) -> None:
    """Replace plain spans by their content in every element of the tree under `tops`, then rebuild the
    ParentTree (marked-content id → the element that now holds it). WeasyPrint wraps every line of text in a
    /Span of its own: ~75% of a part's elements, which say nothing to a screen reader but cost memory, time and
    bytes at the join."""
    import pikepdf
    stack, owners = list(tops), []
    while stack:
        elem = stack.pop()
        if not _is_elem(elem):
            continue
        kids, changed = [], False
        for k in _kids(elem):
            if isinstance(k, pikepdf.Dictionary) and _plain_span(k):
                kids += _spliced(elem, k)
                changed = True
            else:
                kids.append(k)
        if changed:
            elem.K = pikepdf.Array(kids)
        owners.append((elem, kids))
        stack += [k for k in kids if isinstance(k, pikepdf.Dictionary) and _is_elem(k)]
    _rebuild_parent_tree(root, owners)


def _rebuild_parent_tree(root, owners: list) -> None:
    import pikepdf
    pages: dict = {}  # StructParents key -> {mcid: element}
    objects: dict = {}  # StructParent key -> element
    for elem, kids in owners:
        for k in kids:
            if isinstance(k, pikepdf.Dictionary) and _is_elem(k):
                continue
            if isinstance(k, pikepdf.Dictionary) and k.get("/Type") == pikepdf.Name.OBJR:
                key = k.Obj.get("/StructParent") if isinstance(k.get("/Obj"), pikepdf.Dictionary) else None
                if key is not None:
                    objects[int(key)] = elem
                continue
            page, mcid = (k.get("/Pg"), k.get("/MCID")) if isinstance(k, pikepdf.Dictionary) else (
                elem.get("/Pg"), k)
            key = page.get("/StructParents") if isinstance(page, pikepdf.Dictionary) else None
            if key is not None and mcid is not None:
                pages.setdefault(int(key), {})[int(mcid)] = elem
    nums = []
    for key in sorted(set(pages) | set(objects)):
        if key in pages:
            marks = pages[key]
            nums += [key, pikepdf.Array([marks.get(i) for i in range(max(marks) + 1)])]
        else:
            nums += [key, objects[key]]
    root.ParentTree = pikepdf.Dictionary(Nums=pikepdf.Array(nums))
