"""The whole path in a real browser: phone -> outbox -> sync -> ledger.

Receive and count with the server stopped (the reliable way to cut the network: Playwright's
offline mode does not cut a service worker's fetches), reload while still offline, bring the server
back: every op arrives exactly once, the ledger and the balances show it, the status bar's counts
go to zero. And a revoked phone: told so, its outbox kept, nothing else shown, synced after the
same user logs in again.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from playwright.sync_api import expect
from sqlalchemy import create_engine, update

from server.auth.models import Device
from server.bench import pwa
from server.db.base import utcnow
from tests.kit.pwa import chromium, running_site

TSHIRT, CABLE, _SOAP, MUG = pwa.SKUS
REF = "DR-2026-0042"


@pytest.fixture(scope="module")
def site() -> Iterator[pwa.Site]:
    with running_site() as site:
        if not site.has_sync_endpoints():
            pytest.fail("POST /sync/v1/sync answers 404: server/sync_api is not wired into server/routes.py")
        yield site


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with chromium() as launched:
        yield launched


@pytest.fixture
def page(site: pwa.Site, browser: Any) -> Iterator[Any]:
    context = pwa.new_phone(browser, site)
    tab = context.new_page()
    yield tab
    context.close()
    if site.process is None:
        site.start()


class Api:
    """The console's view of the ledger (an admin token, plain HTTP)."""

    def __init__(self, site: pwa.Site) -> None:
        self.base = site.url
        self.headers = {"Authorization": f"Bearer {pwa.admin_token(site)}"}

    def get(self, path: str, **params: Any) -> Any:
        response = httpx.get(self.base + path, headers=self.headers, params=params, timeout=10)
        response.raise_for_status()
        return response.json()

    def movements(self, sku: str) -> list[dict[str, Any]]:
        return [
            m
            for m in self.get("/api/v1/stock/movements", sku=sku, limit=200)["items"]
            if m["ref_type"] == "op"
        ]

    def on_hand(self, sku: str) -> int:
        rows = self.get("/api/v1/stock/", sku=sku, warehouse=pwa.WAREHOUSE)["items"]
        return int(rows[0]["on_hand"]) if rows else 0


TAP_SYNC_UNLESS_REVOKED = """() => {
  if (document.querySelector("[data-testid=revoked]")) return true;
  const button = document.querySelector("[data-testid=sync-now]");
  if (!button || button.disabled) return false;
  button.click();
  return true;
}"""


def wait_synced(page: Any) -> None:
    page.wait_for_selector("[data-testid=status-last]:has-text('Huling sync')")
    page.wait_for_function("document.querySelector('[data-testid=status]').dataset.pending === '0'")


def receive(page: Any, barcode: str, qty: int, bin_code: str) -> None:
    pwa.wedge(page, barcode)
    page.wait_for_selector("[data-testid=line]")
    page.fill("[data-testid=qty]", str(qty))
    page.click("[data-testid=line] h2")  # take the focus out of the quantity field
    pwa.wedge(page, bin_code)
    page.wait_for_selector("[data-testid=saved]")


def test_received_and_counted_offline_arrive_exactly_once(page: Any, site: pwa.Site) -> None:
    api = Api(site)
    before = {sku: api.on_hand(sku) for sku, *_ in pwa.SKUS}
    pwa.login(page, site)
    pwa.wait_controlled(page)
    wait_synced(page)  # the catalog and the bins arrived with the first pull

    site.stop()  # the network is gone from here
    page.reload()
    pwa.wait_ready(page)
    page.goto(site.url + "/receive")
    pwa.wait_ready(page)
    pwa.wedge(page, REF)  # the delivery receipt's number, scanned
    page.wait_for_selector(f"[data-testid=ref]:has-text('{REF}')")
    receive(page, TSHIRT[2], 3, "RCV-01")
    receive(page, MUG[2], 2, "RCV-01")
    expect(page.locator("[data-testid=received-line][data-state=waiting]")).to_have_count(2)

    page.goto(site.url + "/count")
    pwa.wait_ready(page)
    pwa.wedge(page, "A-01-01")  # count the bin the seed stocked: T-shirt 20, cable 12, mug 5
    page.wait_for_selector("[data-testid=count-line]")
    counts = {TSHIRT[0]: 18, CABLE[0]: 12, MUG[0]: 5}
    for sku, counted in counts.items():
        page.fill(f"[data-testid=count-line][data-sku='{sku}'] [data-testid=count-qty]", str(counted))
    page.click("[data-testid=count-review-open]")
    page.click("[data-testid=count-submit]")
    page.wait_for_selector("[data-testid=count-done]")
    assert pwa.pending(page) == 5

    page.reload()  # still offline: everything is still there
    pwa.wait_ready(page)
    assert pwa.pending(page) == 5
    page.click("[data-testid=sync-now]")
    page.wait_for_selector("[data-testid=status][data-online=no]")
    assert page.is_visible("[data-testid=status-oldest]")

    site.start()  # the network is back
    page.click("[data-testid=sync-now]")
    wait_synced(page)
    page.click("[data-testid=sync-now]")  # and once more: nothing is sent twice
    wait_synced(page)

    received = [m for m in api.movements(TSHIRT[0]) if m["kind"] == "receive"]
    assert [(m["bin"], m["qty"]) for m in received] == [("RCV-01", 3)]
    assert len({m["ref_id"] for m in api.movements(MUG[0])}) == len(api.movements(MUG[0]))
    assert [(m["bin"], m["qty"]) for m in api.movements(MUG[0]) if m["kind"] == "receive"] == [("RCV-01", 2)]
    adjusted = [m for m in api.movements(TSHIRT[0]) if m["kind"] == "count"]
    assert [(m["bin"], m["qty"]) for m in adjusted] == [("A-01-01", -2)]  # counted 18 where 20 were
    assert [m for m in api.movements(CABLE[0]) if m["kind"] == "count"] == []  # counted what was there
    assert api.on_hand(TSHIRT[0]) == before[TSHIRT[0]] + 3 - 2
    assert api.on_hand(MUG[0]) == before[MUG[0]] + 2

    page.goto(site.url + "/receive")
    pwa.wait_ready(page)
    page.click("[data-testid=no-ref]")
    expect(page.locator("[data-testid=received-line][data-state=synced]")).to_have_count(2)
    assert pwa.pending(page) == 0


def test_a_revoked_phone_keeps_its_outbox_and_shows_nothing_else(page: Any, site: pwa.Site) -> None:
    api = Api(site)
    before = api.on_hand(CABLE[0])
    pwa.login(page, site)
    wait_synced(page)
    device = page.evaluate(
        """new Promise((resolve) => { const o = indexedDB.open("bodega");
             o.onsuccess = () => { const q = o.result.transaction("meta").objectStore("meta").get("session");
               q.onsuccess = () => resolve(q.result.deviceId); }; })"""
    )
    site.stop()  # record while offline, so the op is still waiting when the revocation lands
    page.goto(site.url + "/receive")
    pwa.wait_ready(page)
    page.click("[data-testid=no-ref]")
    receive(page, CABLE[2], 4, "RCV-01")
    # Revoked while the server is down (as the admin's console would, in the database it shares), so
    # the phone cannot slip its waiting op in between the server coming back and the revocation.
    engine = create_engine(site.database_url.replace("sqlite+aiosqlite", "sqlite"))
    with engine.begin() as conn:
        conn.execute(
            update(Device)
            .where(Device.id == uuid.UUID(device))
            .values(revoked_at=utcnow(), revoked_by="user:admin")
        )
    engine.dispose()
    site.start()

    # The phone learns it on its next sync: the picker's tap as soon as "I-sync" can be tapped (not
    # while a sync runs), or the scheduler's if it gets there first and the button is gone.
    page.wait_for_function(TAP_SYNC_UNLESS_REVOKED)
    notice = page.wait_for_selector("[data-testid=revoked]")
    assert "Na-revoke" in notice.inner_text()
    assert "1" in page.inner_text("[data-testid=revoked-kept]")
    assert page.query_selector("[data-testid=home]") is None
    assert page.query_selector("[data-testid=status]") is None
    replica_rows = page.evaluate(
        """new Promise((resolve) => { const o = indexedDB.open("bodega");
             o.onsuccess = () => { const q = o.result.transaction("replica").objectStore("replica").count();
               q.onsuccess = () => resolve(q.result); }; })"""
    )
    assert replica_rows == 0  # what the phone was allowed to read is gone
    page.reload()
    page.wait_for_selector("[data-testid=revoked]")  # and stays revoked after a reload
    assert api.on_hand(CABLE[0]) == before

    page.click("[data-testid=revoked] button")
    page.fill("input[name=username]", pwa.RECEIVER[0])
    page.fill("input[name=password]", pwa.RECEIVER[1])
    page.click("button[type=submit]")
    page.wait_for_selector("[data-testid=home]")
    wait_synced(page)
    assert api.on_hand(CABLE[0]) == before + 4
    assert [m["qty"] for m in api.movements(CABLE[0]) if m["kind"] == "receive"] == [4]


def test_a_count_task_from_the_supervisor_is_counted_on_the_phone_and_leaves_it(
    page: Any, site: pwa.Site
) -> None:
    api = Api(site)
    made = httpx.post(
        f"{site.url}/api/v1/count-tasks/",
        json={"warehouse": pwa.WAREHOUSE, "bin": "A-02-01", "title": "Bilangin ang A-02-01"},
        headers=api.headers,
        timeout=10,
    )
    assert made.status_code == 201, made.text
    pwa.login(page, site)
    wait_synced(page)
    page.goto(site.url + "/count")
    pwa.wait_ready(page)
    tile = page.wait_for_selector("[data-testid=count-task]")
    assert "Bilangin ang A-02-01" in tile.inner_text()
    tile.click()
    page.wait_for_selector("[data-testid=count-bin]:has-text('A-02-01')")
    pwa.wedge(page, _SOAP[2])  # one bar of soap found on the shelf the ledger says is empty
    page.wait_for_selector("[data-testid=count-line][data-sku='SKU-SOAP-135']")
    page.click("[data-testid=count-review-open]")
    page.click("[data-testid=count-submit]")
    page.wait_for_selector("[data-testid=count-done]")
    page.click("[data-testid=sync-now]")
    wait_synced(page)

    # The count closed the task on the server, and the task left the phone with the next pull.
    task = api.get("/api/v1/count-tasks/", warehouse=pwa.WAREHOUSE, status="done")["items"]
    assert [(t["id"], t["done_by"]) for t in task] == [(made.json()["id"], "counted")]
    page.click("[data-testid=sync-now]")
    wait_synced(page)
    page.goto(site.url + "/count")
    pwa.wait_ready(page)
    expect(page.locator("[data-testid=count-task]")).to_have_count(0)
    counted = [m for m in api.movements(_SOAP[0]) if m["kind"] == "count"]
    assert [(m["bin"], m["qty"]) for m in counted] == [("A-02-01", 1)]
