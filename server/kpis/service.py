"""The KPI page: a period's figures by day, channel or warehouse, from the rollup where a day was
rolled up and live from the ledgers where it was not (today, or a day the nightly job has not
reached). Totals are sums of numerators over sums of denominators, never averages of averages."""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from datetime import date, datetime, timedelta
from typing import Literal

import msgspec
from sqlalchemy import select
from sqlalchemy.engine import Connection

from server.business_day import manila_day
from server.kpis.compute import day_figures, rider_cash_figures, warehouse_codes
from server.kpis.definitions import KPIS
from server.kpis.models import DAY_MARK, KpiDay

By = Literal["day", "channel", "warehouse"]
MAX_DAYS = 92


class Point(msgspec.Struct):
    bucket: str
    value: float | None
    numerator: float
    denominator: float


class KpiOut(msgspec.Struct):
    key: str
    label: str
    unit: str
    definition: str
    total: float | None
    numerator: float
    denominator: float
    series: list[Point]


class KpiReport(msgspec.Struct, rename={"start": "from", "end": "to"}):
    start: date
    end: date
    by: str
    kpis: list[KpiOut]
    # The oldest figures in the answer were computed then (the rollup job's last run over that day,
    # or now for a day computed live); rider cash is always as of now.
    as_of: datetime | None = None


class KpiDefinition(msgspec.Struct):
    key: str
    label: str
    unit: str
    definition: str


def _value(unit: str, num: float, den: float) -> float | None:
    if not den:
        return None
    return round(100.0 * num / den, 2) if unit == "percent" else round(num / den, 3)


def kpi_report(
    conn: Connection,
    start: date,
    end: date,
    by: By,
    now: datetime,
    channel: str | None = None,
    warehouse: str | None = None,
) -> KpiReport:
    today = manila_day(now)
    days = [start + timedelta(days=i) for i in range((end - start).days + 1)]
    keys = [d.isoformat() for d in days]
    if not days:  # `from` after `to`: nothing in it
        return KpiReport(
            start, end, by, [KpiOut(k.key, k.label, k.unit, k.definition, None, 0.0, 0.0, []) for k in KPIS]
        )
    # (kpi, bucket) -> [num, den]
    acc: dict[tuple[str, str], list[float]] = defaultdict(lambda: [0.0, 0.0])

    def take(kpi: str, day: str, ch: str, wh: str, num: float, den: float) -> None:
        if channel is not None and ch != channel:
            return
        if warehouse is not None and wh != warehouse:
            return
        bucket = day if by == "day" else ch if by == "channel" else wh
        f = acc[(kpi, bucket)]
        f[0] += num
        f[1] += den

    stmt = select(
        KpiDay.day,
        KpiDay.kpi,
        KpiDay.channel,
        KpiDay.warehouse,
        KpiDay.numerator,
        KpiDay.denominator,
        KpiDay.computed_at,
    )
    stmt = stmt.where(KpiDay.day >= keys[0], KpiDay.day <= keys[-1])
    if channel is not None:
        stmt = stmt.where(KpiDay.channel.in_([channel, ""]))
    if warehouse is not None:
        stmt = stmt.where(KpiDay.warehouse.in_([warehouse, ""]))
    rows = conn.execute(stmt).all()
    rolled = {row[0] for row in rows if row[1] == DAY_MARK}
    stamps: list[datetime] = [row[6] for row in rows if row[1] == DAY_MARK]
    as_of = min(stamps) if stamps else now
    for day, kpi, ch, wh, num, den, _at in rows:
        if kpi != DAY_MARK:
            take(kpi, day, ch, wh, num, den)
    codes = None
    for d in days:
        if d.isoformat() in rolled or d > today:
            continue
        codes = codes if codes is not None else warehouse_codes(conn)
        as_of = min(as_of, now)
        for (kpi, ch, wh), (num, den) in day_figures(conn, d, now, codes).items():
            take(kpi, d.isoformat(), ch, wh, num, den)
    for (day, ch, wh), (num, den) in rider_cash_figures(conn, now, codes).items():
        # Cash held now, by the day it was collected: inside the period only.
        if keys[0] <= day <= keys[-1]:
            take("rider_cash_age_days", day, ch, wh, num, den)
    out: list[KpiOut] = []
    for k in KPIS:
        buckets = keys if by == "day" else sorted(b for kk, b in acc if kk == k.key)
        series = []
        tn = td = 0.0
        for b in buckets:
            num, den = acc.get((k.key, b), (0.0, 0.0))
            tn += num
            td += den
            series.append(Point(b, _value(k.unit, num, den), round(num, 4), round(den, 4)))
        out.append(
            KpiOut(
                k.key,
                k.label,
                k.unit,
                k.definition,
                _value(k.unit, tn, td),
                round(tn, 4),
                round(td, 4),
                series,
            )
        )
    return KpiReport(start, end, by, out, as_of)


def definitions() -> list[KpiDefinition]:
    return [KpiDefinition(k.key, k.label, k.unit, k.definition) for k in KPIS]


def as_csv(report: KpiReport) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["kpi", "label", "unit", "bucket", "value", "numerator", "denominator"])
    for k in report.kpis:
        for p in k.series:
            w.writerow(
                [
                    k.key,
                    k.label,
                    k.unit,
                    p.bucket,
                    "" if p.value is None else p.value,
                    p.numerator,
                    p.denominator,
                ]
            )
        w.writerow(
            [k.key, k.label, k.unit, "total", "" if k.total is None else k.total, k.numerator, k.denominator]
        )
    return buf.getvalue()
