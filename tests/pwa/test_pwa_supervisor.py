"""The supervisor's phone in Chromium, end to end: notifications switched on from the inbox, an
order going on hold on the server is pushed (encrypted by the server, decrypted by a push service
on localhost, delivered to the service worker through CDP as the push service would), the
notification shows, a tap opens the exception with the server stopped, the supervisor acts
offline and asks for a count offline, and after reconnecting the action and the count task land
once.

The one stand-in is the browser's push service (Google's, for Chromium), the true boundary: the
page's PushManager hands back a subscription at the local push service, whose keys it holds.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import expect

from server.bench import pwa
from server.bench.push_receiver import PushReceiver
from tests.kit.pwa import chromium, running_site

SUPERVISOR = ("sup.ana", "supervisor-pass-2026")
PHONE = {"width": 390, "height": 844}
SHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"

# The browser's side of the boundary: PushManager answers with the local push service's subscription.
PUSH_MANAGER = """(sub) => {
  let made = null;
  const wrap = () => ({ endpoint: sub.endpoint, options: { applicationServerKey: null }, toJSON: () => sub,
                        unsubscribe: async () => ((made = null), true) });
  PushManager.prototype.subscribe = async function () { return (made = wrap()); };
  PushManager.prototype.getSubscription = async function () { return made; };
}"""
SMALL_CONTROLS = """() => [...document.querySelectorAll("main button, main select, main .card-link")]
  .filter((el) => el.offsetParent !== null && el.getBoundingClientRect().height < 44)
  .map((el) => el.textContent.trim().slice(0, 40))"""
NOTIFICATIONS = """async () => (await self.registration.getNotifications())
  .map((n) => ({ title: n.title, body: n.body, tag: n.tag, url: n.data && n.data.url }))"""
TAP = """async () => {
  const [n] = await self.registration.getNotifications();
  self.dispatchEvent(new NotificationEvent("notificationclick", { notification: n }));
  return n.data.url;
}"""


@pytest.fixture(scope="module")
def site() -> Iterator[pwa.Site]:
    with running_site() as site:
        yield site


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with chromium() as launched:
        yield launched


@pytest.fixture
def receiver() -> Iterator[PushReceiver]:
    service = PushReceiver()
    yield service
    service.close()


def _shot(page: Any, name: str) -> None:
    """Keep a picture to look at, and check what a thumb needs: nothing wider than the phone,
    every button and select at least 44 px tall."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"supervisor-{name}.png"), full_page=True)
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"], name
    small = page.evaluate(SMALL_CONTROLS)
    assert small == [], f"{name}: {small}"


def test_pushed_tapped_offline_and_settled_once(site: pwa.Site, browser: Any, receiver: PushReceiver) -> None:
    admin = {"Authorization": f"Bearer {pwa.admin_token(site)}"}
    http = httpx.Client(base_url=site.url, headers=admin, timeout=20)
    http.post(
        "/api/v1/users", json={"username": SUPERVISOR[0], "password": SUPERVISOR[1], "role": "supervisor"}
    ).raise_for_status()
    http.post(
        "/api/v1/shops", json={"channel": "shopee", "code": "shopee-sup", "name": "Shop"}
    ).raise_for_status()
    receiver.vapid_key = http.get("/api/v1/push/key").json()["public_key"]

    context = pwa.new_phone(browser, site)
    context.grant_permissions(["notifications"], origin=site.url)
    context.add_init_script(f"({PUSH_MANAGER})({json.dumps(receiver.subscription('phone'))})")
    try:
        page = context.new_page()
        page.set_viewport_size(PHONE)
        pwa.login(page, site, SUPERVISOR)
        pwa.wait_controlled(page)
        page.click("[data-testid=tile-exceptions]")
        page.click("[data-testid=enable-push]")  # a clear action of the supervisor's, never on load
        page.wait_for_selector("[data-testid=push-on]")

        # An order goes on hold on the server (no soap in stock): the alert round pushes it.
        order = {
            "shop": "shopee-sup",
            "external_id": "SHP-HOLD-1",
            "payment_method": "cod",
            "placed_at": "2026-12-04T08:00:00+08:00",
            "address": {
                "name": "Maria Santos",
                "phone": "0917 123 4567",
                "street": "Blk 5 Lot 12 Sampaguita St.",
                "barangay": "Malinta",
                "city": "Valenzuela",
                "province": "Metro Manila",
                "region": "NCR",
                "zip_code": "1440",
            },
            "lines": [{"sku": "SKU-SOAP-135", "qty": 2, "unit_price": "45.00"}],
        }
        held = http.post("/api/v1/orders", json=order)
        assert held.status_code == 201 and held.json()["status"] == "on_hold", held.text
        pushed = receiver.wait_for(1, timeout_s=pwa.WAIT_MS / 1000)
        assert receiver.rejected == [] and len(pushed) == 1, receiver.rejected
        message = pushed[0].payload
        exception_id = message["exception"]
        assert message["url"] == f"/exceptions/{exception_id}" and "SHP-HOLD-1" in message["body"]

        # The phone syncs it into its inbox; the home tile counts it.
        page.click("[data-testid=sync-now]")
        page.wait_for_selector(f"[data-testid=exception][data-id='{exception_id}']")
        _shot(page, "inbox")
        page.goto(site.url + "/")
        pwa.wait_ready(page)
        expect(page.locator("[data-testid=inbox-count]")).to_have_attribute("data-total", "1")
        _shot(page, "home")

        # The network is gone. The push service delivers what it received (CDP, as the browser would).
        site.stop()
        _push_to_worker(context, page, site, message)
        worker = context.service_workers[0]
        shown = _notifications_when(worker, page, bool)
        assert shown == [
            {"title": message["title"], "body": message["body"], "tag": message["tag"], "url": message["url"]}
        ]

        # A tap opens the exception (offline: the shell is precached, the exception is in the replica).
        assert worker.evaluate(TAP) == f"/exceptions/{exception_id}"
        page.wait_for_selector(f"[data-testid=exception-detail][data-id='{exception_id}']")
        assert page.url.endswith(f"/exceptions/{exception_id}")
        page.wait_for_selector("[data-testid=evidence-offline]")
        _shot(page, "detail-offline")
        page.fill("[data-testid=act-note]", "buyer cancelled by chat; no soap until next week")
        page.click("[data-testid=act-cancel]")
        page.wait_for_selector("[data-testid=acted]")
        _shot(page, "acted-offline")
        # Still offline: a count task for the warehouse phones, recorded as an op like any fact.
        page.click("text=Bumalik sa listahan")
        page.select_option("[data-testid=count-wh]", pwa.WAREHOUSE)  # remembered from the last time online
        page.fill("[data-testid=count-bin]", "A-01-02")
        page.fill("[data-testid=count-title]", "bilangin bago mag-restock")
        page.click("[data-testid=count-create]")
        expect(page.locator("[data-testid=count-said]")).to_have_class("msg msg-good")
        page.wait_for_selector("[data-testid=count-asked] li[data-state=waiting]")
        _shot(page, "count-offline")

        # Back online: the action syncs, and lands once.
        site.start()
        page.click("[data-testid=sync-now]")
        page.wait_for_function("document.querySelector('[data-testid=status]').dataset.pending === '0'")
        tasks = http.get("/api/v1/count-tasks/", params={"warehouse": pwa.WAREHOUSE}).json()["items"]
        assert [(t["bin"], t["title"], t["created_by"]) for t in tasks] == [
            ("A-01-02", "bilangin bago mag-restock", f"user:{SUPERVISOR[0]}")
        ]
        found = http.get(f"/api/v1/exceptions/{exception_id}").json()
        assert found["status"] == "resolved", found
        assert http.get(f"/api/v1/orders/{held.json()['id']}").json()["status"] == "cancelled"
        again = http.post(f"/api/v1/exceptions/{exception_id}/act", json={"action": "cancel"})
        # Already settled by the phone: the console's button does not do it a second time.
        assert again.status_code == 200 and again.json()["outcome"] == "already_resolved", again.text
        evidence = http.get(f"/api/v1/exceptions/{exception_id}/evidence").json()
        acted = [h for h in evidence["history"] if "cancel" in json.dumps(h)]
        assert len(acted) == 1, evidence["history"]
        # The inbox follows: the exception is settled, the count task sent.
        page.wait_for_selector("[data-testid=count-asked] li[data-state=applied]")
        expect(page.locator(f"[data-testid=exception][data-id='{exception_id}']")).to_have_count(0)
        _shot(page, "synced")
    finally:
        context.close()
        http.close()


def _push_to_worker(context: Any, page: Any, site: pwa.Site, payload: dict[str, Any]) -> None:
    """Deliver a message to the page's service worker as the browser's push service would (CDP)."""
    cdp = context.new_cdp_session(page)
    registrations: list[dict[str, Any]] = []

    def seen(event: dict[str, Any]) -> None:
        registrations.extend(event["registrations"])

    cdp.on("ServiceWorker.workerRegistrationUpdated", seen)
    cdp.send("ServiceWorker.enable")
    for _ in range(100):
        if registrations:
            break
        page.wait_for_timeout(50)
    assert registrations, "no service worker registration seen over CDP"
    cdp.send(
        "ServiceWorker.deliverPushMessage",
        {
            "origin": site.url,
            "registrationId": registrations[0]["registrationId"],
            "data": json.dumps(payload),
        },
    )
    cdp.detach()


def _notifications_when(
    worker: Any, page: Any, done: Callable[[list[dict[str, Any]]], bool]
) -> list[dict[str, Any]]:
    shown: list[dict[str, Any]] = []
    for _ in range(100):
        shown = worker.evaluate(NOTIFICATIONS)
        if done(shown):
            break
        page.wait_for_timeout(50)
    return shown


def test_an_alert_acknowledged_by_someone_else_leaves_the_phone(
    site: pwa.Site, browser: Any, receiver: PushReceiver
) -> None:
    """The server pushes the alert, then (someone acknowledged it in the office) a message with the
    same Topic and tag: the service worker closes the notification and shows nothing new."""
    admin = {"Authorization": f"Bearer {pwa.admin_token(site)}"}
    http = httpx.Client(base_url=site.url, headers=admin, timeout=20)
    who = ("sup.ben", "supervisor-pass-2027")
    http.post(
        "/api/v1/users", json={"username": who[0], "password": who[1], "role": "supervisor"}
    ).raise_for_status()
    http.post(
        "/api/v1/shops", json={"channel": "shopee", "code": "shopee-ben", "name": "Shop"}
    ).raise_for_status()
    receiver.vapid_key = http.get("/api/v1/push/key").json()["public_key"]
    context = pwa.new_phone(browser, site)
    context.grant_permissions(["notifications"], origin=site.url)
    context.add_init_script(f"({PUSH_MANAGER})({json.dumps(receiver.subscription('ben'))})")
    try:
        page = context.new_page()
        page.set_viewport_size(PHONE)
        pwa.login(page, site, who)
        pwa.wait_controlled(page)
        page.click("[data-testid=tile-exceptions]")
        page.click("[data-testid=enable-push]")
        page.wait_for_selector("[data-testid=push-on]")
        order = {
            "shop": "shopee-ben",
            "external_id": "SHP-HOLD-ACK",
            "payment_method": "cod",
            "placed_at": "2026-12-04T08:00:00+08:00",
            "address": {
                "name": "Jose Cruz",
                "phone": "0917 765 4321",
                "street": "12 Rizal St.",
                "barangay": "Malinta",
                "city": "Valenzuela",
                "province": "Metro Manila",
                "region": "NCR",
                "zip_code": "1440",
            },
            "lines": [{"sku": "SKU-SOAP-135", "qty": 2, "unit_price": "45.00"}],
        }
        held = http.post("/api/v1/orders", json=order)
        assert held.status_code == 201 and held.json()["status"] == "on_hold", held.text
        [raised] = receiver.wait_for(1, timeout_s=pwa.WAIT_MS / 1000)
        _push_to_worker(context, page, site, raised.payload)
        worker = context.service_workers[0]
        shown = _notifications_when(worker, page, bool)
        assert [n["tag"] for n in shown] == [raised.payload["tag"]]

        exception_id = raised.payload["exception"]
        assert http.post(f"/api/v1/exceptions/{exception_id}/acknowledge").status_code == 200
        got = receiver.wait_for(2, timeout_s=pwa.WAIT_MS / 1000)
        assert len(got) == 2 and receiver.rejected == [], receiver.rejected
        settled = got[1]
        assert settled.payload["close"] is True and settled.topic == raised.topic
        _push_to_worker(context, page, site, settled.payload)
        assert _notifications_when(worker, page, lambda shown: not shown) == []
    finally:
        context.close()
        http.close()
