"""The paper a parcel needs: the 4x6 inch label, the packing slip, the handover manifest.

Pure functions from plain data to PDF bytes (reportlab), with no database and no event loop: the
routes render them in a worker thread (anyio.to_thread), because reportlab is CPU work that would
block every other request. Text uses the PDF's standard Helvetica, which has no peso sign: amounts
read "PHP 1,234.00".
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

from reportlab.lib.pagesizes import A4
from reportlab.lib.units import inch
from reportlab.pdfgen.canvas import Canvas

from server.paper.codes import draw_code128, draw_qr

MANILA = ZoneInfo("Asia/Manila")
LABEL = (4 * inch, 6 * inch)


def pesos(centavos: int) -> str:
    whole, cents = divmod(abs(centavos), 100)
    return f"{'-' if centavos < 0 else ''}PHP {whole:,}.{cents:02d}"


@dataclass(frozen=True)
class Address:
    name: str
    phone: str
    street: str
    barangay: str
    city: str
    province: str
    zip_code: str
    region: str = ""

    def lines(self) -> list[str]:
        return [
            self.street,
            f"Brgy. {self.barangay}, {self.city}" if self.barangay else self.city,
            f"{self.province} {self.zip_code}".strip(),
        ]


@dataclass(frozen=True)
class LabelData:
    waybill: str
    order: str  # the order's channel reference (what the buyer knows)
    order_id: str
    carrier: str  # courier name, or "Bodega rider"
    to: Address
    sender: str  # warehouse name and city
    cod: int  # centavos to collect; 0 = prepaid
    weight_grams: int = 0
    boxes: int = 1
    box: int = 1


@dataclass(frozen=True)
class SlipLine:
    sku: str
    name: str
    qty: int


@dataclass(frozen=True)
class SlipData:
    order: str
    order_id: str
    channel: str
    placed_at: datetime
    waybill: str
    to: Address
    lines: Sequence[SlipLine]
    cod: int
    total: int


@dataclass(frozen=True)
class ManifestParcel:
    waybill: str
    order: str
    recipient: str
    city: str
    boxes: int
    weight_grams: int
    cod: int


@dataclass(frozen=True)
class ManifestData:
    batch_id: str
    warehouse: str
    carrier: str
    kind: str
    closed_at: datetime | None
    parcels: Sequence[ManifestParcel] = field(default_factory=tuple[ManifestParcel, ...])


def _label_page(c: Canvas, d: LabelData) -> None:
    w, h = LABEL
    m = 0.15 * inch
    c.setLineWidth(1.2)
    c.rect(m, m, w - 2 * m, h - 2 * m)
    # Carrier and box count across the top.
    c.setFont("Helvetica-Bold", 14)
    c.drawString(m + 6, h - m - 20, d.carrier[:28])
    c.setFont("Helvetica", 10)
    c.drawRightString(w - m - 6, h - m - 20, f"Box {d.box}/{d.boxes}")
    # The waybill barcode (Code128), wide and with quiet zones, and its number under it.
    draw_code128(c, d.waybill, w / 2, h - m - 30 - 0.9 * inch - 6, 0.9 * inch, 1.35)
    c.setFont("Helvetica-Bold", 16)
    c.drawCentredString(w / 2, h - m - 30 - 0.9 * inch - 24, d.waybill)
    c.line(m, h - 2.05 * inch, w - m, h - 2.05 * inch)
    # Recipient and the Philippine address.
    y = h - 2.05 * inch - 16
    c.setFont("Helvetica", 8)
    c.drawString(m + 6, y, "DELIVER TO")
    c.setFont("Helvetica-Bold", 13)
    c.drawString(m + 6, y - 16, d.to.name[:34])
    c.setFont("Helvetica", 10)
    c.drawString(m + 6, y - 30, d.to.phone)
    yy = y - 44
    for text in d.to.lines():
        c.drawString(m + 6, yy, text[:52])
        yy -= 13
    c.line(m, h - 3.6 * inch, w - m, h - 3.6 * inch)
    # COD amount in large type (or PREPAID), beside the QR code.
    qr_size = 1.25 * inch
    qy = m + 0.85 * inch
    draw_qr(c, d.waybill, w - m - qr_size - 4, qy, qr_size)
    if d.cod > 0:
        c.setFont("Helvetica-Bold", 13)
        c.drawString(m + 6, qy + qr_size - 8, "COLLECT (COD)")
        c.setFont("Helvetica-Bold", 24)
        c.drawString(m + 6, qy + qr_size - 40, pesos(d.cod))
    else:
        c.setFont("Helvetica-Bold", 24)
        c.drawString(m + 6, qy + qr_size - 30, "PREPAID")
    c.setFont("Helvetica", 9)
    c.drawString(m + 6, qy + 10, f"Order {d.order[:30]}")
    if d.weight_grams:
        c.drawString(m + 6, qy - 2, f"Weight {d.weight_grams / 1000:.2f} kg")
    c.line(m, m + 0.75 * inch, w - m, m + 0.75 * inch)
    c.setFont("Helvetica", 8)
    c.drawString(m + 6, m + 0.55 * inch, "FROM")
    c.setFont("Helvetica", 9)
    c.drawString(m + 6, m + 0.38 * inch, d.sender[:60])
    c.showPage()


def render_labels(labels: Sequence[LabelData]) -> bytes:
    """One 4x6 inch page per box of each parcel, ready for a thermal label printer."""
    out = io.BytesIO()
    c = Canvas(out, pagesize=LABEL, pageCompression=1)
    c.setTitle("Bodega labels")
    for label in labels:
        _label_page(c, label)
    c.save()
    return out.getvalue()


def boxes_of(label: LabelData) -> list[LabelData]:
    """A parcel of several boxes gets one label per box, all with the same waybill."""
    from dataclasses import replace

    return [replace(label, box=i) for i in range(1, max(label.boxes, 1) + 1)]


def render_slip(d: SlipData) -> bytes:
    """The packing slip that goes inside the parcel: what the buyer ordered."""
    out = io.BytesIO()
    c = Canvas(out, pagesize=A4, pageCompression=1)
    c.setTitle(f"Packing slip {d.order}")
    w, h = A4
    x = 50
    c.setFont("Helvetica-Bold", 18)
    c.drawString(x, h - 60, "Packing slip")
    c.setFont("Helvetica", 11)
    c.drawString(x, h - 82, f"Order {d.order} ({d.channel})")
    c.drawString(x, h - 97, f"Placed {d.placed_at.astimezone(MANILA):%Y-%m-%d %H:%M} (Asia/Manila)")
    c.drawString(x, h - 112, f"Waybill {d.waybill}")
    c.setFont("Helvetica-Bold", 11)
    c.drawString(w / 2 + 20, h - 82, "Ship to")
    c.setFont("Helvetica", 11)
    yy = h - 97
    for text in [d.to.name, d.to.phone, *d.to.lines()]:
        c.drawString(w / 2 + 20, yy, text[:45])
        yy -= 15
    y = h - 200
    c.setFont("Helvetica-Bold", 11)
    c.drawString(x, y, "SKU")
    c.drawString(x + 130, y, "Item")
    c.drawRightString(w - 60, y, "Qty")
    c.line(x, y - 5, w - 50, y - 5)
    c.setFont("Helvetica", 11)
    for line in d.lines:
        y -= 18
        if y < 120:
            c.showPage()
            c.setFont("Helvetica", 11)
            y = h - 60
        c.drawString(x, y, line.sku[:20])
        c.drawString(x + 130, y, line.name[:50])
        c.drawRightString(w - 60, y, str(line.qty))
    y -= 30
    c.setFont("Helvetica-Bold", 12)
    c.drawString(x, y, f"Total {pesos(d.total)}")
    c.drawString(x, y - 18, f"COD to collect {pesos(d.cod)}" if d.cod else "Paid online (no COD)")
    c.setFont("Helvetica", 9)
    c.drawString(x, 60, "Salamat sa inyong order! Check the items before the rider leaves.")
    c.showPage()
    c.save()
    return out.getvalue()


def render_manifest(d: ManifestData) -> bytes:
    """The handover manifest: every parcel that left in this batch, with signature lines for the
    warehouse and the courier or rider who took them."""
    out = io.BytesIO()
    c = Canvas(out, pagesize=A4, pageCompression=1)
    c.setTitle(f"Handover manifest {d.batch_id}")
    w, h = A4
    x = 40
    cols = (x, x + 120, x + 215, x + 330, x + 420, x + 455)

    def header(page: int) -> float:
        c.setFont("Helvetica-Bold", 16)
        c.drawString(x, h - 50, "Handover manifest")
        c.setFont("Helvetica", 10)
        who = "Courier" if d.kind == "courier" else "Rider"
        c.drawString(x, h - 68, f"Warehouse {d.warehouse}   {who} {d.carrier}   Batch {d.batch_id}")
        when = d.closed_at.astimezone(MANILA).strftime("%Y-%m-%d %H:%M") if d.closed_at else "open"
        c.drawString(x, h - 82, f"Closed {when} (Asia/Manila)   Page {page}")
        y = h - 110
        c.setFont("Helvetica-Bold", 9)
        for col, title in zip(cols, ("Waybill", "Order", "Recipient", "City", "Boxes", "COD"), strict=True):
            c.drawString(col, y, title)
        c.line(x, y - 4, w - 40, y - 4)
        c.setFont("Helvetica", 9)
        return y

    page = 1
    y = header(page)
    for p in d.parcels:
        y -= 15
        if y < 170:
            c.showPage()
            page += 1
            y = header(page) - 15
        c.drawString(cols[0], y, p.waybill[:22])
        c.drawString(cols[1], y, p.order[:18])
        c.drawString(cols[2], y, p.recipient[:20])
        c.drawString(cols[3], y, p.city[:16])
        c.drawString(cols[4], y, str(p.boxes))
        c.drawString(cols[5], y, pesos(p.cod) if p.cod else "prepaid")
    cod = sum(p.cod for p in d.parcels)
    boxes = sum(p.boxes for p in d.parcels)
    c.setFont("Helvetica-Bold", 10)
    c.drawString(x, 140, f"Parcels: {len(d.parcels)}   Boxes: {boxes}   COD total: {pesos(cod)}")
    c.setFont("Helvetica", 10)
    for i, role in enumerate(("Released by (warehouse)", "Received by (courier / rider)")):
        sx = x + i * 265
        c.line(sx, 80, sx + 230, 80)
        c.drawString(sx, 66, f"{role}: name and signature")
        c.drawString(sx, 52, "Date and time:")
    c.showPage()
    c.save()
    return out.getvalue()
