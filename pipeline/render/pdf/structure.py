"""One structure tree for the PDF joined from tagged parts: the parts' trees merged under one Document element.

pypdf's append keeps each part's marked content (the MCIDs in the content streams) but neither its StructTreeRoot
nor the pages' /StructParents. Here each part's tree is copied into the joined file: its elements go under one
Document element, every /Pg and OBJR /Obj points at the joined file's page and annotation, the part's ParentTree
keys (pages' /StructParents, annotations' /StructParent) are shifted past the previous parts' keys so marked-content
ids stay unique, element /IDs (table headers) get a per-part prefix, and role maps, class maps and namespaces are
merged. The catalog says /MarkInfo /Marked true, with the front part's /Lang and /DisplayDocTitle.
"""

from __future__ import annotations

import dataclasses

from pypdf.generic import (ArrayObject, BooleanObject, DictionaryObject, IndirectObject, NameObject, NullObject,
                           NumberObject, TextStringObject)

MAX_TREE_DEPTH = 512  # a number tree or structure tree deeper than this is not one WeasyPrint wrote


@dataclasses.dataclass
class PartTree:
    """What one part contributed: its ParentTree key offset, and counts for the caller's checks."""
    offset: int
    keys: int
    elements: int
    figures: int


def number_tree_items(node, depth: int = 0) -> list:
    """[(key, value)] of a PDF number tree (/Nums leaves under /Kids), in key order."""
    node = node.get_object() if node is not None else None
    if not isinstance(node, DictionaryObject) or depth > MAX_TREE_DEPTH:
        return []
    out = []
    nums = node.get("/Nums")
    nums = nums.get_object() if nums is not None else []
    for i in range(0, len(nums) - 1, 2):
        out.append((int(nums[i]), nums[i + 1]))
    for kid in (node.get("/Kids") or ArrayObject()).get_object():
        out.extend(number_tree_items(kid, depth + 1))
    return sorted(out, key=lambda kv: kv[0])


def _is_elem(obj) -> bool:
    return isinstance(obj, DictionaryObject) and "/S" in obj and obj.get("/Type") not in ("/MCR", "/OBJR")


class _PartCopier:
    """Copies one part's structure elements into the writer, pointing them at the joined file's objects."""

    def __init__(self, writer, reader, first: int, prefix: str, namespaces: dict):
        self.writer, self.reader, self.prefix, self.namespaces = writer, reader, prefix, namespaces
        self.pages = {p.indirect_reference.idnum: writer.pages[first + k].indirect_reference
                      for k, p in enumerate(reader.pages)}
        self.translated = writer._id_translated.get(id(reader), {})  # reader idnum -> writer idnum (annotations)
        self.elems: dict = {}  # reader idnum of an element -> its copy's reference
        self.ids: dict = {}  # prefixed /ID -> copy's reference
        self.count = self.figures = 0

    def page(self, ref):
        return self.pages.get(getattr(ref, "idnum", None))

    def annotation(self, ref):
        idnum = self.translated.get(getattr(ref, "idnum", None))
        return IndirectObject(idnum, 0, self.writer) if isinstance(idnum, int) else None

    def namespace(self, ref):
        ns = ref.get_object() if ref is not None else None
        uri = str(ns.get("/NS", "")) if isinstance(ns, DictionaryObject) else ""
        if uri not in self.namespaces:
            self.namespaces[uri] = self.writer._add_object(ns.clone(self.writer, force_duplicate=True))
        return self.namespaces[uri]

    def attributes(self, value):
        """/A: table headers name other cells by /ID, which must stay unique in the joined file."""
        value = value.get_object()
        if isinstance(value, ArrayObject):
            return ArrayObject(self.attributes(v) if not isinstance(v, NumberObject) else v for v in value)
        out = value.clone(self.writer, force_duplicate=True)
        if isinstance(out, DictionaryObject) and "/Headers" in out:
            out[NameObject("/Headers")] = ArrayObject(TextStringObject(self.prefix + str(h))
                                                      for h in out["/Headers"].get_object())
        return out

    def kid(self, k, parent_ref, depth):
        """One entry of an element's /K: an MCID, a marked-content or object reference, or an element."""
        obj = k.get_object() if isinstance(k, IndirectObject) else k
        if isinstance(obj, NumberObject) or isinstance(obj, int):
            return NumberObject(int(obj))
        if not isinstance(obj, DictionaryObject):
            return None
        if _is_elem(obj):
            return self.element(k, parent_ref, depth + 1)
        out = DictionaryObject()
        for key, v in obj.items():
            if key == "/Pg":
                pg = self.page(obj.raw_get("/Pg"))
                if pg is not None:
                    out[NameObject(key)] = pg
            elif key == "/Obj":
                target = self.annotation(obj.raw_get("/Obj"))
                if target is None:
                    return None  # the annotation did not survive the append: drop the reference, not the tree
                out[NameObject(key)] = target
            else:
                out[NameObject(key)] = v.clone(self.writer)
        return out

    def element(self, ref, parent_ref, depth: int = 0):
        """Copy the element at `ref` (and its subtree) under `parent_ref`; returns the copy's reference."""
        src = ref.get_object()
        if depth > MAX_TREE_DEPTH or not _is_elem(src):
            return None
        out = DictionaryObject()
        out_ref = self.writer._add_object(out)
        if isinstance(ref, IndirectObject):
            self.elems[ref.idnum] = out_ref
        self.count += 1
        self.figures += src.get("/S") == "/Figure"
        for key, v in src.items():
            if key in ("/P", "/K"):
                continue
            if key == "/Pg":
                pg = self.page(src.raw_get("/Pg"))
                if pg is not None:
                    out[NameObject(key)] = pg
            elif key == "/NS":
                out[NameObject(key)] = self.namespace(src.raw_get("/NS"))
            elif key == "/ID":
                out[NameObject(key)] = TextStringObject(self.prefix + str(v))
                self.ids[self.prefix + str(v)] = out_ref
            elif key == "/A":
                out[NameObject(key)] = self.attributes(src.raw_get("/A"))
            else:
                out[NameObject(key)] = v.clone(self.writer)
        out[NameObject("/P")] = parent_ref
        kids = src.get("/K")
        if kids is not None:
            kids = kids.get_object()
            items = list(kids) if isinstance(kids, ArrayObject) else [src.raw_get("/K")]
            copied = [c for c in (self.kid(k, out_ref, depth) for k in items) if c is not None]
            out[NameObject("/K")] = ArrayObject(copied) if isinstance(kids, ArrayObject) or len(copied) != 1 \
                else copied[0]
        return out_ref

    def parent_tree_value(self, value):
        value = value.get_object() if isinstance(value, IndirectObject) and not _is_elem(value.get_object()) \
            else value
        if isinstance(value, ArrayObject):
            return ArrayObject(self.elems.get(getattr(v, "idnum", None), NullObject()) for v in value)
        return self.elems.get(getattr(value, "idnum", None), NullObject())


def _top_elements(root) -> list:
    """The part's top elements: the children of its Document element (or the root's kids if it has none)."""
    kids = root.get("/K")
    kids = kids.get_object() if kids is not None else ArrayObject()
    kids = list(kids) if isinstance(kids, ArrayObject) else [root.raw_get("/K")]
    if len(kids) == 1 and kids[0].get_object().get("/S") == "/Document":
        inner = kids[0].get_object().get("/K")
        inner = inner.get_object() if inner is not None else ArrayObject()
        return list(inner) if isinstance(inner, ArrayObject) else [kids[0].get_object().raw_get("/K")]
    return kids


def _shift_struct_parents(writer, reader, first: int, offset: int) -> None:
    """Pages' /StructParents (pypdf drops them on append) and annotations' /StructParent, past earlier parts."""
    seen = set()
    for k, src in enumerate(reader.pages):
        page = writer.pages[first + k]
        if "/StructParents" in src:
            page[NameObject("/StructParents")] = NumberObject(int(src["/StructParents"]) + offset)
        for annot in (page.get("/Annots") or ArrayObject()):
            a = annot.get_object()
            if "/StructParent" in a and id(a) not in seen:
                seen.add(id(a))
                a[NameObject("/StructParent")] = NumberObject(int(a["/StructParent"]) + offset)


def _merge_dict(target: DictionaryObject, source, writer) -> None:
    for key, v in (source.get_object() if source is not None else {}).items():
        if key not in target:
            target[NameObject(key)] = v.clone(writer)


def merge_structure_trees(writer, parts: list) -> list[PartTree]:
    """Merge the structure trees of `parts` = [(reader, index of its first page in writer.pages)] into one
    StructTreeRoot of `writer`. Parts without a tree add nothing. Returns one PartTree per part."""
    roots = [(r, first, r.trailer["/Root"].get("/StructTreeRoot")) for r, first in parts]
    if not any(root is not None for _, _, root in roots):
        return []
    tree = DictionaryObject({NameObject("/Type"): NameObject("/StructTreeRoot")})
    tree_ref = writer._add_object(tree)
    document = DictionaryObject({NameObject("/Type"): NameObject("/StructElem"),
                                 NameObject("/S"): NameObject("/Document"), NameObject("/P"): tree_ref})
    doc_ref = writer._add_object(document)
    doc_kids, nums, ids, namespaces = ArrayObject(), [], {}, {}
    role_map, class_map = DictionaryObject(), DictionaryObject()
    stats, offset = [], 0
    for i, (reader, first, root) in enumerate(roots):
        root = root.get_object() if root is not None else None
        if not isinstance(root, DictionaryObject):
            stats.append(PartTree(offset, 0, 0, 0))
            continue
        copier = _PartCopier(writer, reader, first, f"p{i}-", namespaces)
        for top in _top_elements(root):
            copied = copier.element(top, doc_ref)
            if copied is not None:
                doc_kids.append(copied)
        entries = number_tree_items(root.get("/ParentTree"))
        for key, value in entries:
            nums.append((key + offset, copier.parent_tree_value(value)))
        _shift_struct_parents(writer, reader, first, offset)
        _merge_dict(role_map, root.get("/RoleMap"), writer)
        _merge_dict(class_map, root.get("/ClassMap"), writer)
        ids.update(copier.ids)
        size = max([int(root.get("/ParentTreeNextKey", 0))] + [k + 1 for k, _ in entries])
        stats.append(PartTree(offset, len(entries), copier.count, copier.figures))
        offset += size
        reader.resolved_objects.clear()  # this part's parsed objects: copied, not needed again (memory)
    document[NameObject("/K")] = doc_kids
    if namespaces:
        document[NameObject("/NS")] = next(iter(namespaces.values()))
        tree[NameObject("/Namespaces")] = ArrayObject(namespaces.values())
    tree[NameObject("/K")] = ArrayObject([doc_ref])
    _write_tree_indexes(writer, tree, nums, offset, ids, role_map, class_map)
    _mark_catalog(writer, tree_ref)
    return stats


def _write_tree_indexes(writer, tree, nums: list, next_key: int, ids: dict, role_map, class_map) -> None:
    """The merged tree's ParentTree (one flat number tree), IDTree, RoleMap and ClassMap."""
    flat = ArrayObject()
    for key, value in nums:
        flat += [NumberObject(key), value]
    tree[NameObject("/ParentTree")] = writer._add_object(DictionaryObject({NameObject("/Nums"): flat}))
    tree[NameObject("/ParentTreeNextKey")] = NumberObject(next_key)
    if ids:
        names = ArrayObject()
        for name in sorted(ids):
            names += [TextStringObject(name), ids[name]]
        tree[NameObject("/IDTree")] = DictionaryObject({NameObject("/Names"): names})
    if role_map:
        tree[NameObject("/RoleMap")] = role_map
    if class_map:
        tree[NameObject("/ClassMap")] = class_map


def _mark_catalog(writer, tree_ref) -> None:
    """The catalogue points at the tree, says the document is marked and shows its title (PDF/UA)."""
    catalog = writer._root_object
    catalog[NameObject("/StructTreeRoot")] = tree_ref
    catalog[NameObject("/MarkInfo")] = DictionaryObject({NameObject("/Marked"): BooleanObject(True)})
    prefs = DictionaryObject(catalog.get("/ViewerPreferences", DictionaryObject()).get_object())
    prefs[NameObject("/DisplayDocTitle")] = BooleanObject(True)  # the title, not the file name (PDF/UA)
    catalog[NameObject("/ViewerPreferences")] = prefs
