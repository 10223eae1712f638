"""The reconciliation report of a remittance batch: PDF (reportlab) and CSV.

reportlab is synchronous and slow on big tables: callers render it in a worker thread, off the
event loop (server/couriers/controllers.py)."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from typing import Any
from xml.sax.saxutils import escape
from zoneinfo import ZoneInfo

from server.couriers.schemas import BatchOut, FindingOut, RejectOut
from server.paper.pdf import money

MANILA = ZoneInfo("Asia/Manila")


def summary_lines(batch: BatchOut) -> list[tuple[str, str]]:
    return [
        ("Courier", batch.courier),
        ("File", batch.filename),
        ("Imported", batch.created_at.astimezone(MANILA).strftime("%Y-%m-%d %H:%M Manila")),
        ("Rows", f"{batch.rows_total:,} ({batch.rows_new:,} new, {batch.rows_rejected:,} rejected)"),
        ("COD expected", money(batch.expected_total)),
        ("Collected (courier)", money(batch.collected_total)),
        ("Fees kept", money(batch.fee_total)),
        ("Fees the contract allows", money(batch.allowed_fee_total)),
        ("Remitted", money(batch.remitted_total)),
        ("Findings", f"{batch.findings:,}"),
    ] + [(f"  {kind.replace('_', ' ')}", f"{n:,}") for kind, n in sorted(batch.findings_by_kind.items())]


def render_csv(batch: BatchOut, findings: Sequence[FindingOut], rejects: Sequence[RejectOut]) -> str:
    """One line per finding, then one per rejected row; amounts in pesos with two decimals."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["batch", "courier", "kind", "waybill", "order", "amount", "message"])
    for f in findings:
        amount = f"{f.amount / 100:.2f}" if f.amount >= 0 else ""
        writer.writerow([batch.id, batch.courier, f.kind, f.waybill, f.order or "", amount, f.message])
    for r in rejects:
        writer.writerow([batch.id, batch.courier, "rejected_row", f"row {r.row}", "", "", r.reason])
    return out.getvalue()


# The outcomes a reconciliation's COD ends in, as the chart names them: (label, finding kind).
OUTCOMES = (
    ("Short remitted", "short_remittance"),
    ("Not remitted", "not_remitted"),
    ("Fees above contract", "fee_above_contract"),
    ("Remitted for returned", "remitted_for_returned"),
    ("Unknown waybills", "unknown_waybill"),
    ("Duplicates", "duplicate_across_batches"),
)

UNMATCHED = ("remitted_for_returned", "unknown_waybill", "duplicate_across_batches")


def amounts(batch: BatchOut, findings: Sequence[FindingOut]) -> list[tuple[str, int]]:
    """Where the batch's money went, in centavos: matched (remitted for parcels of ours the courier
    delivered), fees within the contract, then each kind of finding by amount (what a person must
    chase). Money remitted for returned, unknown or already remitted waybills matched nothing."""
    by_kind: dict[str, int] = {}
    for f in findings:
        by_kind[f.kind] = by_kind.get(f.kind, 0) + max(0, f.amount)
    above = by_kind.get("fee_above_contract", 0)
    unmatched = sum(by_kind.get(k, 0) for k in UNMATCHED)
    return [
        ("Matched", max(0, batch.remitted_total - unmatched)),
        ("Fees within contract", max(0, batch.fee_total - above)),
        *((label, by_kind.get(kind, 0)) for label, kind in OUTCOMES),
    ]


def _charts(batch: BatchOut, findings: Sequence[FindingOut]) -> Any:
    """The two charts side by side: the batch's totals, and where its money went by amount."""
    from reportlab.lib.units import mm
    from reportlab.platypus import Table

    from server.paper.pdf import bars

    def pesos(v: float) -> str:
        return f"{v:,.2f}"

    totals = [
        ("COD expected", batch.expected_total),
        ("Collected by courier", batch.collected_total),
        ("Remitted", batch.remitted_total),
    ]
    outcome = amounts(batch, findings)
    # A horizontal chart draws its first category lowest: reversed, they read top down.
    charts = [
        bars(
            f"{title} (PHP)",
            [t for t, _ in reversed(rows)],
            [[c / 100 for _, c in reversed(rows)]],
            [],
            width=132 * mm,
            height=70 * mm,
            horizontal=True,
            label=pesos,
        )
        for title, rows in (
            ("COD expected, collected and remitted", totals),
            ("Matched, short and missing by amount", outcome),
        )
    ]
    return Table([charts], hAlign="LEFT")


def render_pdf(batch: BatchOut, findings: Sequence[FindingOut], rejects: Sequence[RejectOut]) -> bytes:
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4, landscape
    from reportlab.lib.styles import getSampleStyleSheet
    from reportlab.lib.units import mm
    from reportlab.platypus import LongTable, Paragraph, Spacer, Table, TableStyle

    from server.paper.pdf import build

    styles = getSampleStyleSheet()
    small = styles["BodyText"].clone("small", fontSize=7.5, leading=9)
    grid = TableStyle(
        [
            ("GRID", (0, 0), (-1, -1), 0.25, colors.grey),
            ("BACKGROUND", (0, 0), (-1, 0), colors.lightgrey),
            ("FONTSIZE", (0, 0), (-1, -1), 7.5),
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ]
    )
    story: list[Any] = [
        Paragraph(escape(f"COD remittance reconciliation: {batch.courier}"), styles["Title"]),
        Table(summary_lines(batch), hAlign="LEFT", style=[("FONTSIZE", (0, 0), (-1, -1), 9)]),
        Spacer(1, 4 * mm),
        _charts(batch, findings),
        Paragraph("Findings", styles["Heading2"]),
    ]
    if findings:
        rows: list[list[Any]] = [["Kind", "Waybill", "Amount", "What we found"]]
        rows += [
            [
                f.kind.replace("_", " "),
                f.waybill,
                money(f.amount),
                Paragraph(escape(f.message.replace("₱", "PHP ")), small),
            ]
            for f in findings
        ]
        story.append(
            LongTable(rows, colWidths=[38 * mm, 40 * mm, 28 * mm, 160 * mm], repeatRows=1, style=grid)
        )
    else:
        story.append(Paragraph("None: every row matches the contract.", styles["BodyText"]))
    story += [Spacer(1, 6 * mm), Paragraph("Rejected rows", styles["Heading2"])]
    if rejects:
        rows = [["Row", "Why", "Cells"]]
        rows += [
            [str(r.row), Paragraph(escape(r.reason), small), Paragraph(escape(str(r.cells)[:300]), small)]
            for r in rejects
        ]
        story.append(LongTable(rows, colWidths=[16 * mm, 90 * mm, 160 * mm], repeatRows=1, style=grid))
    else:
        story.append(Paragraph("None.", styles["BodyText"]))
    return build(story, title=f"COD remittance reconciliation {batch.courier}", pagesize=landscape(A4))
