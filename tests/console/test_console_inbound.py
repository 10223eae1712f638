"""Inbound in the console, in Chromium: a container of mugs made through the API (supplier, PO,
shipment), then at the desk a customs hold (refused without its reason, then with it: the date moves
a week), its release, freight in dollars spread into the landed cost per unit, and an extra unit
received decided as accepted. Every change is read back through the API, which holds the facts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from playwright.sync_api import expect

from server.bench import pwa
from tests.console.conftest import DESKTOP, console_login, open_screen, shot
from tests.console.story import SUPERVISOR, Story, ok

ASN = "ASN-INB-1"
SKU = "SKU-MUG-WHT"
BASE = "/api/v1/inbound"


def api(site: pwa.Site) -> httpx.Client:
    return httpx.Client(
        base_url=site.url, headers={"Authorization": f"Bearer {pwa.admin_token(site)}"}, timeout=30
    )


def make_shipment(site: pwa.Site) -> dict[str, Any]:
    """Five mugs at 100.00 pesos from a supplier in Guangzhou, shipped, due in ten days."""
    manila_today = (datetime.now(UTC) + timedelta(hours=8)).date()
    with api(site) as c:
        ok(c.post(f"{BASE}/suppliers", json={"code": "GZ-MUGS", "name": "Guangzhou Mugs", "country": "CN"}))
        ok(
            c.post(
                f"{BASE}/purchase-orders",
                json={
                    "number": "PO-INB-1",
                    "supplier": "GZ-MUGS",
                    "warehouse": pwa.WAREHOUSE,
                    "lines": [{"sku": SKU, "qty": 5, "unit_cost": 10_000}],
                },
            )
        )
        ok(
            c.post(
                f"{BASE}/shipments",
                json={
                    "code": ASN,
                    "warehouse": pwa.WAREHOUSE,
                    "expected_on": (manila_today + timedelta(days=10)).isoformat(),
                    "container_no": "MSKU7654321",
                    "lines": [{"po": "PO-INB-1", "line_no": 1, "qty": 5}],
                },
            )
        )
        return ok(
            c.post(
                f"{BASE}/shipments/{ASN}/milestones",
                json={"milestone": "shipped", "actual_on": manila_today.isoformat()},
            )
        )


def accept(dialog: Any) -> None:
    """Yes to the browser's "are you sure" (finishing the receiving cannot be undone)."""
    dialog.accept()


def record(page: Any, milestone: str, note: str = "") -> None:
    form = page.get_by_test_id("milestone-form")
    form.locator("select[name=milestone]").select_option(milestone)
    form.locator("input[name=note]").fill(note)
    form.locator("button[type=submit]").click()


def test_hold_release_cost_and_a_variance_decided(desk: Any, site: pwa.Site, story: Story) -> None:
    planned = make_shipment(site)
    assert planned["status"] == "in_transit"
    week_later = (datetime.fromisoformat(planned["expected_on"]) + timedelta(days=7)).date().isoformat()

    open_screen(desk, site, "/inbound?status=in_transit")
    rows = desk.locator("[data-testid=shipment-table] tbody tr[data-row]")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text(ASN)
    shot(desk, "inbound-shipments")
    rows.first.click()
    expect(desk.get_by_test_id("shipment-head")).to_contain_text("in_transit")
    assert desk.url.endswith(f"/console/inbound/{ASN}")

    # A hold without its reason is refused, and the form says which field.
    record(desk, "held")
    expect(desk.locator("[data-testid=milestone-form] .field-bad input[name=note]")).to_be_visible()
    record(desk, "held", "kulang ang commercial invoice")
    expect(desk.get_by_test_id("hold-reason")).to_contain_text("kulang ang commercial invoice")
    expect(desk.get_by_test_id("expected-on")).to_have_text(week_later)
    record(desk, "released")
    expect(desk.get_by_test_id("hold-reason")).to_have_count(0)
    expect(desk.get_by_test_id("shipment-head")).to_contain_text("released")

    # Freight of 20.00 dollars at 50 pesos: 1,000 pesos over five mugs of 100 -> 300 each.
    costs = desk.get_by_test_id("cost-form")
    costs.locator("select[name=kind]").select_option("freight")
    costs.locator("input[name=amount]").fill("20.00")
    costs.locator("input[name=currency]").fill("usd")
    costs.locator("input[name=rate]").fill("50")
    costs.locator("input[name=ref]").fill("FRT-88")
    costs.locator("button[type=submit]").click()
    expect(desk.get_by_test_id("costs")).to_contain_text("₱1,000.00")
    expect(desk.locator("[data-testid=lines] [data-testid=landed-unit]")).to_have_text("₱300.00")

    with api(site) as c:
        ship = ok(c.get(f"{BASE}/shipments/{ASN}"))
        assert [(m["milestone"], m["note"]) for m in ship["milestones"] if m["actual_on"]] == [
            ("shipped", ""),
            ("held", "kulang ang commercial invoice"),
            ("released", ""),
        ]
        assert [(x["kind"], x["amount"], x["currency"], x["centavos"], x["ref"]) for x in ship["costs"]] == [
            ("freight", 2_000, "USD", 100_000, "FRT-88")
        ]
        assert ship["lines"][0]["landed_unit_centavos"] == 30_000
        # Six mugs come off the container, one more than shipped: an open "over" variance.
        received = ok(
            c.post(
                f"{BASE}/shipments/{ASN}/receipts",
                json={"key": "inb-console-1", "bin": "A-01-01", "lines": [{"sku": SKU, "qty": 6}]},
            )
        )
        assert [(v["kind"], v["qty"], v["status"]) for v in received["variances"]] == [("over", 1, "open")]
        variance_id = received["variances"][0]["id"]

    open_screen(desk, site, "/variances")
    row = desk.locator(f"[data-testid=variances] tr[data-variance='{variance_id}']")
    expect(row).to_contain_text(ASN)
    shot(desk, "inbound-variances")
    row.locator("input[name=note]").fill("x")
    row.locator("button[data-decision=accept]").click()
    expect(row.get_by_test_id("problem")).to_contain_text("note")  # too short: the server says so
    row.locator("input[name=note]").fill("sobra ng isa, itatago namin")
    row.locator("button[data-decision=accept]").click()
    expect(desk.get_by_test_id("no-variances")).to_be_visible()
    expect(desk.locator("[data-testid=variance-table] tbody tr[data-row]").first).to_contain_text("accept")

    with api(site) as c:
        decided = ok(c.get(f"{BASE}/variances", params={"status": "accept"}))["items"]
        assert [(v["id"], v["note"], v["decided_by"]) for v in decided] == [
            (variance_id, "sobra ng isa, itatago namin", "user:bodega.admin")
        ]
        ship = ok(c.get(f"{BASE}/shipments/{ASN}"))
        assert ship["lines"][0]["received"] == 6

    # The shipment's page shows what came in; the dated incoming table no longer lists it.
    open_screen(desk, site, f"/inbound/{ASN}")
    expect(desk.locator("[data-testid=lines] tbody tr")).to_contain_text("6")
    shot(desk, "inbound")
    with desk.expect_popup() as report:  # the report, fetched with the token, opens as a file
        desk.click("button[data-action=report-pdf]")
    assert report.value.url.startswith("blob:")
    open_screen(desk, site, f"/incoming?sku={SKU}")
    expect(desk.get_by_test_id("empty")).to_be_visible()


def test_incoming_suppliers_and_a_po_raised_at_the_desk(desk: Any, site: pwa.Site, story: Story) -> None:
    open_screen(desk, site, "/suppliers")
    desk.click("button[data-action=add-supplier]")
    form = desk.get_by_test_id("supplier-form")
    form.locator("input[name=code]").fill("SZ-CABLES")
    form.locator("input[name=name]").fill("Shenzhen Cables")
    form.locator("input[name=country]").fill("cn")
    form.locator("input[name=currency]").fill("CNY")
    form.locator("button[type=submit]").click()
    expect(form.locator(".ok")).to_be_visible()
    desk.click("button[data-action=add-po]")
    po = desk.get_by_test_id("po-form")
    po.locator("input[name=number]").fill("PO-SZ-1")
    po.locator("input[name=supplier]").fill("SZ-CABLES")
    po.locator("select[name=warehouse]").select_option(pwa.WAREHOUSE)
    po.locator("textarea[name=lines]").fill("SKU-CABLE-USBC 30\n")
    po.locator("button[type=submit]").click()
    expect(po.locator(".field-bad textarea[name=lines]")).to_be_visible()  # no cost: refused here
    po.locator("textarea[name=lines]").fill("SKU-CABLE-USBC 30 4.25\nSKU-MUG-WHT 12 18")
    po.locator("button[type=submit]").click()
    expect(po.locator(".ok")).to_contain_text("PO-SZ-1")
    expect(desk.locator("[data-testid=po-table] tbody tr[data-row]").first).to_contain_text("PO-SZ-1")
    with api(site) as c:
        made = ok(c.get(f"{BASE}/purchase-orders/PO-SZ-1"))
        assert made["currency"] == "CNY"
        assert [(ln["sku"], ln["qty"], ln["unit_cost"]) for ln in made["lines"]] == [
            ("SKU-CABLE-USBC", 30, 425),
            ("SKU-MUG-WHT", 12, 1800),
        ]
        ok(
            c.post(
                f"{BASE}/shipments",
                json={
                    "code": "ASN-SZ-1",
                    "warehouse": pwa.WAREHOUSE,
                    "expected_on": "2027-01-15",
                    "mode": "air",
                    "rate": "8.1",
                    "lines": [{"po": "PO-SZ-1", "line_no": 1, "qty": 30}],
                },
            )
        )
    open_screen(desk, site, "/incoming?sku=SKU-CABLE-USBC")
    rows = desk.locator("[data-testid=incoming-table] tbody tr[data-row]")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("2027-01-15")
    expect(rows.first).to_contain_text("30")
    expect(rows.first).to_contain_text("ASN-SZ-1")
    shot(desk, "inbound-incoming")

    # Nothing more is coming off this one: finishing turns the 30 cables into a shortfall to decide.
    rows.first.click()
    expect(desk.get_by_test_id("shipment-head")).to_contain_text("planned")
    desk.once("dialog", accept)
    desk.click("button[data-action=finish]")
    short = desk.locator("[data-testid=variances] tr[data-variance]")
    expect(short).to_contain_text("under")
    expect(short).to_contain_text("30")
    with api(site) as c:
        variances = ok(c.get(f"{BASE}/variances", params={"status": "open"}))["items"]
        assert [(v["shipment"], v["kind"], v["qty"]) for v in variances] == [("ASN-SZ-1", "under", 30)]


def test_a_supervisor_works_inbound_too(browser: Any, site: pwa.Site, story: Story) -> None:
    context = browser.new_context(viewport=DESKTOP)
    page = context.new_page()
    console_login(page, site, SUPERVISOR)
    page.click("nav.side a[data-nav=inbound]")
    expect(page.locator("[data-testid=shipment-table] tbody tr[data-row]").first).to_be_visible()
    page.click("nav.side a[data-nav=variances]")
    expect(page.get_by_test_id("variance-screen")).to_be_visible()
    expect(page.locator("main [role=alert]")).to_have_count(0)  # not refused, no failed call
    context.close()
