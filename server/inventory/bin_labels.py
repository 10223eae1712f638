"""Printable bin labels: an A4 sheet of stickers, each the bin's code in large type over its Code128
barcode (what the phone's scanner reads when putting away, picking and counting), drawn the way the
parcel labels draw theirs (server/paper/codes.py). Pure: plain data in, PDF bytes out; the route
renders it in a worker thread."""

from __future__ import annotations

import io
from collections.abc import Sequence

from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas

from server.paper.codes import draw_code128

COLUMNS, ROWS = 3, 8  # 24 stickers of 70 x 37 mm: the common A4 label sheet
MAX_BINS = 2400  # 100 sheets; more is a filter away


def render_bin_labels(warehouse: str, bins: Sequence[tuple[str, str]]) -> bytes:
    """One sticker per (bin code, zone), left to right, top to bottom, in the order given."""
    out = io.BytesIO()
    c = Canvas(out, pagesize=A4, pageCompression=1)
    c.setTitle(f"Bodega bin labels {warehouse}")
    width, height = A4
    cell_w, cell_h = width / COLUMNS, height / ROWS
    per_page = COLUMNS * ROWS
    for i, (code, zone) in enumerate(bins):
        if i and i % per_page == 0:
            c.showPage()
        row, col = divmod(i % per_page, COLUMNS)
        x, top = col * cell_w, height - row * cell_h
        c.setFont("Helvetica-Bold", 20)
        c.drawCentredString(x + cell_w / 2, top - 10 * mm, code)
        draw_code128(c, code, x + cell_w / 2, top - 27 * mm, 13 * mm, 0.9)
        c.setFont("Helvetica", 7)
        c.drawCentredString(x + cell_w / 2, top - 31 * mm, f"{warehouse}  zone {zone or '-'}")
    if not bins:
        c.setFont("Helvetica", 12)
        c.drawString(20 * mm, height - 20 * mm, f"No bins in {warehouse} match.")
    c.save()
    return out.getvalue()
