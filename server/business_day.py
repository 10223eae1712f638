"""The business day is Asia/Manila's (UTC+8, no daylight saving since 1978): its bounds in UTC,
and the day an instant falls on. Below every package that reads by day (the KPIs, the reports,
COD, the audit log's search)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta, timezone

MANILA = timezone(timedelta(hours=8), "Asia/Manila")


def bounds(day: date) -> tuple[datetime, datetime]:
    """[first instant of the Manila day, first instant of the next) as UTC."""
    lo = datetime.combine(day, time(), MANILA).astimezone(UTC)
    return lo, lo + timedelta(days=1)


def manila_day(at: datetime) -> date:
    return at.astimezone(MANILA).date()
