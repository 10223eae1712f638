"""Stock in the console, in Chromium: balances per SKU and warehouse, a SKU's ledger, and the
office's changes through the stock writers: an adjustment with its reason (posted once, however
the button is pressed), a transfer to a second warehouse, a safety buffer."""

from __future__ import annotations

from typing import Any

import httpx
from playwright.sync_api import expect

from server.bench import pwa
from tests.console.conftest import open_screen
from tests.console.story import Story

ROWS = "[data-testid=stock-table] tbody tr[data-row]"


def api(site: pwa.Site) -> httpx.Client:
    return httpx.Client(
        base_url=site.url, headers={"Authorization": f"Bearer {pwa.admin_token(site)}"}, timeout=30
    )


def balance(site: pwa.Site, sku: str, warehouse: str) -> dict[str, Any]:
    with api(site) as c:
        items = c.get("/api/v1/stock", params={"sku": sku, "warehouse": warehouse}).json()["items"]
    return items[0] if items else {"on_hand": 0, "available": 0, "safety_buffer": 0}


def test_balances_and_ledger_drill_down(desk: Any, site: pwa.Site, story: Story) -> None:
    open_screen(desk, site, "/stock")
    expect(desk.locator(ROWS)).to_have_count(3)  # the soap was never stocked
    desk.fill("input[name=q]", "shirt")
    desk.press("input[name=q]", "Enter")
    expect(desk.locator(ROWS)).to_have_count(1)
    row = desk.locator(ROWS).first
    expect(row).to_contain_text("SKU-TSHIRT-M")
    expect(row.locator("td >> nth=3")).to_have_text("58")  # 20 + 40 received, 2 shipped
    row.click()
    expect(desk.get_by_test_id("ledger")).to_be_visible()
    ledger = desk.locator("[data-testid=ledger-table] tbody tr[data-row]")
    expect(ledger).to_have_count(3)
    expect(ledger.first).to_contain_text("ship")
    expect(ledger.first).to_contain_text("-2")
    expect(ledger.last).to_contain_text("receive")
    ledger.first.get_by_role("link", name="order").click()
    expect(desk.get_by_test_id("timeline")).to_be_visible()


def test_adjustment_with_reason_is_posted_once(desk: Any, site: pwa.Site, story: Story) -> None:
    before = balance(site, "SKU-MUG-WHT", pwa.WAREHOUSE)["on_hand"]
    open_screen(desk, site, "/stock")
    desk.click("button[data-action=adjust]")
    form = desk.get_by_test_id("adjust")
    form.locator("select[name=warehouse]").select_option(pwa.WAREHOUSE)
    form.locator("input[name=sku]").fill("SKU-MUG-WHT")
    form.locator("input[name=qty]").fill("-2")
    form.locator("input[name=reason]").fill("2 basag sa shelf")
    submit = form.locator("button[type=submit]")
    submit.click()
    expect(form.locator(".ok")).to_contain_text("1 movement")
    assert balance(site, "SKU-MUG-WHT", pwa.WAREHOUSE)["on_hand"] == before - 2
    with api(site) as c:
        moves = c.get("/api/v1/stock/movements", params={"sku": "SKU-MUG-WHT", "kind": "adjust"}).json()[
            "items"
        ]
    assert [(m["qty"], m["reason"], m["actor"]) for m in moves] == [
        (-2, "2 basag sa shelf", "user:bodega.admin")
    ]
    # A reason too short is refused by the server, and the form says which field.
    form.locator("input[name=reason]").fill("x")
    submit.click()
    expect(form.locator(".field-bad input[name=reason]")).to_be_visible()
    assert balance(site, "SKU-MUG-WHT", pwa.WAREHOUSE)["on_hand"] == before - 2


def test_transfer_and_buffer(desk: Any, site: pwa.Site, story: Story) -> None:
    with api(site) as c:
        made = c.post(
            "/api/v1/warehouses", json={"code": "CEB", "name": "Mandaue", "region": "VII", "priority": 20}
        )
        assert made.status_code == 201, made.text
    open_screen(desk, site, "/stock")
    desk.click("button[data-action=transfer]")
    form = desk.get_by_test_id("transfer")
    form.locator("select[name=from_warehouse]").select_option(pwa.WAREHOUSE)
    form.locator("select[name=to_warehouse]").select_option("CEB")
    form.locator("input[name=sku]").fill("SKU-CABLE-USBC")
    form.locator("input[name=qty]").fill("4")
    form.locator("input[name=reference]").fill("TR-0001")
    form.locator("button[type=submit]").click()
    expect(form.locator(".ok")).to_have_text("Nailipat.")
    assert balance(site, "SKU-CABLE-USBC", "CEB")["on_hand"] == 4
    assert balance(site, "SKU-CABLE-USBC", pwa.WAREHOUSE)["on_hand"] == 8
    expect(desk.locator(ROWS)).to_have_count(4)  # the table reloaded with CEB's row

    desk.click("button[data-action=buffer]")
    form = desk.get_by_test_id("buffer")
    form.locator("select[name=warehouse]").select_option("CEB")
    form.locator("input[name=sku]").fill("SKU-CABLE-USBC")
    form.locator("input[name=safety_buffer]").fill("1")
    form.locator("button[type=submit]").click()
    expect(form.locator(".ok")).to_contain_text("available 3")
    assert balance(site, "SKU-CABLE-USBC", "CEB")["safety_buffer"] == 1
