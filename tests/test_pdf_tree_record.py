"""The join prefixes each part's element /IDs and the table cells' /Headers that name them, so they stay unique in
one file. The elements to prefix are found once, in the layout worker (lean.walk_record, cached with the part);
without that record the join walks the tree itself, with the same result."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

TABLE = """<html lang="en"><head><style>@page { size: A6; }</style></head><body><h1>Sizes</h1>
<table><thead><tr><th>layer</th><th>parameters</th></tr></thead>
<tbody><tr><td>conv</td><td>1,728</td></tr><tr><td>fc</td><td>4,096</td></tr></tbody></table></body></html>"""


@pytest.fixture(scope="module")
def part() -> bytes:
    from pipeline.render.pdf.layout import write_pdf
    from pipeline.render.pdf.lean import lean_pdf
    return lean_pdf(write_pdf(TABLE, Path("."), tags=True), record=True)


def joined_ids(parts: list[bytes], drop_record: bool) -> tuple[list, list]:
    """(the IDTree's names, every /Headers entry) of the parts joined."""
    import pikepdf

    from pipeline.render.pdf.lean import WALK_KEY
    from pipeline.render.pdf.structure import merge_structure_trees
    pdf, placed = pikepdf.Pdf.new(), []
    for data in parts:
        src = pikepdf.open(io.BytesIO(data))
        if drop_record:
            del src.Root.StructTreeRoot[WALK_KEY]
        placed.append((src, len(pdf.pages)))
        pdf.add_pages_from(src)
    merge_structure_trees(pdf, placed)
    tree = pdf.Root.StructTreeRoot
    names = [str(n) for n in list(tree.IDTree.Names)[::2]]
    headers = []
    for obj in pdf.objects:
        if isinstance(obj, pikepdf.Dictionary) and isinstance(obj.get("/A"), pikepdf.Object):
            attrs = obj.A if isinstance(obj.A, pikepdf.Array) else [obj.A]
            for a in attrs:
                if isinstance(a, pikepdf.Dictionary) and "/Headers" in a:
                    headers += [str(h) for h in a.Headers]
    return names, headers


def test_a_part_keeps_a_record_of_the_elements_the_join_prefixes(part):
    import pikepdf

    from pipeline.render.pdf.lean import WALK_KEY
    pdf = pikepdf.open(io.BytesIO(part))  # held: its objects die with it
    record = pdf.Root.StructTreeRoot[WALK_KEY]
    assert len(record.IDs) >= 2 and int(record.Count) > len(record.IDs)  # the header cells, among all elements


def test_ids_are_unique_and_headers_point_at_them_with_or_without_the_record(part):
    with_record = joined_ids([part, part], drop_record=False)
    walked = joined_ids([part, part], drop_record=True)
    assert with_record == walked
    names, headers = with_record
    assert len(names) == len(set(names)) >= 4  # two parts' header cells, each name once
    assert {n.split("-", 1)[0] for n in names} == {"p0", "p1"}
    assert headers and set(headers) <= set(names)
