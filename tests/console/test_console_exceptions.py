"""The exceptions inbox's own buttons, in Chromium, on a real held order: an order for a SKU with no
stock is put on hold by ingest (exception `order_on_hold`); the supervisor's desk acknowledges it,
assigns it, is told a re-allocation cannot find stock, and cancels the order from it, through the
orders' writer, once."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
from playwright.sync_api import expect

from server.bench import pwa
from tests.console.conftest import open_screen, shot
from tests.console.story import SUPERVISOR, Story, held_order_body, ok


def test_held_order_acknowledged_assigned_and_cancelled(desk: Any, site: pwa.Site, story: Story) -> None:
    external = f"2412-HELD-{uuid.uuid4().hex[:6]}"
    body = held_order_body(external)  # soap: none in any bin
    with httpx.Client(base_url=site.url, timeout=30) as api:
        api.headers["Authorization"] = f"Bearer {pwa.admin_token(site)}"
        order = ok(api.post("/api/v1/orders", json=body))
        assert order["status"] == "on_hold"

        open_screen(desk, site, "/exceptions?status=open&kind=order_on_hold")
        row = desk.locator("[data-testid=exception-table] tbody tr[data-row]", has_text=external)
        expect(row).to_have_count(1)
        row.click()
        drawer = desk.get_by_test_id("exception")
        expect(drawer).to_contain_text(external)

        drawer.get_by_role("button", name="Acknowledge").click()
        expect(drawer.get_by_role("button", name="Acknowledge")).to_have_count(0)
        expect(drawer.get_by_test_id("acknowledged")).to_contain_text(f"user:{pwa.ADMIN[0]}")
        drawer.locator("input[name=to]").fill("nobody.here")  # the server refuses it by the field
        drawer.get_by_role("button", name="Assign").click()
        expect(drawer.locator(".field-bad input[name=to]")).to_be_visible()
        drawer.locator("input[name=to]").fill(SUPERVISOR[0])
        drawer.get_by_role("button", name="Assign").click()
        expect(drawer.locator(".ok")).to_contain_text(f"Kay {SUPERVISOR[0]} na.")
        expect(row).to_contain_text(SUPERVISOR[0])  # the inbox reloaded with its new owner
        (x,) = ok(api.get("/api/v1/exceptions", params={"order_id": order["id"]}))["items"]
        assert (x["acknowledged_by"], x["assigned_to"], x["status"]) == (
            f"user:{pwa.ADMIN[0]}",
            SUPERVISOR[0],
            "open",
        )

        # Still no soap anywhere: the re-allocation is refused and the exception stays open.
        drawer.get_by_role("button", name="reallocate").click()
        expect(drawer.get_by_test_id("problem")).to_contain_text("not enough free stock")
        shot(desk, "exception-held")
        drawer.get_by_role("button", name="cancel", exact=True).click()
        expect(drawer.get_by_test_id("resolved")).to_contain_text("order cancelled (was on_hold)")
        expect(row).to_have_count(0)  # gone from the open list

        after = ok(api.get(f"/api/v1/orders/{order['id']}"))
        assert after["status"] == "cancelled"
        history = ok(api.get(f"/api/v1/orders/{order['id']}/history"))["items"]
        cancelled = [h for h in history if h["to_status"] == "cancelled"]
        assert [(h["from_status"], h["actor"]) for h in cancelled] == [("on_hold", f"user:{pwa.ADMIN[0]}")]
        (x,) = ok(api.get("/api/v1/exceptions", params={"order_id": order["id"]}))["items"]
        assert (x["status"], x["resolved_by"], x["actions"]) == ("resolved", f"user:{pwa.ADMIN[0]}", [])
        # Pressed again (a second tab, a double click): already settled, the order cancelled once.
        again = ok(api.post(f"/api/v1/exceptions/{x['id']}/act", json={"action": "cancel"}))
        assert again["outcome"] == "already_resolved"
        history = ok(api.get(f"/api/v1/orders/{order['id']}/history"))["items"]
        assert [h["to_status"] for h in history].count("cancelled") == 1
