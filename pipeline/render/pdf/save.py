"""How every PDF the pipeline rewrites is saved (pikepdf): compressed object streams, since structure elements are
most of a tagged PDF's objects and pypdf wrote each as a plain object; streams copied as they are (no decoding and
recompressing what WeasyPrint compressed); a reproducible /ID."""

from __future__ import annotations

import io


def save(pdf) -> bytes:
    import pikepdf
    out = io.BytesIO()
    pdf.save(out, object_stream_mode=pikepdf.ObjectStreamMode.generate, compress_streams=True,
             stream_decode_level=pikepdf.StreamDecodeLevel.none, deterministic_id=True)
    return out.getvalue()
