"""Settings in the console, in Chromium: cash rules and a rider's own ceiling (pesos typed, stored
as centavos), ship-by rules, a safety buffer, channel credentials (sent once, never shown back),
and the alert thresholds."""

from __future__ import annotations

import json
from typing import Any

import httpx
from playwright.sync_api import expect

from server.bench import pwa
from tests.console.conftest import open_screen
from tests.console.story import RIDER, Story


def get(site: pwa.Site, path: str) -> Any:
    token = pwa.admin_token(site)
    return httpx.get(f"{site.url}{path}", headers={"Authorization": f"Bearer {token}"}, timeout=10).json()


def test_cash_rules_and_rider_ceiling(desk: Any, site: pwa.Site, story: Story) -> None:
    open_screen(desk, site, "/settings")
    policy = desk.get_by_test_id("policy")
    policy.locator("input[name=cash_ceiling]").fill("15,000.50")
    policy.locator("input[name=max_attempts]").fill("2")
    policy.locator("button[type=submit]").click()
    expect(policy.locator(".ok")).to_contain_text("₱15,000.50")
    saved = get(site, "/api/v1/cod/policy")
    assert saved["cash_ceiling"] == 1_500_050 and saved["max_attempts"] == 2
    policy.locator("input[name=cash_ceiling]").fill("lots")
    policy.locator("button[type=submit]").click()
    expect(policy.locator(".field-bad input[name=cash_ceiling]")).to_be_visible()

    ceiling = desk.get_by_test_id("rider-ceiling")
    ceiling.locator("input[name=rider]").fill(RIDER[0])
    ceiling.locator("input[name=cash_ceiling]").fill("5000")
    ceiling.locator("button[type=submit]").click()
    expect(ceiling.locator(".ok")).to_contain_text("₱5,000.00")
    assert get(site, f"/api/v1/cod/riders/{RIDER[0]}/ceiling")["cash_ceiling"] == 500_000


def test_ship_by_rules(desk: Any, site: pwa.Site, story: Story) -> None:
    open_screen(desk, site, "/settings")
    card = desk.get_by_test_id("ship-by")
    card.locator("input[name=shopee_days]").fill("1")
    card.locator("input[name=shopee_cutoff]").fill("12:00")
    card.locator("input[name=day5]").check()  # Saturday too
    card.locator("button[type=submit]").click()
    expect(card.locator(".ok")).to_be_visible()
    rules = get(site, "/api/v1/fulfilment/ship-by-rules")
    assert rules["channels"]["shopee"] == {"days": 1, "cutoff": "12:00"}
    assert rules["working_weekdays"] == [0, 1, 2, 3, 4, 5]


def test_buffer_and_channel_credentials(desk: Any, site: pwa.Site, story: Story) -> None:
    open_screen(desk, site, "/settings")
    buffers = desk.get_by_test_id("buffers")
    buffers.locator("select[name=warehouse]").select_option(pwa.WAREHOUSE)
    buffers.locator("input[name=sku]").fill("SKU-MUG-WHT")
    buffers.locator("input[name=safety_buffer]").fill("1")
    buffers.locator("button[type=submit]").click()
    expect(buffers.locator(".ok")).to_contain_text("buffer 1")

    creds = desk.get_by_test_id("credentials")
    creds.locator("select[name=shop]").select_option("console-shop")
    creds.locator("select[name=platform]").select_option("shopee")
    creds.locator("input[name=base_url]").fill("https://partner.example.ph")
    creds.locator("input[name=app_key]").fill("2001234")
    creds.locator("input[name=app_secret]").fill("very-secret-value")
    creds.locator("input[name=access_token]").fill("token-abc-123")
    with desk.expect_response("**/api/v1/shops/console-shop/connection") as answer:
        creds.locator("button[type=submit]").click()
    expect(creds.locator(".ok")).to_contain_text("console-shop")
    body = answer.value.text()
    assert "very-secret-value" not in body and "token-abc-123" not in body  # never sent back
    assert json.loads(body)["platform"] == "shopee"


def test_alert_thresholds(desk: Any, site: pwa.Site, story: Story) -> None:
    """GET/PUT /api/v1/alerts/settings, the whole document: the form shows every threshold the
    server has, saves the changed ones, and an unknown person in `notify` is refused by name."""
    before = get(site, "/api/v1/alerts/settings")
    open_screen(desk, site, "/settings")
    card = desk.get_by_test_id("alerts")
    expect(card.locator("input[name=quiet_hours]")).to_have_value(before["quiet_hours"])
    card.locator("input[name=notify]").fill("sup.lorna, nobody.here")
    card.locator("button[type=submit]").click()
    expect(card).to_contain_text("no active user is called nobody.here")
    assert get(site, "/api/v1/alerts/settings") == before  # nothing stored

    card.locator("input[name=low_stock_days_of_cover]").fill("5")
    card.locator("input[name=quiet_hours]").fill("22:00-06:00")
    card.locator("input[name=notify]").fill("sup.lorna, bodega.admin")
    with desk.expect_response("**/api/v1/alerts/settings") as answer:
        card.locator("button[type=submit]").click()
    expect(card.locator(".ok")).to_be_visible()
    assert answer.value.request.method == "PUT" and answer.value.status == 200
    saved = get(site, "/api/v1/alerts/settings")
    assert saved == {
        **before,
        "low_stock_days_of_cover": 5,
        "quiet_hours": "22:00-06:00",
        "notify": ["sup.lorna", "bodega.admin"],
    }
