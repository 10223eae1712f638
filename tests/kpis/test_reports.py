"""Reports: the daily operations PDF (read back with pypdf: its figures and its charts), the
nightly job that keeps it, and the CSV exports. Both databases; the KPI fixture's orders."""

from __future__ import annotations

import csv
import io
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from pypdf import PdfReader

from server.db import Database
from server.db.base import utcnow
from server.jobs import Worker
from server.kpis.compute import manila_day
from server.kpis.rollup import JOB as ROLLUP
from server.reports.jobs import DAILY, daily_job, next_run, rollup_job, schedule
from tests.cod.home import Home
from tests.conftest import auth, run
from tests.kpis.test_kpis import fixture, home  # noqa: F401  # pyright: ignore[reportUnusedImport]


def _text(pdf: bytes) -> str:
    """The pages' text, runs of white space as one space (table cells come out one a line)."""
    return " ".join(" ".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages).split())


def test_daily_pdf_has_the_days_figures_and_charts(home: Home, fixture: dict[str, uuid.UUID]) -> None:  # noqa: F811
    r = home.http.get(
        "/api/v1/reports/daily.pdf", params={"date": "2026-11-10"}, headers=auth(home.tokens["supervisor"])
    )
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "application/pdf"
    text = _text(r.content)

    assert "Daily operations report: Tuesday 10 November 2026" in text
    # D1: placed A B C D (4: shopee 2, lazada 2); shipped A B (2); cancelled C; SLA A made, B missed.
    assert "Orders in (placed) 4" in text
    assert "Orders out (shipped) 2" in text
    assert "Cancelled 1" in text
    assert "50.0% (1 of 2)" in text
    assert "lazada 2" in text and "shopee 2" in text
    assert "Orders in and shipped by hour" in text and "Last 14 days" in text
    # The charts are drawn (vector paths with the chart's colours), not just their titles.
    reader = PdfReader(io.BytesIO(r.content))
    ops = b"".join(p.get_contents().get_data() for p in reader.pages)  # type: ignore[union-attr]
    # The hourly bars: D1 had orders placed in 4 hours and shipped in 2, drawn in the chart's
    # colours (#2563eb in, #16a34a shipped); the 14-day trend's two lines in the same colours.
    assert ops.count(b" re") >= 4 + 2
    assert b".145098 .388235 .921569 rg" in ops and b".086275 .639216 .290196 rg" in ops
    assert b".145098 .388235 .921569 RG" in ops and b".086275 .639216 .290196 RG" in ops
    assert reader.metadata is not None and reader.metadata.title == "Daily operations 2026-11-10"
    future = home.http.get(
        "/api/v1/reports/daily.pdf", params={"date": "2999-01-01"}, headers=auth(home.tokens["admin"])
    )
    assert future.status_code == 422 and "date" in future.text


def test_the_nightly_jobs_keep_yesterdays_report_and_roll_up(home: Home) -> None:  # noqa: F811
    at = datetime(2026, 11, 11, 17, 0, tzinfo=UTC)  # 01:00 on 12 November in Manila

    async def go() -> None:
        db = Database(home.url)
        try:
            await schedule(db, at - timedelta(minutes=30))
            await schedule(db, at - timedelta(minutes=30))  # idempotent: one job of each
            clock = [at]
            worker = Worker(db, {ROLLUP: rollup_job, DAILY: daily_job}, clock=lambda: clock[0])
            ran = await worker.run_once()
            assert sorted(j.kind for j, outcome in ran if outcome == "done") == [ROLLUP, DAILY]
            assert await worker.run_once() == []  # next: tomorrow at 01:00
        finally:
            await db.dispose()

    assert next_run(at).astimezone(UTC) == datetime(2026, 11, 12, 17, 0, tzinfo=UTC)
    run(go())
    h = auth(home.tokens["supervisor"])
    kept = home.http.get("/api/v1/reports", headers=h).json()
    assert [(k["kind"], k["date"]) for k in kept["items"]] == [("daily", "2026-11-11")]
    pdf = home.http.get("/api/v1/reports/kept/2026-11-11/daily.pdf", headers=h)
    assert pdf.status_code == 200 and "11 November 2026" in _text(pdf.content)
    assert home.http.get("/api/v1/reports/kept/2026-11-01/daily.pdf", headers=h).status_code == 404


def _rows(seller: Home, path: str, **params: Any) -> list[dict[str, str]]:
    r = seller.http.get(path, params=params, headers=auth(seller.tokens["admin"]))
    assert r.status_code == 200, r.text
    return list(csv.DictReader(io.StringIO(r.text)))


def test_csv_exports(home: Home, fixture: dict[str, uuid.UUID]) -> None:  # noqa: F811
    valuation = _rows(home, "/api/v1/reports/inventory-valuation.csv", warehouse="VAL")
    case = next(r for r in valuation if r["sku"] == "CASE-BLK")
    # 500 received, 5 orders of one reserved (not shipped by the API): on hand 500 at 199.00, the
    # selling price (no inbound shipment brought it in, so no landed cost is known).
    assert case["unit_value"] == "199.00" and case["value"] == f"{int(case['on_hand']) * 199:.2f}"
    assert case["basis"] == "selling_price"
    assert valuation[-1]["warehouse"] == "total"
    today = manila_day(utcnow()).isoformat()
    moves = _rows(home, "/api/v1/reports/movements.csv", **{"from": today, "to": today})
    assert moves and {"at", "warehouse", "sku", "kind", "qty"} <= set(moves[0])
    rec = _rows(home, "/api/v1/reports/cod-receivables.csv")
    held = [r for r in rec if r["kind"] == "held_by_rider"]
    # rider1 still holds B's 20,000 centavos (FIFO: the 50,000 handed in paid A's).
    assert [(r["holder"], r["order_id"], r["amount"]) for r in held] == [
        ("rider1", str(fixture["B"]), "200.00")
    ]
    owed = {r["order_id"]: r["amount"] for r in rec if r["kind"] == "not_collected"}
    assert owed == {str(fixture["B"]): "100.00"}  # B: 300.00 due, 200.00 collected; A in full
    rem = _rows(home, "/api/v1/reports/remittances.csv", **{"from": "2026-11-11", "to": "2026-11-11"})
    assert [(r["holder"], r["kind"], r["amount"], r["ref"]) for r in rem] == [
        ("rider1", "remitted", "-500.00", "R1")
    ]
