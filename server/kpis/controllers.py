"""KPI endpoints: the figures (JSON, CSV) and their definitions."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Annotated, Any

from litestar import Controller, Response, get
from litestar.params import QueryParameter

from server.auth.principal import MANAGERS
from server.business_day import manila_day
from server.channels.schemas import Channel
from server.db import Database
from server.db.base import utcnow
from server.kpis.service import MAX_DAYS, By, KpiDefinition, KpiReport, as_csv, definitions, kpi_report
from server.pagination import TextFilter

FromDate = Annotated[date | None, QueryParameter(name="from", description="First day (Manila), inclusive")]
ToDate = Annotated[date | None, QueryParameter(name="to", description="Last day (Manila), inclusive")]


def period(start: date | None, end: date | None, max_days: int = MAX_DAYS) -> tuple[date, date]:
    """The asked period; by default the last 30 days up to today. A period longer than `max_days`
    is cut to its last `max_days` days (the answer's from/to say which); `from` after `to` is an
    empty period, like a list filter that matches nothing."""
    end = end or manila_day(utcnow())
    start = start or end - timedelta(days=29)
    if (end - start).days + 1 > max_days:
        start = end - timedelta(days=max_days - 1)
    return start, end


async def _report(
    db: Database, start: date | None, end: date | None, by: By, channel: str | None, warehouse: str | None
) -> KpiReport:
    lo, hi = period(start, end)
    return await db.run_read(kpi_report, lo, hi, by, utcnow(), channel, warehouse)


class KpiController(Controller):
    path = "/api/v1/kpis"
    tags = ["kpis"]
    opt = MANAGERS

    @get("/", summary="KPIs for a period by day, channel or warehouse (from the ledgers)")
    async def kpis(
        self,
        db: Database,
        start: FromDate = None,
        end: ToDate = None,
        by: By = "day",
        channel: Channel | None = None,
        warehouse: TextFilter = None,
    ) -> KpiReport:
        return await _report(db, start, end, by, channel, warehouse)

    @get("/definitions", summary="What each KPI means")
    async def kpi_definitions(self) -> list[KpiDefinition]:
        return definitions()


@get("/api/v1/kpis.csv", opt=MANAGERS, tags=["kpis"], summary="The same KPIs as CSV", media_type="text/csv")
async def kpis_csv(
    db: Database,
    start: FromDate = None,
    end: ToDate = None,
    by: By = "day",
    channel: Channel | None = None,
    warehouse: TextFilter = None,
) -> Response[str]:
    report = await _report(db, start, end, by, channel, warehouse)
    name = f"kpis-{report.start}-{report.end}-{by}.csv"
    return Response(
        as_csv(report),
        media_type="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


kpi_routes: list[Any] = [KpiController, kpis_csv]
