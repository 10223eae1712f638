"""The printable remittance slip (PDF, reportlab, on the shared page, server/paper/pdf.py):
what the rider handed in, to whom, counted how, which stops it paid, and a chart of the rider's cash
collected and remitted by day, for the cashier and the accountant. Drawing is CPU work: callers run
it off the event loop."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from typing import Any, NamedTuple
from xml.sax.saxutils import escape

from reportlab.lib.pagesizes import A5
from reportlab.lib.styles import getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.platypus import Flowable, Paragraph, Spacer

from server.paper.pdf import bars, build, money

MANILA = timezone(timedelta(hours=8), "Asia/Manila")
CHART_DAYS = 7  # the rider's last week, ending on the slip's day


class DayCash(NamedTuple):
    day: date  # Manila
    collected: int  # centavos the rider collected that day
    remitted: int  # centavos the rider handed in that day


def remittance_slip(rem: dict[str, Any], names: dict[str, str], days: list[DayCash]) -> bytes:
    """`rem`: a remittance row (as a dict); `names`: order id -> the order's number for people;
    `days`: the rider's cash by day, oldest first."""
    styles = getSampleStyleSheet()
    body, small = styles["BodyText"], styles["BodyText"].clone("small", fontSize=8, leading=10)
    at: datetime = rem["created_at"]
    short = rem["expected"] - rem["amount"]
    balance = (
        f"<b>SHORT: {money(short)}</b>"
        if short > 0
        else f"<b>OVER: {money(-short)}</b>"
        if short < 0
        else "Balanced: no shortage"
    )
    story: list[Flowable] = [
        Paragraph("REMITTANCE SLIP", styles["Title"]),
        Paragraph(escape(f"Slip: {rem['ref'] or '-'}    Id: {rem['id']}"), small),
        Paragraph(escape(f"Date: {at.astimezone(MANILA):%Y-%m-%d %H:%M} (Manila)"), body),
        Paragraph(escape(f"Rider: {rem['holder']}"), body),
        Paragraph(escape(f"Received by: {rem['received_by']}"), body),
        Paragraph(f"<b>Handed in: {money(rem['amount'])}</b>", body),
        Paragraph(f"Cash in hand before: {money(rem['expected'])}", body),
        Paragraph(balance, body),
    ]
    denominations: dict[str, int] = rem["denominations"] or {}
    counted = [(k, n) for k, n in sorted(denominations.items(), key=lambda kv: -float(kv[0])) if n]
    if counted:
        story.append(Paragraph("<b>Count by denomination</b>", body))
        story += [Paragraph(f"{n} x PHP {k} = {money(round(float(k) * 100) * n)}", small) for k, n in counted]
    story.append(Paragraph("<b>Collections paid (oldest first)</b>", body))
    for m in rem["matched"]:
        order = names.get(m["order"], m["order"] or "(no order)")
        state = "paid" if m["covered"] == m["held"] else f"UNPAID {money(m['held'] - m['covered'])}"
        story.append(
            Paragraph(escape(f"{order}: {money(m['covered'])} of {money(m['held'])}  {state}"), small)
        )
    story += [
        Spacer(1, 3 * mm),
        bars(
            f"{rem['holder']}: collected and remitted by day (PHP)",
            [d.day.strftime("%a %d %b") for d in reversed(days)],  # horizontal: first drawn lowest
            [[d.collected / 100 for d in reversed(days)], [d.remitted / 100 for d in reversed(days)]],
            ["Collected", "Remitted"],
            width=124 * mm,
            height=80 * mm,
            horizontal=True,
            label=lambda v: f"{v:,.2f}",
        ),
        Spacer(1, 8 * mm),
        Paragraph(
            "Rider's signature: ____________________      Cashier's signature: ____________________", small
        ),
    ]
    return build(story, title=f"Remittance slip {rem['ref'] or rem['id']}", pagesize=A5)
