"""The KPI rollup (a durable job, `kpis.rollup`, server/reports/jobs.py).

Computing a day from the ledgers takes seconds at 20,000 orders a day, too slow for a page, so
the page reads this rollup. Every `EVERY_S` the job recomputes yesterday and today (today's
figures are provisional: at most that old; the answer's `as_of` says when); once a night it
recomputes the last `REFRESH_DAYS` days, because past days change when late facts arrive (a parcel
shipped last week comes back today: last week's RTS rate moves). Older days keep the figures they
were last computed with. A day never rolled up (a new install) is computed live when asked."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.engine import Connection

from server.business_day import manila_day
from server.db.bulk import insert_rows
from server.kpis.compute import day_figures, warehouse_codes
from server.kpis.models import DAY_MARK, KpiDay

REFRESH_DAYS = 35
EVERY_S = 600.0
JOB = "kpis.rollup"


def roll_up(conn: Connection, days: list[date], now: datetime) -> int:
    """Replace the rollup of `days` (up to today) with figures computed now; returns rows."""
    today = manila_day(now)
    codes = warehouse_codes(conn)
    rows = 0
    for day in days:
        if day > today:
            continue
        figures = day_figures(conn, day, now, codes)
        conn.execute(delete(KpiDay).where(KpiDay.day == day.isoformat()))
        batch = [
            {
                "day": day.isoformat(),
                "kpi": k,
                "channel": ch,
                "warehouse": wh,
                "numerator": n,
                "denominator": d,
                "computed_at": now,
            }
            for (k, ch, wh), (n, d) in figures.items()
        ]
        batch.append(
            {
                "day": day.isoformat(),
                "kpi": DAY_MARK,
                "channel": "",
                "warehouse": "",
                "numerator": 0.0,
                "denominator": 0.0,
                "computed_at": now,
            }
        )
        insert_rows(conn, KpiDay, batch)
        rows += len(batch)
    return rows


def recent_days(now: datetime, count: int = REFRESH_DAYS) -> list[date]:
    """The `count` days before today and today."""
    today = manila_day(now)
    return [today - timedelta(days=i) for i in range(count, -1, -1)]


def due_days(conn: Connection, now: datetime, nightly: bool) -> list[date]:
    """What a run recomputes: the last REFRESH_DAYS days at night; else yesterday and today, and any
    of the last REFRESH_DAYS days never rolled up (a new install, a night the server was off)."""
    days = recent_days(now)
    if nightly:
        return days
    rolled = set(
        conn.execute(
            select(KpiDay.day).where(KpiDay.kpi == DAY_MARK, KpiDay.day >= days[0].isoformat())
        ).scalars()
    )
    return [d for d in days if d >= days[-2] or d.isoformat() not in rolled]


def roll_due(conn: Connection, now: datetime, nightly: bool) -> int:
    return roll_up(conn, due_days(conn, now, nightly), now)
