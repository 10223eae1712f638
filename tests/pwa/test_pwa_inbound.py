"""Receiving an import on the phone, in Chromium at 390x844: the shipment's expected lines come down
with the warehouse's data, the receiver scans the shipment's code OFFLINE and sees "3 / 10" per line,
a SKU not on the shipment shows at once, and when the Wi-Fi is back the receipts sync and the server
holds the variance for a supervisor. Screenshots go to $BODEGA_SHOTS (default: a temp folder)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from playwright.sync_api import expect

from server.bench import pwa
from tests.kit.pwa import chromium, running_site
from tests.pwa.test_pwa_warehouse_day import PHONE, go, shot, start_line, wait_synced

TSHIRT, CABLE, _SOAP, MUG = pwa.SKUS


@pytest.fixture(scope="module")
def site() -> Iterator[pwa.Site]:
    with running_site() as site:
        yield site


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with chromium() as launched:
        yield launched


def _admin(site: pwa.Site) -> httpx.Client:
    return httpx.Client(
        base_url=site.url, headers={"Authorization": f"Bearer {pwa.admin_token(site)}"}, timeout=10
    )


def test_receiving_a_shipment_offline_with_a_variance_then_syncing(site: pwa.Site, browser: Any) -> None:
    api = _admin(site)
    assert api.post(
        "/api/v1/inbound/suppliers", json={"code": "SZ-1", "name": "Shenzhen Tees", "currency": "CNY"}
    ).status_code in (201, 409)
    po: dict[str, Any] = {"number": "PO-PW-1", "supplier": "SZ-1", "warehouse": pwa.WAREHOUSE}
    po["lines"] = [
        {"sku": TSHIRT[0], "qty": 10, "unit_cost": 2500},
        {"sku": CABLE[0], "qty": 5, "unit_cost": 800},
    ]
    assert api.post("/api/v1/inbound/purchase-orders", json=po).status_code == 201, "PO"
    ship: dict[str, Any] = {
        "code": "ASN-PW-1",
        "warehouse": pwa.WAREHOUSE,
        "expected_on": "2026-12-10",
        "rate": "8.01",
    }
    ship["lines"] = [{"po": "PO-PW-1", "line_no": 1, "qty": 10}, {"po": "PO-PW-1", "line_no": 2, "qty": 5}]
    assert api.post("/api/v1/inbound/shipments", json=ship).status_code == 201

    context = browser.new_context(viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True)
    context.set_default_timeout(pwa.WAIT_MS)
    page = context.new_page()
    try:
        pwa.login(page, site)
        pwa.load_reference_data(page, site)
        go(page, site, "/receive")
        context.set_offline(True)  # the truck is in, the Wi-Fi is not
        pwa.wedge(page, "ASN-PW-1")
        page.wait_for_selector("[data-testid=expected]")

        def count(sku: str) -> Any:
            return page.locator(f"[data-testid=expected-line][data-sku='{sku}'] [data-testid=expected-count]")

        expect(count(TSHIRT[0])).to_have_text("0 / 10")
        expect(count(CABLE[0])).to_have_text("0 / 5")

        start_line(page, TSHIRT[2])
        page.fill("[data-testid=qty]", "3")
        page.click("[data-testid=line] h2")
        pwa.wedge(page, "RCV-01")
        page.wait_for_selector("[data-testid=saved]")
        expect(count(TSHIRT[0])).to_have_text("3 / 10")

        start_line(page, MUG[2])  # not on this shipment
        page.fill("[data-testid=qty]", "2")
        page.click("[data-testid=line] h2")
        page.click("[data-testid=same-bin]")
        page.wait_for_selector(f"[data-testid=expected-line][data-sku='{MUG[0]}'][data-state=unexpected]")
        expect(page.locator(f"[data-testid=expected-line][data-sku='{MUG[0]}']")).to_contain_text(
            "wala sa listahan"
        )
        shot(page, "inbound-receiving-offline")

        context.set_offline(False)
        wait_synced(page)
        expect(page.locator("[data-testid=received-line][data-state=flagged]")).to_have_count(1)
        # After the sync the server's counts stand in for the phone's: the mug is still shown.
        expect(page.get_by_test_id("shipment-status")).to_have_text("tinatanggap")
        expect(count(MUG[0])).to_have_text("2 / 0")
        expect(count(TSHIRT[0])).to_have_text("3 / 10")
        shot(page, "inbound-receiving-synced")
    finally:
        context.close()

    out = api.get("/api/v1/inbound/shipments/ASN-PW-1").json()
    assert {ln["sku"]: ln["received"] for ln in out["lines"]} == {TSHIRT[0]: 3, CABLE[0]: 0}
    assert [(v["sku"], v["kind"], v["qty"]) for v in out["variances"]] == [(MUG[0], "unexpected", 2)]
    assert out["status"] == "receiving"
