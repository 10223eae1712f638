"""The landed-cost and inbound status report: every open or recent shipment, its status and
dates, and each line's landed cost per unit. CSV (one row per line) and PDF (reportlab).

reportlab blocks: the controller renders the PDF in a worker thread."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from typing import Any
from xml.sax.saxutils import escape

from sqlalchemy import select
from sqlalchemy.engine import Connection

from server.inbound.models import InboundShipment
from server.inbound.schemas import ShipmentOut
from server.inbound.views import shipment

HEADER = [
    "shipment",
    "status",
    "expected_on",
    "hold_reason",
    "po",
    "line",
    "sku",
    "expected",
    "received",
    "goods_php",
    "added_php",
    "landed_php",
    "landed_unit_php",
]


def shipments_for_report(conn: Connection, status: str | None = None) -> list[ShipmentOut]:
    stmt = select(InboundShipment.id).order_by(InboundShipment.expected_on, InboundShipment.code)
    if status:
        stmt = stmt.where(InboundShipment.status == status)
    return [shipment(conn, r[0]) for r in conn.execute(stmt.limit(1000)).all()]


def _pesos(centavos: int) -> str:
    return f"{centavos // 100}.{centavos % 100:02d}"


def render_csv(shipments: Sequence[ShipmentOut]) -> str:
    out = io.StringIO()
    w = csv.writer(out)
    w.writerow(HEADER)
    for s in shipments:
        for ln in s.lines:
            w.writerow(
                [
                    *(s.code, s.status, s.expected_on.isoformat(), s.hold_reason, ln.po, ln.line_no, ln.sku),
                    *(ln.expected, ln.received, _pesos(ln.goods_centavos), _pesos(ln.added_centavos)),
                    *(_pesos(ln.landed_centavos), _pesos(ln.landed_unit_centavos)),
                ]
            )
    return out.getvalue()


def render_pdf(shipments: Sequence[ShipmentOut]) -> bytes:
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4, landscape
    from reportlab.lib.styles import getSampleStyleSheet
    from reportlab.lib.units import mm
    from reportlab.platypus import LongTable, Paragraph, Spacer, TableStyle

    from server.paper.pdf import build, money

    styles = getSampleStyleSheet()
    grid = TableStyle(
        [
            ("GRID", (0, 0), (-1, -1), 0.25, colors.grey),
            ("BACKGROUND", (0, 0), (-1, 0), colors.lightgrey),
            ("FONTSIZE", (0, 0), (-1, -1), 8),
        ]
    )
    story: list[Any] = [Paragraph("Inbound status and landed cost", styles["Title"])]
    if not shipments:
        story.append(Paragraph("No shipments.", styles["BodyText"]))
    for s in shipments:
        status = s.status.replace("_", " ")
        head = f"{s.code} ({s.mode}) — {status}, expected at {s.warehouse} on {s.expected_on}"
        if s.hold_reason:
            head += f"; held: {s.hold_reason}"
        ids = ", ".join(x for x in (s.container_no, s.bill_of_lading, s.airway_bill) if x)
        story += [
            Spacer(1, 4 * mm),
            Paragraph(escape(head), styles["Heading3"]),
            Paragraph(
                escape(
                    f"{ids or 'no container/BL/AWB yet'} · {s.currency} at {s.rate} · duties, brokerage "
                    f"and freight {money(s.costs_centavos)}, spread by value"
                ),
                styles["BodyText"],
            ),
        ]
        rows: list[list[str]] = [
            ["PO", "Line", "SKU", "Expected", "Received", "Goods", "Added", "Landed", "Per unit"]
        ]
        rows += [
            [
                *(
                    ln.po,
                    str(ln.line_no),
                    ln.sku,
                    str(ln.expected),
                    str(ln.received),
                    money(ln.goods_centavos),
                ),
                *(money(ln.added_centavos), money(ln.landed_centavos), money(ln.landed_unit_centavos)),
            ]
            for ln in s.lines
        ]
        story.append(LongTable(rows, repeatRows=1, style=grid, hAlign="LEFT"))
    return build(story, title="Inbound status and landed cost", pagesize=landscape(A4))
