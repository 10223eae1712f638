"""The inventory valuation in the console, in Chromium: mugs received from an inbound shipment are
valued at their landed cost per unit, shirts never received from one at their selling price, and
each line says which (the CSV too). Runs on the shared business; it adds a shipment of its own."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from playwright.sync_api import expect

from server.bench import pwa
from tests.console.conftest import open_screen, shot
from tests.console.story import Story, ok

ASN = "ASN-VAL-1"
MUG = "SKU-MUG-WHT"
SHIRT = "SKU-TSHIRT-M"
ROWS = "[data-testid=valuation-table] tbody tr[data-row]"


def _api(site: pwa.Site) -> httpx.Client:
    return httpx.Client(
        base_url=site.url, headers={"Authorization": f"Bearer {pwa.admin_token(site)}"}, timeout=30
    )


def _mugs_landed(site: pwa.Site) -> int:
    """Three mugs at 80.00 pesos from a local supplier, 30.00 pesos of freight, received: 90.00 each."""
    today = (datetime.now(UTC) + timedelta(hours=8)).date()
    base = "/api/v1/inbound"
    with _api(site) as c:
        ok(c.post(f"{base}/suppliers", json={"code": "MNL-MUGS", "name": "Manila Mugs", "country": "PH"}))
        po = {"number": "PO-VAL-1", "supplier": "MNL-MUGS", "warehouse": pwa.WAREHOUSE}
        ok(
            c.post(
                f"{base}/purchase-orders", json={**po, "lines": [{"sku": MUG, "qty": 3, "unit_cost": 8_000}]}
            )
        )
        lines = [{"po": "PO-VAL-1", "line_no": 1, "qty": 3}]
        shipment = {
            "code": ASN,
            "warehouse": pwa.WAREHOUSE,
            "expected_on": (today + timedelta(days=3)).isoformat(),
        }
        ok(c.post(f"{base}/shipments", json={**shipment, "mode": "truck", "lines": lines}))
        ok(c.post(f"{base}/shipments/{ASN}/costs", json={"kind": "freight", "amount": 3_000}))
        receipt = {"key": "DR-VAL-1", "bin": "A-01-01", "lines": [{"sku": MUG, "qty": 3}]}
        ok(c.post(f"{base}/shipments/{ASN}/receipts", json=receipt))
        return int(ok(c.get(f"{base}/shipments/{ASN}"))["lines"][0]["landed_unit_centavos"])


def test_valuation_says_its_basis_per_line(desk: Any, site: pwa.Site, story: Story) -> None:
    assert _mugs_landed(site) == 9_000
    open_screen(desk, site, f"/valuation?warehouse={pwa.WAREHOUSE}")
    rows = desk.locator(ROWS)
    mug = rows.filter(has_text=MUG)
    expect(mug.locator("[data-basis]")).to_have_attribute("data-basis", "landed_cost")
    expect(mug).to_contain_text("landed cost")
    expect(mug).to_contain_text("90.00")
    shirt = rows.filter(has_text=SHIRT)
    expect(shirt.locator("[data-basis]")).to_have_attribute("data-basis", "selling_price")
    expect(shirt).to_contain_text("selling price")
    shot(desk, "valuation")
    with _api(site) as c:
        text = c.get("/api/v1/reports/inventory-valuation.csv", params={"warehouse": pwa.WAREHOUSE}).text
    by_sku = {r["sku"]: r for r in csv.DictReader(io.StringIO(text))}
    assert (by_sku[MUG]["basis"], by_sku[MUG]["unit_value"]) == ("landed_cost", "90.00")
    assert by_sku[SHIRT]["basis"] == "selling_price"
