"""Reports on demand: the daily operations PDF and the CSV exports; the kept nightly PDFs.

reportlab and the big CSVs are built off the event loop (a worker thread), so a report being made
never stalls the API for everyone else. The rider remittance slip and the courier reconciliation
PDFs are where they were: GET /api/v1/cod/remittances/{id}/slip.pdf and
GET /api/v1/couriers/{code}/remittances/{batch}/report.pdf."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Annotated, Any

import anyio
import msgspec
from litestar import Response, get
from litestar.params import QueryParameter
from sqlalchemy import func, select
from sqlalchemy.engine import Connection

from server.auth.principal import MANAGERS
from server.business_day import bounds, manila_day
from server.db import Database
from server.db.base import utcnow
from server.errors import FieldError, InvalidInput, NotFound
from server.kpis.controllers import FromDate, ToDate, period
from server.pagination import PAGINATION, Page, PageParams, TextFilter
from server.reports import exports
from server.reports.daily import daily_data, render_daily
from server.reports.models import ReportFile

Day = Annotated[
    date | None, QueryParameter(name="date", description="Business day (Manila); default yesterday")
]
MAX_EXPORT_DAYS = 92


class KeptReport(msgspec.Struct):
    kind: str
    date: str
    created_at: str
    size: int


def _pdf(content: bytes, name: str) -> Response[bytes]:
    return Response(
        content, media_type="application/pdf", headers={"Content-Disposition": f'inline; filename="{name}"'}
    )


def _csv(content: str, name: str) -> Response[str]:
    return Response(
        content, media_type="text/csv", headers={"Content-Disposition": f'attachment; filename="{name}"'}
    )


def _day(day: date | None) -> date:
    today = manila_day(utcnow())
    day = day or today - timedelta(days=1)
    if day > today:
        # A bad query value, not a missing thing: 422 naming the parameter, as the API document says.
        raise InvalidInput("that day has not come yet", [FieldError("date", "must not be after today")])
    return day


@get(
    "/api/v1/reports/daily.pdf",
    opt=MANAGERS,
    tags=["reports"],
    media_type="application/pdf",
    summary="The daily operations report (orders in/out, SLA, exceptions, stock alerts, charts)",
)
async def daily_pdf(db: Database, day: Day = None) -> Response[bytes]:
    d = _day(day)
    data = await db.run_read(daily_data, d, utcnow())
    pdf = await anyio.to_thread.run_sync(render_daily, data)  # reportlab blocks: off the loop
    return _pdf(pdf, f"daily-{d.isoformat()}.pdf")


def _kept(conn: Connection, page: PageParams) -> Page[KeptReport]:
    r = ReportFile
    total = conn.execute(select(func.count()).select_from(r)).scalar_one()
    rows = conn.execute(
        select(r.kind, r.day, r.created_at, func.length(r.content))
        .order_by(r.day.desc(), r.kind)
        .limit(page.limit)
        .offset(page.offset)
    ).all()
    return page.of([KeptReport(k, d, c.isoformat(), int(n)) for k, d, c, n in rows], total)


def _kept_pdf(conn: Connection, day: str) -> bytes | None:
    r = ReportFile
    return conn.execute(select(r.content).where(r.kind == "daily", r.day == day)).scalar()


@get(
    "/api/v1/reports",
    opt=MANAGERS,
    tags=["reports"],
    dependencies=PAGINATION,
    summary="The daily reports the nightly job kept, newest first",
)
async def kept_reports(db: Database, page: PageParams) -> Page[KeptReport]:
    return await db.run_read(_kept, page)


@get(
    "/api/v1/reports/kept/{day:date}/daily.pdf",
    opt=MANAGERS,
    tags=["reports"],
    media_type="application/pdf",
    summary="A daily report as the nightly job made it",
)
async def kept_daily_pdf(db: Database, day: date) -> Response[bytes]:
    pdf = await db.run_read(_kept_pdf, day.isoformat())
    if pdf is None:
        raise NotFound(f"no daily report kept for {day.isoformat()}")
    return _pdf(pdf, f"daily-{day.isoformat()}.pdf")


@get(
    "/api/v1/reports/inventory-valuation.csv",
    opt=MANAGERS,
    tags=["reports"],
    media_type="text/csv",
    summary="On hand per SKU and warehouse at landed cost where known, else selling price (basis per line)",
)
async def valuation_csv(db: Database, warehouse: TextFilter = None) -> Response[str]:
    return _csv(await db.run_read(exports.inventory_valuation, warehouse), "inventory-valuation.csv")


def _valuation_page(conn: Connection, page: PageParams, warehouse: str | None) -> Page[exports.ValuationLine]:
    lines = exports.valuation_lines(conn, warehouse)
    return page.of(lines[page.offset : page.offset + page.limit], len(lines))


@get(
    "/api/v1/reports/inventory-valuation",
    opt=MANAGERS,
    tags=["reports"],
    dependencies=PAGINATION,
    summary="The inventory valuation's lines, for the console: each says its basis",
)
async def valuation(
    db: Database, page: PageParams, warehouse: TextFilter = None
) -> Page[exports.ValuationLine]:
    return await db.run_read(_valuation_page, page, warehouse)


@get(
    "/api/v1/reports/movements.csv",
    opt=MANAGERS,
    tags=["reports"],
    media_type="text/csv",
    summary="Stock movements in a period (Manila days, inclusive)",
)
async def movements_csv(
    db: Database, start: FromDate = None, end: ToDate = None, warehouse: TextFilter = None
) -> Response[str]:
    lo, hi = period(start, end, MAX_EXPORT_DAYS)
    text = await db.run_read(exports.movements, bounds(lo)[0], bounds(hi)[1], warehouse)
    return _csv(text, f"movements-{lo}-{hi}.csv")


@get(
    "/api/v1/reports/cod-receivables.csv",
    opt=MANAGERS,
    tags=["reports"],
    media_type="text/csv",
    summary="Accounting: COD cash riders still hold and delivered COD not yet collected, as of now",
)
async def receivables_csv(db: Database) -> Response[str]:
    return _csv(await db.run_read(exports.cod_receivables, utcnow()), "cod-receivables.csv")


@get(
    "/api/v1/reports/remittances.csv",
    opt=MANAGERS,
    tags=["reports"],
    media_type="text/csv",
    summary="Accounting: cash handed on (remitted, received) in a period",
)
async def remittances_csv(db: Database, start: FromDate = None, end: ToDate = None) -> Response[str]:
    lo, hi = period(start, end, MAX_EXPORT_DAYS)
    return _csv(
        await db.run_read(exports.remittances, bounds(lo)[0], bounds(hi)[1]), f"remittances-{lo}-{hi}.csv"
    )


report_routes: list[Any] = [
    daily_pdf,
    kept_reports,
    kept_daily_pdf,
    valuation_csv,
    valuation,
    movements_csv,
    receivables_csv,
    remittances_csv,
]
