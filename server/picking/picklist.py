"""The pick list PDF: a wave's lines in walking order, one row per bin stop, with the tote each
unit goes into, for a picker who works from paper or a supervisor checking a cart.

Rendering is CPU work (reportlab): the endpoint runs `render_pick_list` off the event loop
(anyio.to_thread). It is a pure function of the wave's data, read first.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from reportlab.lib import colors
from reportlab.lib.styles import getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.platypus import Flowable, Paragraph, Spacer, Table, TableStyle

from server.orders.ship_by import MANILA
from server.paper.pdf import build


@dataclass(frozen=True)
class PickListLine:
    seq: int
    bin: str
    sku: str
    name: str
    qty: int
    tote: str
    order: str  # the channel's order number, as the packer knows it


@dataclass(frozen=True)
class PickListDoc:
    wave: str
    warehouse: str
    picker: str | None
    ship_by: datetime | None
    orders: int
    lines: list[PickListLine]


def render_pick_list(doc: PickListDoc) -> bytes:
    styles = getSampleStyleSheet()
    due = doc.ship_by.astimezone(MANILA).strftime("%a %d %b %Y %H:%M") if doc.ship_by else "-"
    units = sum(line.qty for line in doc.lines)
    story: list[Flowable] = [
        Paragraph(f"Pick list {doc.wave}", styles["Title"]),
        Paragraph(
            f"Warehouse {doc.warehouse} &middot; picker {doc.picker or '(not assigned)'} &middot; "
            f"{doc.orders} orders, {units} units &middot; ship by {due} Manila",
            styles["Normal"],
        ),
        Spacer(1, 5 * mm),
    ]
    rows: list[list[str]] = [["#", "Bin", "SKU", "Item", "Qty", "Tote", "Order", "Done"]]
    for line in doc.lines:
        rows.append(
            [
                str(line.seq),
                line.bin or "(no bin: look)",
                line.sku,
                line.name[:40],
                str(line.qty),
                line.tote,
                line.order,
                "",
            ]
        )
    table = Table(
        rows, repeatRows=1, colWidths=[9 * mm, 22 * mm, 30 * mm, 56 * mm, 11 * mm, 13 * mm, 30 * mm, 13 * mm]
    )
    table.setStyle(
        TableStyle(
            [
                ("FONT", (0, 0), (-1, 0), "Helvetica-Bold"),
                ("FONTSIZE", (0, 0), (-1, -1), 9),
                ("GRID", (0, 0), (-1, -1), 0.4, colors.grey),
                ("BACKGROUND", (0, 0), (-1, 0), colors.lightgrey),
                ("ALIGN", (4, 1), (4, -1), "RIGHT"),
            ]
        )
    )
    story.append(table)
    return build(story, title=f"Pick list {doc.wave}")
