"""The console's frame in Chromium: /console is its own page (no service worker, not the phone
app's manifest), admins and supervisors log in and see the menu their role may use, and the other
roles are refused with where to go instead."""

from __future__ import annotations

from typing import Any

import httpx
from playwright.sync_api import expect

from server.bench import pwa
from tests.console.conftest import DESKTOP, console_login, open_screen
from tests.console.story import RIDER, SUPERVISOR, Story


def test_console_page_is_served_apart_from_the_phone_app(site: pwa.Site) -> None:
    page = httpx.get(f"{site.url}/console/orders/any-screen", timeout=10)
    assert page.status_code == 200 and "Bodega console" in page.text
    assert 'rel="manifest"' not in page.text  # not installable as the phone app
    assert page.headers["cache-control"] == "no-cache"
    sw = httpx.get(f"{site.url}/sw.js", timeout=10).text
    assert "console-" not in sw.split("__WB_MANIFEST")[0]  # no console chunk precached on phones
    assert httpx.get(f"{site.url}/console/missing.js", timeout=10).text.startswith("<!doctype html>")


def test_admin_logs_in_and_sees_every_area(desk: Any) -> None:
    expect(desk.get_by_test_id("who")).to_contain_text("bodega.admin")
    menu = desk.locator("nav.side a")
    expect(menu).to_have_count(18)
    expect(desk.locator("nav.side a[aria-current=page]")).to_have_text("Orders")
    desk.click("nav.side a[data-nav=stock]")
    expect(desk.get_by_test_id("stock")).to_be_visible()
    assert desk.url.endswith("/console/stock")
    desk.go_back()
    expect(desk.get_by_test_id("orders")).to_be_visible()


def test_supervisor_sees_only_what_a_supervisor_may_use(browser: Any, site: pwa.Site, story: Story) -> None:
    context = browser.new_context(viewport=DESKTOP)
    page = context.new_page()
    console_login(page, site, SUPERVISOR)
    expect(page.get_by_test_id("who")).to_contain_text("supervisor")
    names = page.locator("nav.side a").all_inner_texts()
    assert {"Exceptions", "KPIs", "Orders", "Inbound shipments", "Receiving variances"} <= set(names)
    assert not {"Users & devices", "Settings", "Audit log", "ERP feed", "Shops & listings"} & set(names)
    open_screen(page, site, "/people")  # typed in by hand: refused, not a blank page
    expect(page.locator("main [role=alert]")).to_contain_text("admin")
    context.close()


def test_rider_and_warehouse_staff_are_refused(browser: Any, site: pwa.Site, story: Story) -> None:
    for user in [RIDER, pwa.RECEIVER]:
        context = browser.new_context(viewport=DESKTOP)
        page = context.new_page()
        console_login(page, site, user)
        expect(page.get_by_test_id("refused")).to_contain_text("Para sa admin at supervisor")
        expect(page.locator("nav.side")).to_have_count(0)
        context.close()


def test_wrong_password_says_so(browser: Any, site: pwa.Site) -> None:
    context = browser.new_context(viewport=DESKTOP)
    page = context.new_page()
    console_login(page, site, (pwa.ADMIN[0], "not-the-password"))
    expect(page.get_by_test_id("problem")).to_be_visible()
    expect(page.locator("nav.side")).to_have_count(0)
    context.close()
