"""The warehouse's outbound day on a phone in Chromium: pick (offline), pack, hand over.

An order is ingested and allocated on the server; its pick task reaches the phone by sync. The
picker loses the network (Playwright's offline mode: the sync client fetches from the page, not
the service worker), scans a wrong bin and a wrong item (both refused on the phone, with the
bad-scan feedback), picks the order, and the picks reach the ledger once the network is back.
Packing refuses to close with an extra item in the box; handover catches a parcel scanned twice;
the order ends shipped with its stock gone from staging. And an order cancelled mid-pick: the
phone says so at its next sync and shows what goes back to which bin.

Screenshots at 390x844 go to $BODEGA_SHOTS when it is set (for a person to look at).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import expect

from server.bench import pwa
from tests.kit.pwa import chromium, running_site
from tests.kit.world import order_payload
from tests.pwa.test_pwa_screens import SMALL_CONTROLS

TSHIRT, CABLE, _SOAP, MUG = pwa.SKUS
VIEWPORT = {"width": 390, "height": 844}


@pytest.fixture(scope="module")
def site() -> Iterator[pwa.Site]:
    with running_site() as site:
        api = Api(site)
        api.post("/api/v1/shops/", {"channel": "shopee", "code": "shopee-main", "name": "Shopee main"})
        yield site


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with chromium() as launched:
        yield launched


# Every tone the app plays (WebAudio), by oscillator type: a good scan beeps "sine", a refused one
# buzzes "square" (src/scan/feedback.js).
LISTEN = """window.__tones = [];
const start = OscillatorNode.prototype.start;
OscillatorNode.prototype.start = function (...args) {
  window.__tones.push(this.type);
  return start.apply(this, args);
};"""


@pytest.fixture
def context(site: pwa.Site, browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport=VIEWPORT, device_scale_factor=2, is_mobile=True, has_touch=True)
    context.set_default_timeout(pwa.WAIT_MS)
    context.add_init_script(LISTEN)
    yield context
    context.close()


class Api:
    """The console's side (an admin token, plain HTTP): orders in, and what the ledger says."""

    def __init__(self, site: pwa.Site) -> None:
        self.base = site.url
        self.headers = {"Authorization": f"Bearer {pwa.admin_token(site)}"}

    def post(self, path: str, body: Any) -> Any:
        response = httpx.post(self.base + path, json=body, headers=self.headers, timeout=10)
        assert response.status_code in (200, 201), response.text
        return response.json()

    def get(self, path: str, **params: Any) -> Any:
        response = httpx.get(self.base + path, headers=self.headers, params=params, timeout=10)
        response.raise_for_status()
        return response.json()

    def order(self, external_id: str, lines: list[tuple[str, int]]) -> str:
        made = self.post("/api/v1/orders/", order_payload(external_id, lines))
        assert made["status"] == "allocated" and made["warehouse"] == pwa.WAREHOUSE, made
        return str(made["id"])

    def status(self, order_id: str) -> str:
        return str(self.get(f"/api/v1/orders/{order_id}")["status"])

    def movements(self, sku: str, kind: str) -> list[tuple[str, int]]:
        rows = self.get("/api/v1/stock/movements", sku=sku, limit=200)["items"]
        return sorted((m["bin"] or "", m["qty"]) for m in rows if m["kind"] == kind and m["ref_type"] == "op")


def shot(page: Any, name: str) -> None:
    """Every screen of the walk fits the phone, with thumb-sized controls; and a picture of it."""
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= VIEWPORT["width"], f"{name}: {width} px wide"
    assert page.evaluate(SMALL_CONTROLS) == [], name
    folder = os.environ.get("BODEGA_SHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / f"{name}.png"))


def wait_synced(page: Any) -> None:
    page.wait_for_selector("[data-testid=status-last]:has-text('Huling sync')")
    page.wait_for_function("document.querySelector('[data-testid=status]').dataset.pending === '0'")


def sync_until(page: Any, selector: str) -> None:
    """Tap "I-sync" until `selector` shows: changes made outside sync (an order ingested, cancelled)
    reach the change log within a few seconds (the server's projector), then the next pull."""
    while not page.is_visible(selector):
        page.evaluate(pwa.SETTLED)
        page.click("[data-testid=sync-now]")
        page.evaluate(pwa.SETTLED)
        if not page.is_visible(selector):
            page.wait_for_timeout(500)


def scan_refused(page: Any, code: str, why: str) -> None:
    """Scan `code` and see it refused: the reason on screen, the red flash, and the buzz heard."""
    tones = int(page.evaluate("window.__tones.length"))
    pwa.wedge(page, code)
    page.wait_for_selector(f"[data-testid=prompt] [data-why={why}]")
    assert page.get_attribute("[data-testid=feedback]", "data-kind") == "bad"
    assert "square" in page.evaluate(f"window.__tones.slice({tones})")


def open_tile(page: Any, site: pwa.Site, name: str) -> None:
    page.goto(site.url + "/")
    pwa.wait_ready(page)
    page.click(f"[data-testid=tile-{name}]")


def test_pick_offline_then_pack_and_hand_over(site: pwa.Site, context: Any) -> None:
    api = Api(site)
    order = api.order("SHP-0001", [(TSHIRT[0], 2), (MUG[0], 1)])
    page = context.new_page()
    pwa.login(page, site)
    pwa.wait_controlled(page)
    wait_synced(page)
    page.click("[data-testid=tile-pick]")
    sync_until(page, f"[data-testid=pick-task][data-order='{order}']")
    # The channel's order number (the task's `ext`), not the end of our id: what the slip says.
    assert "SHP-0001" in page.inner_text(f"[data-testid=pick-task][data-order='{order}']")
    shot(page, "1-pick-list")

    context.set_offline(True)  # the Wi-Fi is gone from here until the picks are done
    page.click(f"[data-testid=pick-task][data-order='{order}']")
    page.wait_for_selector("[data-testid=pick-line]")
    first = page.get_attribute("[data-testid=pick-line]", "data-sku")
    assert page.get_attribute("[data-testid=pick-line]", "data-bin") == "A-01-01"  # where the seed put them
    assert page.inner_text("[data-testid=pick-order]") == "SHP-0001"
    shot(page, "2-pick-line")

    scan_refused(page, "A-02-01", "wrong_bin")  # the wrong shelf
    shot(page, "3-wrong-bin")
    pwa.wedge(page, "A-01-01")
    page.wait_for_selector("[data-testid=scan-pick-item]")
    scan_refused(page, CABLE[2], "wrong_item")  # the wrong item: refused, nothing recorded
    assert "Maling item" in page.inner_text("[data-testid=prompt]")
    shot(page, "4-wrong-item")
    assert pwa.pending(page) == 0

    for _ in range(2):
        sku = page.get_attribute("[data-testid=pick-line]", "data-sku")
        item = TSHIRT if sku == TSHIRT[0] else MUG
        if page.is_visible("[data-testid=scan-pick-bin]"):
            pwa.wedge(page, "A-01-01")
        page.wait_for_selector("[data-testid=scan-pick-item]")
        pwa.wedge(page, item[2])
        page.wait_for_selector("[data-testid=pick-qty]")
        if item is TSHIRT:
            pwa.wedge(page, item[2])  # the second unit scanned: 2
            expect(page.locator("[data-testid=pick-qty]")).to_have_value("2")
            shot(page, "5-pick-qty")
        page.click("[data-testid=pick-confirm]")
        page.wait_for_selector(f"[data-testid=pick-line]:not([data-sku='{sku}']), [data-testid=pick-done]")
        if sku == first:  # still offline, the phone reloads (a crash, a dead battery): nothing is lost
            page.reload()
            pwa.wait_ready(page)
            page.wait_for_selector(f"[data-testid=pick-line]:not([data-sku='{sku}'])")
            assert pwa.pending(page) == 1
    assert first in (TSHIRT[0], MUG[0])
    page.wait_for_selector("[data-testid=pick-done]")
    shot(page, "6-pick-done")
    assert pwa.pending(page) == 2
    assert api.movements(TSHIRT[0], "pick") == []  # nothing reached the server while offline

    context.set_offline(False)
    page.click("[data-testid=sync-now]")
    wait_synced(page)
    assert api.movements(TSHIRT[0], "pick") == [("", 2), ("A-01-01", -2)]  # shelf to staging
    assert api.movements(MUG[0], "pick") == [("", 1), ("A-01-01", -1)]
    assert api.status(order) == "picking"

    # Packing: an extra mug in the box blocks closing until it is taken out.
    page.click("[data-testid=go-pack]")
    page.wait_for_selector("[data-testid=pack-lines]")
    assert page.inner_text("[data-testid=pack-order]") == "SHP-0001"
    for code in (TSHIRT[2], MUG[2], MUG[2]):
        pwa.wedge(page, code)
    page.wait_for_selector("[data-testid=pack-extra]")
    assert page.get_attribute("[data-testid=feedback]", "data-kind") == "bad"
    expect(page.locator("[data-testid=pack-submit]")).to_be_disabled()
    shot(page, "7-pack-extra")
    page.click("[data-testid=take-out]")
    pwa.wedge(page, TSHIRT[2])
    page.wait_for_selector("[data-testid=pack-close]")
    page.fill("[data-testid=pack-weight]", "0.45")
    page.select_option("[data-testid=pack-courier]", "jnt")  # who takes it: J&T's pickup
    shot(page, "8-pack-complete")
    page.click("[data-testid=pack-submit]")
    page.wait_for_selector("[data-testid=packed]")
    page.click("[data-testid=sync-now]")
    wait_synced(page)
    assert api.status(order) == "packed"
    page.click("[data-testid=open-label]")  # the label PDF, or a plain sentence saying why not
    page.wait_for_selector("[data-testid=paper-msg]")
    shot(page, "9-packed")

    # Handover: one parcel expected; scanned twice is caught; handed over, the order ships.
    open_tile(page, site, "handover")
    page.click("[data-testid=to-jnt]")
    expect(page.locator("[data-testid=handover-count]")).to_have_attribute("data-expected", "1")
    pwa.wedge(page, order)  # the parcel's code (its waybill, or the order id until it has one)
    expect(page.locator("[data-testid=handover-count]")).to_have_attribute("data-scanned", "1")
    scan_refused(page, order, "twice")
    expect(page.locator("[data-testid=handover-count]")).to_have_attribute("data-scanned", "1")
    shot(page, "10-handover")
    page.click("[data-testid=handover-submit]")
    page.wait_for_selector("[data-testid=handover-done]")
    page.click("[data-testid=sync-now]")
    wait_synced(page)
    page.click("[data-testid=open-manifest]")  # the manifest to sign, or a sentence saying why not
    page.wait_for_selector("[data-testid=paper-msg]")
    assert api.status(order) == "shipped"
    assert api.movements(TSHIRT[0], "ship") == [("", -2)]  # out of staging
    assert api.movements(MUG[0], "ship") == [("", -1)]


def test_an_order_cancelled_mid_pick_is_told_with_its_put_back(site: pwa.Site, context: Any) -> None:
    api = Api(site)
    order = api.order("SHP-0002", [(TSHIRT[0], 1), (MUG[0], 1)])
    page = context.new_page()
    pwa.login(page, site)
    wait_synced(page)
    page.click("[data-testid=tile-pick]")
    sync_until(page, f"[data-testid=pick-task][data-order='{order}']")
    page.click(f"[data-testid=pick-task][data-order='{order}']")
    page.wait_for_selector("[data-testid=pick-line]")
    sku = page.get_attribute("[data-testid=pick-line]", "data-sku")
    item = TSHIRT if sku == TSHIRT[0] else MUG
    pwa.wedge(page, "A-01-01")
    page.wait_for_selector("[data-testid=scan-pick-item]")
    pwa.wedge(page, item[2])
    page.click("[data-testid=pick-confirm]")
    page.wait_for_selector(f"[data-testid=pick-line]:not([data-sku='{sku}'])")
    # The second item's bin is empty: a short pick with its reason, never a silent skip.
    other = page.get_attribute("[data-testid=pick-line]", "data-sku")
    page.click("[data-testid=pick-short-open]")
    page.click("[data-testid=short-empty_bin]")
    page.wait_for_selector("[data-testid=pick-short]")
    page.click("[data-testid=sync-now]")
    wait_synced(page)
    shorts = api.get("/api/v1/exceptions/", kind="short_pick", order_id=order)["items"]
    assert [(e["sku"], e["details"].get("bin")) for e in shorts] == [(other, "A-01-01")]

    # The channel cancels the order while its first item is in the picker's hands: at the next
    # sync the phone says so, with the buzz of a refused scan.
    tones = int(page.evaluate("window.__tones.length"))
    cancel = {"status": "cancelled", "reason": "buyer cancelled"}
    cancelled = api.post(f"/api/v1/orders/{order}/status", cancel)
    assert cancelled["status"] == "cancelled"
    sync_until(page, "[data-testid=cancelled-order]")
    page.wait_for_function(f"window.__tones.slice({tones}).includes('square')")
    notice = page.inner_text("[data-testid=cancelled-order]")
    assert "Na-cancel" in notice and "huwag i-pack" in notice
    # What goes back: the picked item to the bin it came from (a server's put-back may list every
    # unit the order held, the short-picked one too: the phone shows what it is sent).
    page.wait_for_selector("[data-testid=put-back-line]")
    lines = page.locator("[data-testid=put-back-line]").all_inner_texts()
    assert any(item[1] in line and "A-01-01" in line for line in lines), lines
    shot(page, "11-cancelled")

    # Packing refuses it too; once put back, the notice is gone.
    page.goto(site.url + f"/pack/{order}")
    pwa.wait_ready(page)
    page.wait_for_selector("[data-testid=cancelled-order]")
    page.click("[data-testid=put-back-done]")
    expect(page.locator("[data-testid=cancelled-order]")).to_have_count(0)


def test_put_back_screen_returns_a_cancelled_orders_units_offline(site: pwa.Site, context: Any) -> None:
    """Units picked for an order the channel then cancelled wait in staging. On the put-back
    screen, offline, the packer scans the item (the order it belongs to is named, with how many it
    waits for), keeps the quantity and scans the shelf: saved on the phone; once online the server
    counts them against the order's put-back and closes it."""
    api = Api(site)
    order = api.order("SHP-0004", [(CABLE[0], 2)])
    pick = {"warehouse": pwa.WAREHOUSE, "bin": "A-01-01", "sku": CABLE[0], "qty": 2, "order": order}
    assert api.post("/api/v1/picks", pick)["outcome"] == "applied"
    api.post(f"/api/v1/orders/{order}/status", {"status": "cancelled", "reason": "buyer cancelled"})
    page = context.new_page()
    pwa.login(page, site)
    wait_synced(page)
    open_tile(page, site, "putback")
    sync_until(page, f"[data-testid=put-back-order][data-order='{order}']")
    assert "2 \u00d7 " in page.inner_text(f"[data-testid=put-back-order][data-order='{order}']")

    context.set_offline(True)
    pwa.wedge(page, CABLE[2])
    page.wait_for_selector("[data-testid=put-back-line-now]")
    expect(page.get_by_test_id("put-back-for")).to_contain_text("Para sa na-cancel na order")
    expect(page.get_by_test_id("qty")).to_have_value("2")  # what the order waits for
    shot(page, "12-put-back-line")
    pwa.wedge(page, "A-01-02")
    page.wait_for_selector("[data-testid=saved]")
    expect(page.locator("[data-testid=back-line][data-state=waiting]")).to_have_count(1)
    expect(page.locator(f"[data-testid=put-back-order][data-order='{order}']")).to_have_count(0)
    shot(page, "13-put-back-saved")

    context.set_offline(False)
    page.click("[data-testid=sync-now]")
    wait_synced(page)
    expect(page.locator("[data-testid=back-line][data-state=applied]")).to_have_count(1)
    done = {p["order"]: p for p in api.get("/api/v1/put-backs", status="done")}
    assert (done[order]["bin"], done[order]["left"], done[order]["done_by"]) == (
        "A-01-02",
        [],
        f"user:{pwa.RECEIVER[0]}",
    )
    moved = api.movements(CABLE[0], "put_away")
    assert ("", -2) in moved and ("A-01-02", 2) in moved


def test_pack_screen_shows_the_waves_courier_chosen(site: pwa.Site, context: Any) -> None:
    """A wave grouped by courier is one courier's pickup: the pack screen has it chosen, and the
    parcel goes with it without the packer choosing again."""
    api = Api(site)
    shop = httpx.patch(site.url + "/api/v1/shops/shopee-main", json={"courier": "flash"}, headers=api.headers)
    assert shop.status_code == 200, shop.text
    order = api.order("SHP-0005", [(MUG[0], 1)])
    waves = api.post("/api/v1/waves", {"warehouse": pwa.WAREHOUSE, "group_by": "courier"})["items"]
    (wave,) = [w for w in waves if w["group_key"] == "flash"]
    page = context.new_page()
    pwa.login(page, site)
    wait_synced(page)
    open_tile(page, site, "pick")  # the order and its wave reach the phone
    sync_until(page, f"[data-testid=pick-wave][data-wave='{wave['id']}']")
    page.goto(site.url + f"/pack/{order}")  # picked off the shelf without the phone, say
    pwa.wait_ready(page)
    page.wait_for_selector("[data-testid=pack-lines]")
    pwa.wedge(page, MUG[2])
    page.wait_for_selector("[data-testid=pack-close]")
    expect(page.locator("[data-testid=pack-courier]")).to_have_value("flash")
    page.fill("[data-testid=pack-weight]", "0.30")
    shot(page, "14-pack-wave-courier")
    page.click("[data-testid=pack-submit]")
    page.wait_for_selector("[data-testid=packed]")
    page.click("[data-testid=sync-now]")
    wait_synced(page)
    assert api.get(f"/api/v1/parcels/{order}")["courier"] == "flash"
