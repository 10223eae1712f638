"""KPIs, audit log and ERP dead letters in the console, in Chromium, against the real endpoints
(GET /api/v1/kpis and /kpis.csv, /audit, /erp/endpoints, /erp/dead-letters and its retry) on the
seeded business of tests/console/story.py. Nothing of Bodega's own is faked: the dead letter is an
endpoint pointing at a closed local port whose delivery really failed, then given up on through the
ERP feed's own writer. The KPI page's screenshot is kept in var/screenshots for a person to look at."""

from __future__ import annotations

import asyncio
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

import httpx
from playwright.sync_api import expect
from sqlalchemy import select
from sqlalchemy.engine import Connection

from server.bench import pwa
from server.bench.harness import free_port
from server.erp.deliver import MAX_ATTEMPTS, give_up
from server.erp.models import ErpDelivery
from tests.console.conftest import WAIT_MS, open_screen, shot
from tests.console.story import SUPERVISOR, Story, held_order_body, ok

SECRET = "console-erp-secret-2026"


def manila_day(days_ago: int = 0) -> str:
    return (datetime.now(UTC) + timedelta(hours=8) - timedelta(days=days_ago)).date().isoformat()


def fmt(value: float | None, unit: str) -> str:
    """As the console's kpis.js writes a figure."""
    if value is None:
        return "—"
    # toFixed(1) rounds the float's exact value half up (1.25 -> 1.3); Python's format, half even.
    one = Decimal(value).quantize(Decimal("0.1"), ROUND_HALF_UP)
    return {"percent": f"{one}%", "hours": f"{one} h", "days": f"{one} d"}.get(unit, str(value))


def api_client(site: pwa.Site) -> httpx.Client:
    api = httpx.Client(base_url=site.url, timeout=30)
    api.headers["Authorization"] = f"Bearer {pwa.admin_token(site)}"
    return api


def test_kpi_page_charts_and_csv(desk: Any, site: pwa.Site, story: Story) -> None:
    start, end = manila_day(3), manila_day(0)
    with api_client(site) as api:
        by_day = ok(api.get("/api/v1/kpis", params={"from": start, "to": end, "by": "day"}))
        by_channel = ok(api.get("/api/v1/kpis", params={"from": start, "to": end, "by": "channel"}))
    # The story delivered its order and collected its cash: the ledgers give real figures.
    totals = {k["key"]: k for k in by_day["kpis"]}
    assert totals["cod_collection"]["total"] is not None and totals["sla"]["denominator"] > 0

    open_screen(desk, site, f"/kpis?from={start}&to={end}")
    for k in by_day["kpis"]:
        expect(desk.get_by_test_id(f"total-{k['key']}")).to_have_text(fmt(k["total"], k["unit"]))
    expect(desk.locator("[data-testid=chart-sla] canvas")).to_have_count(1)  # uPlot drew it
    expect(desk.locator(".chart canvas")).to_have_count(len(by_day["kpis"]))
    shot(desk, "kpis")

    desk.get_by_role("button", name="By channel").click()
    sla = next(k for k in by_channel["kpis"] if k["key"] == "sla")
    rows = desk.locator("[data-testid=kpi-sla] details tbody tr")
    expect(rows).to_have_count(len(sla["series"]))
    assert "shopee" in [p["bucket"] for p in sla["series"]]  # the story's shop sells on Shopee
    expect(desk.locator("[data-testid=kpi-sla] details tbody")).to_contain_text("shopee")
    assert "by=channel" in desk.url

    with desk.expect_download() as download:
        desk.click("button[data-action=csv]")
    assert download.value.suggested_filename == f"bodega-kpis-{start}-{end}-channel.csv"
    text = Path(download.value.path()).read_text()
    assert text.startswith("kpi,label,unit,bucket,value,numerator,denominator\n")
    assert any(line.startswith("sla,") and ",shopee," in line for line in text.splitlines())


def _endpoint(api: httpx.Client, name: str, url: str) -> dict[str, Any]:
    return ok(api.post("/api/v1/erp/endpoints", json={"name": name, "url": url, "secret": SECRET}))


def test_audit_search(desk: Any, site: pwa.Site, story: Story) -> None:
    name = f"Audit probe {uuid.uuid4().hex[:6]}"
    with api_client(site) as api:
        made = _endpoint(api, name, "https://erp.example.ph/hook")
        ok(api.delete(f"/api/v1/erp/endpoints/{made['id']}"))
    open_screen(desk, site, "/audit")
    table = desk.get_by_test_id("audit-table")
    rows = table.locator("tbody tr[data-row]")
    expect(rows.first).to_be_visible()
    desk.fill("input[name=actor]", f"user:{SUPERVISOR[0]}")  # the supervisor changed nothing
    desk.fill("input[name=entity]", "erp_endpoint")
    desk.fill("input[name=entity_id]", made["id"])
    desk.fill("input[name=from]", manila_day(1))
    desk.press("input[name=actor]", "Enter")
    expect(table.locator("[data-testid=empty]")).to_be_visible()
    desk.fill("input[name=actor]", f"user:{pwa.ADMIN[0]}")
    desk.press("input[name=entity]", "Enter")
    # Newest first: the endpoint removed, after it was added.
    expect(rows).to_have_count(2)
    expect(rows.nth(0)).to_contain_text("erp.endpoint.deleted")
    expect(rows.nth(1)).to_contain_text("erp.endpoint.created")
    expect(rows.nth(1)).to_contain_text(f"user:{pwa.ADMIN[0]}")
    rows.nth(1).click()
    expect(desk.locator(".drawer pre")).to_contain_text("https://erp.example.ph/hook")
    shot(desk, "audit")
    expect(desk.locator(".drawer pre")).to_contain_text(name)


def _give_up(conn: Connection, endpoint_id: uuid.UUID) -> int:
    """The delivery failed once for real; the feed gives up on it as after its last try, through
    the writer of dead letters the delivery job uses (deliver.give_up), keeping the real error."""
    d = conn.execute(select(ErpDelivery.__table__).where(ErpDelivery.endpoint_id == endpoint_id)).one()
    give_up(conn, int(d.id), d.last_error, d.last_attempt_at)
    return int(d.id)


def _in_thread(site: pwa.Site, endpoint_id: uuid.UUID) -> int:
    # Its own event loop in its own thread: Playwright's sync API holds this thread's.
    from server.db import Database

    async def go() -> int:
        db = Database(site.database_url)
        try:
            return await db.run_write(_give_up, endpoint_id)
        finally:
            await db.dispose()

    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, go()).result()


def _endpoint_once_refused(api: httpx.Client, endpoint_id: str) -> dict[str, Any]:
    """The endpoint as listed once the server's worker has tried it (a pending row appears only
    after a failed send); polled, as the worker runs in the server's process on the real clock."""
    deadline = time.monotonic() + WAIT_MS / 1000
    while True:
        seen = next(e for e in ok(api.get("/api/v1/erp/endpoints"))["items"] if e["id"] == endpoint_id)
        if seen["pending"] or time.monotonic() > deadline:
            return seen
        time.sleep(0.2)


def test_erp_dead_letter_retry(desk: Any, site: pwa.Site, story: Story) -> None:
    name = f"Xero bridge {uuid.uuid4().hex[:6]}"
    closed = free_port()  # nothing listens there: every delivery is refused
    with api_client(site) as api:
        ep = _endpoint(api, name, f"http://127.0.0.1:{closed}/hook")
        # A new order is an event the endpoint is owed; the server's own worker tries to send it.
        ok(api.post("/api/v1/orders", json=held_order_body(f"2412-ERP-{uuid.uuid4().hex[:6]}")))
        seen = _endpoint_once_refused(api, ep["id"])
        assert seen["pending"] == 1, seen  # refused once, owed again after a back-off
        # Paused (as a person would while the ERP is down) so the worker leaves it alone from now.
        ok(api.patch(f"/api/v1/erp/endpoints/{ep['id']}", json={"active": False}))
        delivery_id = _in_thread(site, uuid.UUID(ep["id"]))
        dead = ok(api.get("/api/v1/erp/dead-letters", params={"endpoint": ep["id"]}))
        assert [d["id"] for d in dead["items"]] == [delivery_id]

        open_screen(desk, site, "/erp")
        expect(desk.get_by_test_id("endpoint-table")).to_contain_text(name)
        rows = desk.locator("[data-testid=dead-table] tbody tr[data-row]", has_text=name)
        expect(rows).to_have_count(1)
        expect(rows.first).to_contain_text("ConnectError")  # the real refusal, as httpx said it
        expect(rows.first).to_contain_text(str(MAX_ATTEMPTS))
        shot(desk, "erp")
        rows.first.locator("button[data-action=retry]").click()
        expect(desk.get_by_test_id("dead-table")).not_to_contain_text(name)

        after = next(e for e in ok(api.get("/api/v1/erp/endpoints"))["items"] if e["id"] == ep["id"])
        assert (after["dead"], after["pending"]) == (0, 1)  # owed again, once
        retried = ok(
            api.get("/api/v1/audit", params={"action": "erp.dead_letter.retried", "entity_id": ep["id"]})
        )
        assert [(a["actor"], a["details"]["seq"]) for a in retried["items"]] == [
            (f"user:{pwa.ADMIN[0]}", dead["items"][0]["seq"])
        ]
        ok(api.delete(f"/api/v1/erp/endpoints/{ep['id']}"))
