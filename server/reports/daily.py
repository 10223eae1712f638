"""The daily operations report: a business day's orders in and out, the SLA, exceptions and stock
alerts, with charts (reportlab.graphics), for the office to print or file.

`daily_data` reads the ledgers (a few indexed queries: fast at 20,000 orders a day); `render_daily`
draws the PDF. reportlab is synchronous and CPU-bound: callers run it in a worker thread, never
on the event loop (server/reports/controllers.py; the nightly job in server/reports/jobs.py)."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from reportlab.graphics.charts.linecharts import HorizontalLineChart
from reportlab.graphics.shapes import Drawing, String
from reportlab.lib import colors
from reportlab.lib.styles import getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.platypus import Flowable, Paragraph, Spacer, Table, TableStyle
from sqlalchemy import func, select
from sqlalchemy.engine import Connection

from server.business_day import MANILA, bounds
from server.catalog.models import Sku
from server.exceptions.models import ExceptionRecord
from server.inventory.models import StockBalance, Warehouse
from server.kpis.compute import Figures
from server.kpis.compute import sla as sla_figures
from server.kpis.models import DAY_MARK, KpiDay
from server.orders.models import Order, OrderStatusChange
from server.paper.pdf import SERIES, bars, build

TREND_DAYS = 14
ALERT_ROWS = 40


@dataclass
class DailyData:
    day: date
    made_at: datetime
    orders_in: int = 0
    in_by_channel: dict[str, int] = field(default_factory=dict[str, int])
    in_by_hour: list[int] = field(default_factory=lambda: [0] * 24)
    shipped: int = 0
    out_by_hour: list[int] = field(default_factory=lambda: [0] * 24)
    delivered: int = 0
    returned_to_sender: int = 0
    cancelled: int = 0
    sla_made: int = 0
    sla_due: int = 0
    exceptions_raised: dict[str, int] = field(default_factory=dict[str, int])
    exceptions_resolved: int = 0
    exceptions_open: int = 0
    trend: list[tuple[str, int, int]] = field(default_factory=list[tuple[str, int, int]])  # day, in, out
    # (warehouse, sku, name, on hand, reserved, buffer, available)
    alerts: list[tuple[str, str, str, int, int, int, int]] = field(
        default_factory=list[tuple[str, str, str, int, int, int, int]]
    )
    alerts_total: int = 0


def _moves(conn: Connection, status: str, lo: datetime, hi: datetime) -> int:
    """History rows reaching `status` in [lo, hi): counted in the (to_status, at) index alone."""
    h = OrderStatusChange
    return int(
        conn.execute(select(func.count()).where(h.to_status == status, h.at >= lo, h.at < hi)).scalar_one()
    )


def _sla(conn: Connection, day: date, now: datetime) -> tuple[int, int]:
    """The day's SLA from the KPI rollup when the day was rolled up (the nightly job has), else
    computed from the ledgers."""
    k = KpiDay
    rolled = conn.execute(
        select(k.kpi, func.sum(k.numerator), func.sum(k.denominator))
        .where(k.day == day.isoformat(), k.kpi.in_(("sla", DAY_MARK)))
        .group_by(k.kpi)
    ).all()
    if any(r[0] == DAY_MARK for r in rolled):
        return next(((int(n), int(d)) for kpi, n, d in rolled if kpi == "sla"), (0, 0))
    out: Figures = defaultdict(lambda: [0.0, 0.0])
    lo, hi = bounds(day)
    sla_figures(conn, out, lo, hi, now, lambda _w: "")
    made, due = (sum(v[i] for v in out.values()) for i in (0, 1))
    return int(made), int(due)


def daily_data(conn: Connection, day: date, now: datetime) -> DailyData:
    """The day's figures. Counts of moves are history rows (an order shipped twice in a day, after
    a return, counts twice: rare, and what the floor did)."""
    lo, hi = bounds(day)
    data = DailyData(day, now)
    channels: Counter[str] = Counter()
    for channel, n in conn.execute(
        select(Order.channel, func.count())
        .where(Order.placed_at >= lo, Order.placed_at < hi)
        .group_by(Order.channel)
    ).all():
        channels[channel] += int(n)
    for (placed,) in conn.execute(
        select(Order.placed_at).where(Order.placed_at >= lo, Order.placed_at < hi)
    ).all():
        data.in_by_hour[placed.astimezone(MANILA).hour] += 1
    data.orders_in = sum(channels.values())
    data.in_by_channel = dict(sorted(channels.items()))
    h = OrderStatusChange
    for (at,) in conn.execute(select(h.at).where(h.to_status == "shipped", h.at >= lo, h.at < hi)).all():
        data.out_by_hour[at.astimezone(MANILA).hour] += 1
    data.shipped = sum(data.out_by_hour)
    data.delivered = _moves(conn, "delivered", lo, hi)
    data.returned_to_sender = _moves(conn, "return_to_sender", lo, hi)
    data.cancelled = _moves(conn, "cancelled", lo, hi)
    data.sla_made, data.sla_due = _sla(conn, day, now)
    x = ExceptionRecord
    data.exceptions_raised = {
        kind: int(n)
        for kind, n in conn.execute(
            select(x.kind, func.count()).where(x.created_at >= lo, x.created_at < hi).group_by(x.kind)
        ).all()
    }
    data.exceptions_resolved = int(
        conn.execute(select(func.count()).where(x.resolved_at >= lo, x.resolved_at < hi)).scalar_one()
    )
    data.exceptions_open = int(conn.execute(select(func.count()).where(x.status == "open")).scalar_one())
    for i in range(TREND_DAYS - 1, -1, -1):
        d = day - timedelta(days=i)
        dlo, dhi = bounds(d)
        n_in = conn.execute(
            select(func.count()).where(Order.placed_at >= dlo, Order.placed_at < dhi)
        ).scalar_one()
        data.trend.append((d.strftime("%m-%d"), int(n_in), _moves(conn, "shipped", dlo, dhi)))
    b = StockBalance
    available = b.on_hand - b.reserved - b.safety_buffer - b.quarantined
    # Stock alerts: sellable stock used up (at or below nothing), or under the safety buffer.
    low = (available <= 0) | (b.on_hand - b.quarantined < b.safety_buffer)
    data.alerts_total = int(conn.execute(select(func.count()).select_from(b).where(low)).scalar_one())
    data.alerts = [
        (wh, code, name, int(oh), int(res), int(buf), int(av))
        for wh, code, name, oh, res, buf, av in conn.execute(
            select(Warehouse.code, Sku.code, Sku.name, b.on_hand, b.reserved, b.safety_buffer, available)
            .join(Sku, Sku.id == b.sku_id)
            .join(Warehouse, Warehouse.id == b.warehouse_id)
            .where(low, Sku.active.is_(True))
            .order_by(available, Warehouse.code, Sku.code)
            .limit(ALERT_ROWS)
        ).all()
    ]
    return data


def _trend(data: DailyData) -> Drawing:
    d = Drawing(170 * mm, 62 * mm)
    d.add(
        String(
            0,
            58 * mm,
            f"Last {TREND_DAYS} days: orders in and shipped",
            fontName="Helvetica-Bold",
            fontSize=10,
        )
    )
    chart = HorizontalLineChart()
    chart.x, chart.y, chart.width, chart.height = int(12 * mm), int(10 * mm), int(150 * mm), int(42 * mm)
    chart.data = [tuple(t[1] for t in data.trend), tuple(t[2] for t in data.trend)]
    chart.categoryAxis.categoryNames = [t[0] for t in data.trend]
    chart.categoryAxis.labels.fontSize = 6
    chart.valueAxis.valueMin = 0
    chart.valueAxis.labels.fontSize = 7
    chart.lines[0].strokeColor, chart.lines[1].strokeColor = SERIES[0], SERIES[1]
    d.add(chart)
    return d


def _table(rows: list[list[str]], widths: list[float] | None = None) -> Table:
    t = Table(rows, colWidths=widths, hAlign="LEFT")
    t.setStyle(
        TableStyle(
            [
                ("FONT", (0, 0), (-1, -1), "Helvetica", 8),
                ("FONT", (0, 0), (-1, 0), "Helvetica-Bold", 8),
                ("LINEBELOW", (0, 0), (-1, 0), 0.5, colors.grey),
                ("ALIGN", (1, 1), (-1, -1), "RIGHT"),
            ]
        )
    )
    return t


def _alerts_line(data: DailyData) -> str:
    line = f"{data.alerts_total:,} SKU-warehouse balances have no sellable stock or are under their buffer"
    if data.alerts_total > len(data.alerts):
        line += f"; the lowest {len(data.alerts)} are listed"
    return line + "."


def render_daily(data: DailyData) -> bytes:
    styles = getSampleStyleSheet()
    sla = f"{100 * data.sla_made / data.sla_due:.1f}%" if data.sla_due else "n/a"
    made = data.made_at.astimezone(MANILA).strftime("%Y-%m-%d %H:%M")
    story: list[Flowable] = [
        Paragraph(f"Daily operations report: {data.day.strftime('%A %d %B %Y')}", styles["Title"]),
        Paragraph(f"Business day in Asia/Manila. Made {made} Manila time.", styles["Normal"]),
        Spacer(1, 4 * mm),
        _table(
            [
                ["Orders", "Count"],
                ["Orders in (placed)", f"{data.orders_in:,}"],
                ["Orders out (shipped)", f"{data.shipped:,}"],
                ["Delivered", f"{data.delivered:,}"],
                ["Returned to sender", f"{data.returned_to_sender:,}"],
                ["Cancelled", f"{data.cancelled:,}"],
                ["Fulfillment SLA (shipped by ship-by)", f"{sla} ({data.sla_made:,} of {data.sla_due:,})"],
            ],
            [90 * mm, 60 * mm],
        ),
        Spacer(1, 3 * mm),
        _table(
            [["Orders in by channel", "Count"]] + [[c, f"{n:,}"] for c, n in data.in_by_channel.items()],
            [90 * mm, 60 * mm],
        ),
        Spacer(1, 3 * mm),
        bars(
            "Orders in and shipped by hour (Manila)",
            [str(h) for h in range(24)],
            [data.in_by_hour, data.out_by_hour],
            ["In", "Shipped"],
        ),
        _trend(data),
        Paragraph("Exceptions", styles["Heading2"]),
        _table(
            [["Raised today, by kind", "Count"]]
            + [[k.replace("_", " "), f"{n:,}"] for k, n in sorted(data.exceptions_raised.items())]
            + [
                ["Resolved today", f"{data.exceptions_resolved:,}"],
                ["Open now", f"{data.exceptions_open:,}"],
            ],
            [90 * mm, 60 * mm],
        ),
        Paragraph("Stock alerts", styles["Heading2"]),
        Paragraph(_alerts_line(data), styles["Normal"]),
        Spacer(1, 2 * mm),
        _table(
            [["Warehouse", "SKU", "Name", "On hand", "Reserved", "Buffer", "Available"]]
            + [[w, s, n[:40], f"{a:,}", f"{b:,}", f"{c:,}", f"{d:,}"] for w, s, n, a, b, c, d in data.alerts],
        ),
    ]
    return build(story, title=f"Daily operations {data.day.isoformat()}")
