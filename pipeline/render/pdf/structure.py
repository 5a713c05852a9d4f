"""One structure tree for the PDF joined from tagged parts: the parts' trees merged under one Document element.

The pages are copied first (pikepdf's add_pages_from, which keeps each page's marked content and /StructParents);
then each part's top elements are copied with qpdf's foreign-object copier, which maps every /Pg and OBJR /Obj to
the copy of that page or annotation already made. Before copying, in the part: element /IDs (table headers) and
the /Headers that name them get a per-part prefix. After: the part's ParentTree keys (pages' /StructParents,
annotations' /StructParent) are shifted past the previous parts' keys so marked-content ids stay unique, and role
maps, class maps and namespaces are merged. The catalog says /MarkInfo /Marked true, with the front part's /Lang
and /DisplayDocTitle.
"""

from __future__ import annotations

import dataclasses

from .lean import MAX_TREE_DEPTH, WALK_KEY, _is_elem, collect_elements, top_elements



@dataclasses.dataclass
class PartTree:
    """What one part contributed: its ParentTree key offset, and counts for the caller's checks."""
    offset: int
    keys: int
    elements: int
    figures: int


def _deref(node):
    """pypdf's indirect objects resolve with get_object(); pikepdf's resolve themselves."""
    import pikepdf
    return node if isinstance(node, pikepdf.Object) else node.get_object()


def number_tree_items(node, depth: int = 0) -> list:
    """[(key, value)] of a PDF number tree (/Nums leaves under /Kids), in key order; pypdf or pikepdf objects."""
    node = _deref(node) if node is not None else None
    if node is None or depth > MAX_TREE_DEPTH or not _is_dict(node):
        return []
    out = []
    nums = node.get("/Nums")
    nums = list(_deref(nums)) if nums is not None else []
    for i in range(0, len(nums) - 1, 2):
        out.append((int(nums[i]), nums[i + 1]))
    kids = node.get("/Kids")
    for kid in (list(_deref(kids)) if kids is not None else []):
        out += number_tree_items(kid, depth + 1)
    return sorted(out, key=lambda kv: kv[0])


def _is_dict(node) -> bool:
    import pikepdf
    if isinstance(node, pikepdf.Object):
        return isinstance(node, pikepdf.Dictionary)
    from pypdf.generic import DictionaryObject  # the tests read the joined file with pypdf
    return isinstance(node, DictionaryObject)


@dataclasses.dataclass
class _PartWalk:
    """One pass over a part's elements (in the part, before copying): ids prefixed, elements counted."""
    ids: list = dataclasses.field(default_factory=list)  # (prefixed /ID, element)
    with_ns: list = dataclasses.field(default_factory=list)  # elements that name a namespace
    count: int = 0
    figures: int = 0


def _walk_part(root, prefix: str) -> _PartWalk:
    """Prefix every element /ID and every /Headers entry (table cells) so they stay unique in the joined file. The
    elements come from the record the layout worker left (lean.walk_record), or from a walk of the tree."""
    import pikepdf
    record = root.get(WALK_KEY)
    try:
        ids, with_ns, with_headers = (list(record[k]) for k in ("/IDs", "/NS", "/Headers"))
        count, figures = int(record.Count), int(record.Figures)
    except (TypeError, KeyError, AttributeError, ValueError):
        ids, with_ns, with_headers, count, figures = collect_elements(top_elements(root))
    walk = _PartWalk(with_ns=[e for e in with_ns if _is_elem(e)], count=count, figures=figures)
    for elem in ids:
        if _is_elem(elem) and "/ID" in elem:
            elem.ID = pikepdf.String(prefix + str(elem.ID))
            walk.ids.append((str(elem.ID), elem))
    for elem in with_headers:
        if _is_elem(elem) and "/A" in elem:
            _prefix_headers(elem.A, prefix)
    return walk


def _prefix_headers(attrs, prefix: str) -> None:
    import pikepdf
    for a in (list(attrs) if isinstance(attrs, pikepdf.Array) else [attrs]):
        if isinstance(a, pikepdf.Dictionary) and "/Headers" in a:
            a.Headers = pikepdf.Array([pikepdf.String(prefix + str(h)) for h in a.Headers])


def _shift_struct_parents(pdf, first: int, count: int, offset: int) -> None:
    """Pages' /StructParents and annotations' /StructParent of one part, past the earlier parts' keys."""
    import pikepdf
    seen = set()
    for page in list(pdf.pages)[first:first + count]:
        obj = page.obj
        if "/StructParents" in obj:
            obj.StructParents = int(obj.StructParents) + offset
        for a in obj.get("/Annots") or pikepdf.Array():
            if "/StructParent" in a and a.objgen not in seen:
                seen.add(a.objgen)
                a.StructParent = int(a.StructParent) + offset


def _copied(pdf, src, value):
    """A ParentTree value (an element, or an array of elements and nulls) as the joined file's copy. An array is
    copied whole, in one call of qpdf's copier (it was one call per element: ~36,000 for the real zh edition)."""
    import pikepdf
    if isinstance(value, pikepdf.Array):
        if not all(v is None or v.is_indirect for v in value):  # a direct element: a null, as before
            value = pikepdf.Array([v if v is not None and v.is_indirect else None for v in value])
        return pdf.copy_foreign(value if value.is_indirect else src.make_indirect(value))
    return pdf.copy_foreign(value) if value.is_indirect else None


@dataclasses.dataclass
class _Merged:
    """The joined tree as it grows: the Document element's kids, the ParentTree, ids, maps, namespaces."""
    kids: list = dataclasses.field(default_factory=list)
    nums: list = dataclasses.field(default_factory=list)
    ids: dict = dataclasses.field(default_factory=dict)
    namespaces: dict = dataclasses.field(default_factory=dict)  # URI -> the joined file's namespace
    role_map: dict = dataclasses.field(default_factory=dict)
    class_map: dict = dataclasses.field(default_factory=dict)
    offset: int = 0


def merge_structure_trees(pdf, parts: list) -> list[PartTree]:
    """Merge the structure trees of `parts` = [(part Pdf, index of its first page in pdf.pages)] into one
    StructTreeRoot of `pdf`, whose pages were copied from the parts already. Returns one PartTree per part."""
    merge = TreeMerge(pdf)
    for src, first in parts:
        merge.add(src, first)
    return merge.finish()


class TreeMerge:
    """The merge one part at a time, right after the join copies that part's pages (pdf.join.join_parts); finish()
    once all are in."""

    def __init__(self, pdf):
        self.pdf = pdf
        self.tree = self.document = None  # made with the first tagged part
        self.merged = _Merged()
        self.stats: list = []

    def add(self, src, first: int) -> None:
        """Part `src`, whose pages start at `first` in the joined file (copied already)."""
        import pikepdf
        from pikepdf import Dictionary, Name
        root = src.Root.get("/StructTreeRoot")
        if not isinstance(root, pikepdf.Dictionary):
            self.stats.append(PartTree(self.merged.offset, 0, 0, 0))
            return
        if self.tree is None:
            self.tree = self.pdf.make_indirect(Dictionary(Type=Name.StructTreeRoot))
            self.document = self.pdf.make_indirect(Dictionary(Type=Name.StructElem, S=Name.Document, P=self.tree))
        self.stats.append(_merge_part(self.pdf, src, first, root, f"p{len(self.stats)}-", self.document,
                                      self.merged))

    def finish(self) -> list[PartTree]:
        """The one tree, with its ParentTree, IDTree and maps, in the catalogue; one PartTree per part ([] when no
        part was tagged)."""
        import pikepdf
        from pikepdf import Array, Dictionary
        pdf, tree, document, merged = self.pdf, self.tree, self.document, self.merged
        if tree is None:
            return []
        document.K = Array(merged.kids)
        if merged.namespaces:
            document.NS = next(iter(merged.namespaces.values()))
            tree.Namespaces = Array(merged.namespaces.values())
        tree.K = Array([document])
        flat = [x for key, value in merged.nums for x in (key, value)]
        tree.ParentTree = pdf.make_indirect(Dictionary(Nums=Array(flat)))
        tree.ParentTreeNextKey = merged.offset
        if merged.ids:
            names = [x for name in sorted(merged.ids) for x in (pikepdf.String(name), merged.ids[name])]
            tree.IDTree = Dictionary(Names=Array(names))
        if merged.role_map:
            tree.RoleMap = Dictionary(merged.role_map)
        if merged.class_map:
            tree.ClassMap = Dictionary(merged.class_map)
        _mark_catalog(pdf, tree)
        return self.stats


def _merge_part(pdf, src, first: int, root, prefix: str, document, merged: _Merged) -> PartTree:
    import pikepdf
    walk = _walk_part(root, prefix)
    whole = _document_element(root)
    if whole is not None:  # the part's Document becomes a Part of the book's, its tree copied in one call
        del whole["/P"]  # else the copier would copy the part's tree root through it
        copy = pdf.copy_foreign(whole)
        copy.S = pikepdf.Name.Part
        copy.P = document
        merged.kids.append(copy)
        walk.with_ns.append(whole)
    else:
        for top in top_elements(root):
            if _is_elem(top) and top.is_indirect:
                if "/P" in top:
                    del top["/P"]  # else the copier would copy the part's whole tree root through it
                copy = pdf.copy_foreign(top)
                copy.P = document
                merged.kids.append(copy)
    for elem in walk.with_ns:  # one namespace object per URI in the joined file
        ns = elem.get("/NS")
        uri = str(ns.get("/NS", "")) if isinstance(ns, pikepdf.Dictionary) else ""
        if elem.is_indirect and isinstance(ns, pikepdf.Dictionary) and ns.is_indirect:
            merged.namespaces.setdefault(uri, pdf.copy_foreign(ns))
            pdf.copy_foreign(elem).NS = merged.namespaces[uri]
    for name, elem in walk.ids:
        if elem.is_indirect:
            merged.ids[name] = pdf.copy_foreign(elem)
    entries = number_tree_items(root.get("/ParentTree"))
    for key, value in entries:
        copy = _copied(pdf, src, value)
        if copy is not None:
            merged.nums.append((key + merged.offset, copy))
    _shift_struct_parents(pdf, first, len(src.pages), merged.offset)
    for target, source in ((merged.role_map, root.get("/RoleMap")), (merged.class_map, root.get("/ClassMap"))):
        for k, v in (source.items() if isinstance(source, pikepdf.Dictionary) else []):
            if k not in target:
                target[k] = pdf.copy_foreign(v) if v.is_indirect else v
    size = max([int(root.get("/ParentTreeNextKey", 0))] + [k + 1 for k, _ in entries])
    stats = PartTree(merged.offset, len(entries), walk.count, walk.figures)
    merged.offset += size
    return stats


def _document_element(root):
    """The part's one Document element (WeasyPrint's tree: the root's only kid), or None."""
    import pikepdf
    kids = root.get("/K")
    kid = kids[0] if isinstance(kids, pikepdf.Array) and len(kids) == 1 else kids
    if isinstance(kid, pikepdf.Dictionary) and kid.get("/S") == pikepdf.Name.Document and kid.is_indirect \
            and "/P" in kid:
        return kid
    return None


def _mark_catalog(pdf, tree) -> None:
    """The catalogue points at the tree, says the document is marked and shows its title (PDF/UA)."""
    from pikepdf import Dictionary, Name
    catalog = pdf.Root
    catalog.StructTreeRoot = tree
    catalog.MarkInfo = Dictionary(Marked=True)
    prefs = catalog.get("/ViewerPreferences")
    prefs = Dictionary(prefs) if isinstance(prefs, Dictionary) else Dictionary()
    prefs[Name.DisplayDocTitle] = True  # the title, not the file name (PDF/UA)
    catalog.ViewerPreferences = prefs
