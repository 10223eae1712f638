"""Exceptions, riders and runs, courier remittances in the console, in Chromium: the inbox full
width with an exception resolved (once, saying what was done), the rider's run and the cash in
hand, and the remittance batches list."""

from __future__ import annotations

import time
from typing import Any

import httpx
from playwright.sync_api import expect

from server.bench import pwa
from tests.console.conftest import open_screen
from tests.console.story import Story


def test_exception_inbox_resolve(desk: Any, site: pwa.Site, story: Story) -> None:
    open_screen(desk, site, "/exceptions?status=open")
    rows = desk.locator("[data-testid=exception-table] tbody tr[data-row]")
    row = rows.filter(has_text="double_delivery")
    expect(row).to_have_count(1)
    width = desk.evaluate(
        "document.querySelector('[data-testid=exception-table]').getBoundingClientRect().width"
    )
    assert width > 900  # full width on a 1280 px screen
    row.click()
    drawer = desk.get_by_test_id("exception")
    expect(drawer).to_contain_text(story.waybill)
    drawer.locator("textarea[name=resolution]").fill("x")  # too short: the server says so
    drawer.locator("[data-testid=resolve] button[type=submit]").click()
    expect(drawer.locator(".field-bad textarea[name=resolution]")).to_be_visible()
    drawer.locator("textarea[name=resolution]").fill("tinawagan ang customer: isang beses lang natanggap")
    drawer.locator("[data-testid=resolve] button[type=submit]").click()
    expect(desk.get_by_test_id("resolved")).to_contain_text("bodega.admin")
    expect(rows.filter(has_text="double_delivery")).to_have_count(0)  # gone from the open list
    token = pwa.admin_token(site)
    found = httpx.get(
        f"{site.url}/api/v1/exceptions",
        params={"order_id": story.order_id},
        headers={"Authorization": f"Bearer {token}"},
        timeout=10,
    ).json()["items"]
    assert [(x["status"], x["resolved_by"]) for x in found] == [("resolved", "user:bodega.admin")]


def test_riders_runs_and_cash(desk: Any, site: pwa.Site, story: Story) -> None:
    open_screen(desk, site, "/riders")
    expect(desk.get_by_test_id("rider-cash")).to_contain_text("rider.ben")
    expect(desk.get_by_test_id("rider-cash")).to_contain_text("₱398.00")
    runs = desk.locator("[data-testid=run-table] tbody tr[data-row]")
    expect(runs).to_have_count(1)
    expect(runs.first).to_contain_text("Valenzuela AM")
    runs.first.click()
    expect(desk.get_by_test_id("run")).to_contain_text("2412-STORY-001")
    desk.fill("input[name=rider]", "nobody")
    desk.locator("input[name=rider] >> nth=0").press("Enter")
    expect(desk.locator("[data-testid=run-table] [data-testid=empty]")).to_be_visible()


CSV = b"""Waybill No.,COD Amount,COD Fee,Net Remittance
JT-NOT-OURS,450.00,16.80,433.20
"""


def test_courier_remittance_batches(desk: Any, site: pwa.Site, story: Story) -> None:
    open_screen(desk, site, "/remittances")
    expect(desk.get_by_test_id("batch-table")).to_contain_text("Wala pang remittance file")
    expect(desk.get_by_test_id("range")).to_have_text("0")
    # A courier's file with a waybill that is not ours: one batch, one finding.
    headers = {"Authorization": f"Bearer {pwa.admin_token(site)}"}
    terms = {
        "name": "J&T Express",
        "fee": {"percent_bp": 150, "minimum": 1500, "vat_bp": 1200},
        "remittance_columns": {
            "waybill": "Waybill No.",
            "collected": "COD Amount",
            "remitted": "Net Remittance",
            "fee": "COD Fee",
        },
    }
    with httpx.Client(base_url=site.url, headers=headers, timeout=30) as api:
        assert api.put("/api/v1/couriers/jnt", json=terms).status_code < 300
        sent = api.post("/api/v1/couriers/jnt/remittances?filename=jnt-1201.csv", content=CSV)
        assert sent.status_code == 202, sent.text
        # The import runs after the answer (202); the console lists it once it is done.
        batch = f"/api/v1/remittances/{sent.json()['id']}"
        deadline = time.monotonic() + pwa.WAIT_MS / 1000
        while api.get(batch).json()["status"] == "importing" and time.monotonic() < deadline:
            time.sleep(0.05)
    open_screen(desk, site, "/remittances")
    rows = desk.locator("[data-testid=batch-table] tbody tr[data-row]")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("jnt-1201.csv")
    expect(rows.first.locator("td >> nth=8")).to_have_text("1")  # the unknown waybill
    rows.first.click()
    expect(desk.get_by_test_id("batch")).to_contain_text("JT-NOT-OURS")
